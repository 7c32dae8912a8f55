/**
 * ERCOT system forecasts (load NP3-565-CD, wind NP4-732-CD, solar NP4-745-CD) into `system_forecasts`, by posting
 * time: per kind and per day of postings, fetch every page, then one idempotent upsert (a posting already stored
 * writes nothing). Any failure leaves what earlier chunks stored; the next run resumes. By default only the
 * ERCOT-wide value (region SYSTEM) is kept; `allRegions` keeps the weather zones / load zones / solar regions too.
 *
 * The scheduled job `ercot-system-forecasts` (every hour at :50 UTC) reads everything posted since the newest stored
 * posting of each kind (at most `maxCatchUpHours` back, default 48 h; older: `prices forecasts --from --to`).
 */
import { forecastProductOfKind, SYSTEM_REGION, type SystemForecastKindName } from '../../adapters/ercot/forecast-products.js';
import { ercotLocalTimestamp } from '../../adapters/ercot/forecast-wire.js';
import { HOUR_MS } from '../../domain/time/interval.js';
import { latestSystemForecastPostedMs, SYSTEM_FORECAST_KINDS, upsertSystemForecasts, type SystemForecastRecord } from '../../store/system-forecasts-repo.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import type { IngestDeps } from './price-ingest.js';

export const SYSTEM_FORECAST_JOB = 'ercot-system-forecasts';
const DAY_MS = 24 * HOUR_MS;

export interface SystemForecastIngestRequest {
  /** Postings in [postedFromMs, postedToMs] (inclusive, to the second). */
  postedFromMs: number;
  postedToMs: number;
  kinds?: readonly SystemForecastKindName[];
  allRegions?: boolean;
}

export interface SystemForecastIngestResult {
  postedFrom: string;
  postedTo: string;
  rows: number;
  requests: number;
  inserted: number;
  updated: number;
  unchanged: number;
  byKind: Record<string, { rows: number; inserted: number; postings: number }>;
}

export async function ingestSystemForecasts(deps: IngestDeps, req: SystemForecastIngestRequest): Promise<SystemForecastIngestResult> {
  if (!(req.postedToMs >= req.postedFromMs)) throw new RangeError('postedToMs is before postedFromMs');
  const requestsBefore = deps.client.http.stats.requests;
  const result: SystemForecastIngestResult = {
    postedFrom: ercotLocalTimestamp(req.postedFromMs), postedTo: ercotLocalTimestamp(req.postedToMs),
    rows: 0, requests: 0, inserted: 0, updated: 0, unchanged: 0, byKind: {},
  };
  for (const kind of req.kinds ?? SYSTEM_FORECAST_KINDS) {
    const product = forecastProductOfKind(kind);
    const k = (result.byKind[kind] = { rows: 0, inserted: 0, postings: 0 });
    const postings = new Set<number>();
    for (let from = req.postedFromMs; from <= req.postedToMs; from += DAY_MS) {
      const to = Math.min(req.postedToMs, from + DAY_MS - 1000);
      const rows = await deps.client.fetchSystemForecasts(product, { postedFromMs: from, postedToMs: to });
      const fetchedAtMs = deps.clock.nowMs();
      const records: SystemForecastRecord[] = rows
        .filter((r) => req.allRegions || r.region === SYSTEM_REGION)
        .map((r) => ({ kind, region: r.region, intervalStartMs: r.intervalStartMs, postedMs: r.postedMs, valueMw: r.valueMw, model: r.model ?? null, source: `ercot-api:${product.id}`, fetchedAtMs }));
      const counts = await upsertSystemForecasts(deps.db, records);
      records.forEach((r) => postings.add(r.postedMs));
      k.rows += records.length;
      k.inserted += counts.inserted;
      result.rows += records.length;
      result.inserted += counts.inserted;
      result.updated += counts.updated;
      result.unchanged += counts.unchanged;
      deps.logger.debug({ product: product.id, from: ercotLocalTimestamp(from), to: ercotLocalTimestamp(to), rows: records.length, ...counts }, 'system forecasts stored');
    }
    k.postings = postings.size;
  }
  result.requests = deps.client.http.stats.requests - requestsBefore;
  return result;
}

export interface SystemForecastJobOptions {
  kinds?: readonly SystemForecastKindName[];
  allRegions?: boolean;
  /** How far back a run reads when nothing newer is stored (default 48 h). */
  maxCatchUpHours?: number;
}

/** The postings window a run reads at `nowMs` for one kind: since the newest stored posting (bounded), up to now. */
export async function systemForecastWindow(deps: IngestDeps, kind: SystemForecastKindName, nowMs: number, maxCatchUpHours = 48): Promise<{ postedFromMs: number; postedToMs: number }> {
  const floorMs = nowMs - maxCatchUpHours * HOUR_MS;
  const latest = await latestSystemForecastPostedMs(deps.db, kind);
  return { postedFromMs: latest === null ? floorMs : Math.max(floorMs, latest + 1000), postedToMs: nowMs };
}

export function systemForecastJobs(deps: IngestDeps, options: SystemForecastJobOptions = {}): JobDefinition[] {
  return [{
    name: SYSTEM_FORECAST_JOB,
    cron: '50 * * * *',
    async run(ctx) {
      const details: Record<string, SystemForecastIngestResult> = {};
      for (const kind of options.kinds ?? SYSTEM_FORECAST_KINDS) {
        const window = await systemForecastWindow(deps, kind, ctx.nowMs, options.maxCatchUpHours);
        if (window.postedFromMs > window.postedToMs) continue;
        details[kind] = await ingestSystemForecasts(deps, { ...window, kinds: [kind], allRegions: options.allRegions });
      }
      return { details };
    },
  }];
}
