/**
 * Stored replay runs (table replay_runs: one row per strategy). Rows saved together share the scenario hash and the
 * transaction's created_at; that group is one run, named by its first row's id.
 */
import type { Executor } from '../../store/database.js';
import { getReplayRun, listReplayRuns, type ReplayRun } from '../../store/replay-runs-repo.js';
import type { ReplayListView, ReplayRunView } from '../schemas.js';

interface StoredReport {
  start?: string;
  end?: string;
  settlementPoint?: string;
  baselineCostUsd?: number;
  strategy?: { kind?: string; netValueUsd?: number; captureRate?: number | null; chargedKwh?: number; dischargedKwh?: number; cycles?: number; commands?: number; cumulativeValueUsd?: { atMs: number; valueUsd: number }[] };
  violations?: unknown[];
}

const groupKey = (r: ReplayRun): string => `${r.scenarioHash}/${r.createdAtMs}`;

function runView(rows: ReplayRun[]): ReplayRunView {
  const first = rows[0];
  const rep = first.report as StoredReport;
  return {
    runId: first.replayRunId,
    scenario: first.scenarioName,
    scenarioHash: first.scenarioHash,
    createdAtMs: first.createdAtMs,
    start: rep.start ?? null,
    end: rep.end ?? null,
    settlementPoint: rep.settlementPoint ?? null,
    baselineCostUsd: rep.baselineCostUsd ?? null,
    strategies: rows.map((r) => {
      const s = (r.report as StoredReport).strategy ?? {};
      return {
        replayRunId: r.replayRunId, strategy: r.strategy, kind: s.kind ?? null, netValueUsd: s.netValueUsd ?? null, captureRate: s.captureRate ?? null,
        chargedKwh: s.chargedKwh ?? null, dischargedKwh: s.dischargedKwh ?? null, cycles: s.cycles ?? null, commands: s.commands ?? null,
        violations: ((r.report as StoredReport).violations ?? []).length, cumulativeValueUsd: Array.isArray(s.cumulativeValueUsd) ? s.cumulativeValueUsd : null,
      };
    }),
  };
}

function group(rows: ReplayRun[]): ReplayRun[][] {
  const groups = new Map<string, ReplayRun[]>();
  for (const r of rows) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);
  return [...groups.values()].map((g) => g.sort((a, b) => (a.strategy < b.strategy ? -1 : 1)));
}

export async function loadReplayList(db: Executor): Promise<ReplayListView> {
  return { runs: group(await listReplayRuns(db, { limit: 500 })).map((g) => ({ ...runView(g), strategies: g.map((r) => r.strategy) })) };
}

/** A run by any of its rows' ids; null when unknown. */
export async function loadReplayRun(db: Executor, runId: string): Promise<ReplayRunView | null> {
  const row = await getReplayRun(db, runId);
  if (!row) return null;
  const rows = await db.selectFrom('replay_runs').select('replay_run_id').where('scenario_hash', '=', row.scenarioHash).where('created_at', '>=', new Date(row.createdAtMs)).where('created_at', '<', new Date(row.createdAtMs + 1)).execute(); // PostgreSQL keeps microseconds
  const all = (await Promise.all(rows.map((r) => getReplayRun(db, r.replay_run_id)))).filter((r): r is ReplayRun => r !== null);
  return runView(group(all).find((g) => g.some((r) => r.replayRunId === runId)) ?? [row]);
}
