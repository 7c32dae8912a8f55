/**
 * The scheduled price jobs, registered with the generic scheduler:
 *   ercot-rt-spp    5,20,35,50 * * * * (UTC): a few minutes after each 15-minute interval ends, re-read the trailing
 *                   window (corrections, late postings) plus anything missing since the newest stored interval
 *                   (bounded), upsert.
 *   ercot-dam-spp   every 15 min from 13:00 to 23:45 Central: tomorrow's day-ahead prices; skipped when already
 *                   complete, a retryable failure while not yet published (the next run retries).
 *   ercot-sced-lmp  every 5 min when ERCOT_SCED_ENABLED: today's SCED LMPs (and yesterday's right after midnight).
 */
import { DAM_SPP, RT_SPP, SCED_LMP } from '../../adapters/ercot/products.js';
import { RetryableError } from '../../domain/errors.js';
import { ercotDateOf, ercotDay } from '../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../../domain/time/interval.js';
import { latestPriceStartMs } from '../../store/prices-repo.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import { findGaps } from './gaps.js';
import { addDays } from './markets.js';
import { ingestPrices, type IngestDeps } from './price-ingest.js';

export interface PriceJobOptions {
  settlementPoints: readonly string[];
  /** Hours re-read on every real-time run (default 3). */
  trailingHours?: number;
  /** How far back a real-time run catches up from the newest stored interval (default 7 days; older: backfill). */
  maxCatchUpDays?: number;
  scedEnabled?: boolean;
}

export const RT_JOB = 'ercot-rt-spp';
export const DAM_JOB = 'ercot-dam-spp';
export const SCED_JOB = 'ercot-sced-lmp';

/** The delivery dates a real-time run reads at `nowMs`. */
export async function realTimeWindow(deps: IngestDeps, options: PriceJobOptions, nowMs: number): Promise<{ fromDate: string; toDate: string }> {
  const trailingMs = (options.trailingHours ?? 3) * HOUR_MS;
  let fromMs = nowMs - trailingMs;
  const floorMs = nowMs - (options.maxCatchUpDays ?? 7) * 24 * HOUR_MS;
  for (const point of options.settlementPoints) {
    const latest = await latestPriceStartMs(deps.db, 'rt15', point);
    const resumeMs = latest === null ? floorMs : Math.max(floorMs, latest);
    fromMs = Math.min(fromMs, resumeMs);
  }
  return { fromDate: ercotDateOf(fromMs), toDate: ercotDateOf(nowMs) };
}

export function priceJobs(deps: IngestDeps, options: PriceJobOptions): JobDefinition[] {
  const points = options.settlementPoints;
  const jobs: JobDefinition[] = [
    {
      name: RT_JOB,
      cron: '5,20,35,50 * * * *',
      async run(ctx) {
        const window = await realTimeWindow(deps, options, ctx.nowMs);
        const result = await ingestPrices(deps, { product: RT_SPP, ...window, settlementPoints: points });
        return { details: result };
      },
    },
    {
      name: DAM_JOB,
      cron: '*/15 13-23 * * *',
      timeZone: 'America/Chicago',
      async run(ctx) {
        const tomorrow = addDays(ercotDateOf(ctx.nowMs), 1);
        const gaps = await findGaps(deps.db, { market: 'dam', settlementPoints: points, fromDate: tomorrow, toDate: tomorrow, nowMs: ercotDay(tomorrow).endMs });
        const missing = gaps.filter((g) => g.missing > 0).map((g) => g.settlementPoint);
        if (!missing.length) return { skipped: true, details: { deliveryDate: tomorrow, reason: 'already complete' } };
        const result = await ingestPrices(deps, { product: DAM_SPP, fromDate: tomorrow, toDate: tomorrow, settlementPoints: missing });
        const after = await findGaps(deps.db, { market: 'dam', settlementPoints: missing, fromDate: tomorrow, toDate: tomorrow, nowMs: ercotDay(tomorrow).endMs });
        const still = after.filter((g) => g.missing > 0);
        if (still.length) {
          throw new RetryableError(`NP4-190-CD for ${tomorrow} not (fully) published yet: ${still.map((g) => `${g.settlementPoint} misses ${g.missing} h`).join(', ')}; the next run retries`);
        }
        return { details: result };
      },
    },
  ];
  if (options.scedEnabled) {
    jobs.push({
      name: SCED_JOB,
      cron: '*/5 * * * *',
      async run(ctx) {
        const today = ercotDateOf(ctx.nowMs);
        const fromDate = ercotDateOf(ctx.nowMs - INTERVAL_MS) < today ? addDays(today, -1) : today;
        return { details: await ingestPrices(deps, { product: SCED_LMP, fromDate, toDate: today, settlementPoints: points, via: 'api' }) };
      },
    });
  }
  return jobs;
}
