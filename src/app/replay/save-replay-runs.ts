/** Keeps each replay's report in the database (table replay_runs): one row per strategy, with the scenario's hash. */
import { config } from '../config.js';
import type { Logger } from '../logger.js';
import { openStore } from '../../store/open.js';
import { insertReplayRun, listReplayRuns, type ReplayRun } from '../../store/replay-runs-repo.js';
import { inTransaction } from '../../store/database.js';
import type { ReplayReport } from '../../domain/report/replay-report.js';

export interface SavedReplayRuns {
  location: string;
  runs: ReplayRun[];
}

/** The report of each strategy is stored with the run's shared facts (prices, violations, timing). */
export async function saveReplayRuns(report: ReplayReport, scenarioHash: string, options: { logger?: Logger; dataDir?: string } = {}): Promise<SavedReplayRuns> {
  const store = await openStore(config(), { logger: options.logger, dataDir: options.dataDir });
  try {
    const { strategies, violations, ...shared } = report;
    const runs = await inTransaction(store.db, async (trx) => {
      const out: ReplayRun[] = [];
      for (const strategy of strategies) {
        out.push(
          await insertReplayRun(trx, {
            scenarioName: report.scenario,
            scenarioHash,
            strategy: strategy.name,
            report: { ...shared, strategy, violations: violations.filter((v) => v.strategy === strategy.name) },
          }),
        );
      }
      return out;
    });
    return { location: store.location, runs };
  } finally {
    await store.close();
  }
}

export async function recentReplayRuns(filter: { scenarioName?: string; strategy?: string; limit?: number }, options: { dataDir?: string } = {}): Promise<ReplayRun[]> {
  const store = await openStore(config(), { dataDir: options.dataDir });
  try {
    return await listReplayRuns(store.db, filter);
  } finally {
    await store.close();
  }
}
