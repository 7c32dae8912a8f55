/**
 * The reconcile job for the scheduler: every 15 minutes (minute 10, 25, 40, 55: after the telemetry poll at 3, 18,
 * …) re-reconcile the last RECONCILE_LOOKBACK_HOURS of every site not disabled (unchanged intervals write nothing; changed
 * ones keep a revision), then refresh the calibration of the sites whose results changed.
 */
import { HOUR_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import type { Logger } from '../logger.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import { updateSiteCalibration } from './calibration.js';
import { reconcileSites } from './reconcile-site.js';

export const RECONCILE_JOB = 'reconcile';

export interface ReconcileJobOptions {
  lookbackHours: number;
  calibrationDays: number;
}

export async function reconcileAndCalibrate(db: Executor, nowMs: number, options: ReconcileJobOptions & { siteIds?: readonly string[]; fromMs?: number; toMs?: number }, logger?: Logger) {
  const result = await reconcileSites(db, { fromMs: options.fromMs ?? nowMs - options.lookbackHours * HOUR_MS, toMs: options.toMs ?? nowMs, nowMs }, { siteIds: options.siteIds, logger });
  const calibrated: string[] = [];
  for (const s of result.sites) {
    if (s.created + s.revised === 0) continue;
    await updateSiteCalibration(db, s.siteId, nowMs, { windowDays: options.calibrationDays });
    calibrated.push(s.siteId);
  }
  return { ...result, calibrated };
}

export function reconcileJob(db: Executor, options: ReconcileJobOptions): JobDefinition {
  return {
    name: RECONCILE_JOB,
    cron: '10,25,40,55 * * * *',
    catchUp: 'latest',
    async run(ctx) {
      const r = await reconcileAndCalibrate(db, ctx.nowMs, options, ctx.logger);
      const changed = r.sites.reduce((n, s) => n + s.created + s.revised, 0);
      return {
        skipped: r.sites.length === 0 && r.failed.length === 0,
        details: { sites: r.sites.length, changed, revised: r.sites.reduce((n, s) => n + s.revised, 0), calibrated: r.calibrated.length, failed: r.failed },
      };
    },
  };
}
