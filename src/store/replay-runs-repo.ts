/** Replay runs: a scenario (name + content hash), the strategy, and the full report JSON. */
import type { Executor } from './database.js';
import { json } from './database.js';

export interface NewReplayRun {
  scenarioName: string;
  /** Hash of the scenario's content (e.g. sha256 hex), to tell edited scenarios apart. */
  scenarioHash: string;
  strategy: string;
  report: unknown;
}

export interface ReplayRun extends NewReplayRun {
  replayRunId: string;
  createdAtMs: number;
}

export async function insertReplayRun(db: Executor, run: NewReplayRun): Promise<ReplayRun> {
  const row = await db
    .insertInto('replay_runs')
    .values({ scenario_name: run.scenarioName, scenario_hash: run.scenarioHash, strategy: run.strategy, report: json(run.report) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

function fromRow(r: { replay_run_id: string; scenario_name: string; scenario_hash: string; strategy: string; report: unknown; created_at: Date }): ReplayRun {
  return { replayRunId: r.replay_run_id, scenarioName: r.scenario_name, scenarioHash: r.scenario_hash, strategy: r.strategy, report: r.report, createdAtMs: r.created_at.getTime() };
}

export async function getReplayRun(db: Executor, replayRunId: string): Promise<ReplayRun | null> {
  const row = await db.selectFrom('replay_runs').selectAll().where('replay_run_id', '=', replayRunId).executeTakeFirst();
  return row ? fromRow(row) : null;
}

/** Newest first; optionally one scenario and/or strategy. */
export async function listReplayRuns(db: Executor, filter: { scenarioName?: string; strategy?: string; limit?: number } = {}): Promise<ReplayRun[]> {
  let q = db.selectFrom('replay_runs').selectAll().orderBy('created_at', 'desc').limit(filter.limit ?? 50);
  if (filter.scenarioName) q = q.where('scenario_name', '=', filter.scenarioName);
  if (filter.strategy) q = q.where('strategy', '=', filter.strategy);
  return (await q.execute()).map(fromRow);
}
