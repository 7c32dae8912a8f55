/**
 * The Enphase jobs for the generic scheduler (docs/scheduler.md):
 *   enphase-telemetry-poll      every ENPHASE_POLL_MINUTES (at minute 3 of each period, after the interval ends):
 *                               one request per product per site + settings by TTL.
 *   enphase-telemetry-backfill  hourly at minute 40: gaps oldest first, capped by ENPHASE_BACKFILL_MAX_REQUESTS.
 * A run stopped by the budget, a 429 or a needed re-authorisation is recorded as skipped with the reason: the
 * next slot tries again (and a needs-reauth account is not polled at all until someone reconnects it).
 */
import type { Config } from '../config.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import { backfillAccount, pollAccount, type RunReport, type TelemetryRunContext } from './poller.js';

export const POLL_JOB = 'enphase-telemetry-poll';
export const BACKFILL_JOB = 'enphase-telemetry-backfill';

export function pollCron(pollMinutes: number): string {
  if (pollMinutes < 60 && 60 % pollMinutes === 0) {
    const minutes = [];
    for (let m = 3 % pollMinutes; m < 60; m += pollMinutes) minutes.push(m);
    return `${minutes.join(',')} * * * *`;
  }
  return pollMinutes >= 60 ? `3 */${Math.max(1, Math.round(pollMinutes / 60))} * * *` : `*/${pollMinutes} * * * *`;
}

export function runSettings(cfg: Pick<Config, 'ENPHASE_TRAILING_WINDOW_MINUTES' | 'ENPHASE_SETTINGS_TTL_MINUTES' | 'ENPHASE_BACKFILL_DAYS' | 'ENPHASE_BACKFILL_MAX_REQUESTS'>): TelemetryRunContext['settings'] {
  return {
    trailingWindowMs: cfg.ENPHASE_TRAILING_WINDOW_MINUTES * 60_000,
    settingsTtlMs: cfg.ENPHASE_SETTINGS_TTL_MINUTES * 60_000,
    backfillDays: cfg.ENPHASE_BACKFILL_DAYS,
    backfillMaxRequests: cfg.ENPHASE_BACKFILL_MAX_REQUESTS,
  };
}

function summarise(report: RunReport) {
  return {
    skipped: report.stopped !== undefined,
    details: {
      stopped: report.stopped ?? null,
      sites: report.sites.map((s) => ({ siteId: s.siteId, requests: s.requests, stored: s.results.reduce((n, r) => n + r.stored, 0), quarantined: s.results.reduce((n, r) => n + r.quarantined, 0), error: s.error ?? null })),
    },
  };
}

/** `contexts()` builds one run context per connected account (fresh clients each run). */
export function enphaseJobs(contexts: () => Promise<TelemetryRunContext[]>, pollMinutes: number): JobDefinition[] {
  return [
    {
      name: POLL_JOB,
      cron: pollCron(pollMinutes),
      catchUp: 'latest',
      async run() {
        const reports = [];
        for (const ctx of await contexts()) reports.push(summarise(await pollAccount(ctx)));
        return { skipped: reports.length === 0 || reports.every((r) => r.skipped), details: reports.map((r) => r.details) };
      },
    },
    {
      name: BACKFILL_JOB,
      cron: '40 * * * *',
      catchUp: 'latest',
      async run() {
        const reports = [];
        for (const ctx of await contexts()) reports.push(summarise(await backfillAccount(ctx)));
        return { skipped: reports.length === 0 || reports.every((r) => r.skipped), details: reports.map((r) => r.details) };
      },
    },
  ];
}
