/**
 * The gap detector: which intervals are missing per market and settlement point over a time range (never counting
 * the future), and the backfill that fetches the delivery dates holding them.
 */
import type { ErcotProduct } from '../../adapters/ercot/products.js';
import { ercotDateOf, ercotDay } from '../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { missingPriceStarts } from '../../store/prices-repo.js';
import type { Market } from '../../store/schema.js';
import { addDays, lastAvailableDate, MARKET_OF } from './markets.js';
import { ingestPrices, type IngestDeps, type IngestResult } from './price-ingest.js';

export interface GapRange {
  /** First missing interval start (UTC ms). */
  startMs: number;
  /** Exclusive end. */
  endMs: number;
  intervals: number;
}

export interface PointGaps {
  market: Market;
  settlementPoint: string;
  missing: number;
  ranges: GapRange[];
  /** ERCOT delivery dates that hold at least one missing interval. */
  dates: string[];
}

/** The step of a market's grid; SCED runs are irregular and have no gaps to speak of. */
export function stepMsOf(market: Market): number | undefined {
  return market === 'rt15' ? INTERVAL_MS : market === 'dam' ? HOUR_MS : undefined;
}

/**
 * Missing intervals per point for delivery dates [fromDate, toDate], cut at what can exist at `nowMs`
 * (real time: intervals that ended at least `lagMs` ago, default 20 min).
 */
export async function findGaps(
  db: Executor,
  q: { market: Market; settlementPoints: readonly string[]; fromDate: string; toDate: string; nowMs: number; lagMs?: number },
): Promise<PointGaps[]> {
  const step = stepMsOf(q.market);
  if (!step) return [];
  const lastDate = lastAvailableDate(q.market, q.nowMs);
  const toDate = q.toDate < lastDate ? q.toDate : lastDate;
  if (q.fromDate > toDate) return q.settlementPoints.map((p) => ({ market: q.market, settlementPoint: p, missing: 0, ranges: [], dates: [] }));
  const startMs = ercotDay(q.fromDate).startMs;
  let endMs = ercotDay(toDate).endMs;
  if (q.market === 'rt15') endMs = Math.min(endMs, Math.floor((q.nowMs - (q.lagMs ?? 20 * 60_000)) / INTERVAL_MS) * INTERVAL_MS);
  const out: PointGaps[] = [];
  for (const point of q.settlementPoints) {
    const missing = endMs > startMs ? await missingPriceStarts(db, { market: q.market, settlementPoint: point, startMs, endMs, stepMs: step }) : [];
    const ranges: GapRange[] = [];
    for (const t of missing) {
      const last = ranges[ranges.length - 1];
      if (last && last.endMs === t) {
        last.endMs += step;
        last.intervals++;
      } else ranges.push({ startMs: t, endMs: t + step, intervals: 1 });
    }
    const dates = [...new Set(missing.map((t) => ercotDateOf(t)))].sort();
    out.push({ market: q.market, settlementPoint: point, missing: missing.length, ranges, dates });
  }
  return out;
}

/** Consecutive delivery dates grouped into [from, to] ranges. */
export function dateRanges(dates: readonly string[]): Array<{ fromDate: string; toDate: string }> {
  const out: Array<{ fromDate: string; toDate: string }> = [];
  for (const d of [...new Set(dates)].sort()) {
    const last = out[out.length - 1];
    if (last && addDays(last.toDate, 1) === d) last.toDate = d;
    else out.push({ fromDate: d, toDate: d });
  }
  return out;
}

export interface BackfillResult {
  gapsBefore: PointGaps[];
  runs: IngestResult[];
}

/** Finds gaps and fetches the delivery dates that hold them (only for the points that miss them). */
export async function backfill(deps: IngestDeps, req: { product: ErcotProduct; settlementPoints: readonly string[]; fromDate: string; toDate: string }): Promise<BackfillResult> {
  const market = MARKET_OF[req.product.id];
  const gapsBefore = await findGaps(deps.db, { market, settlementPoints: req.settlementPoints, fromDate: req.fromDate, toDate: req.toDate, nowMs: deps.clock.nowMs() });
  const runs: IngestResult[] = [];
  const byRange = new Map<string, { fromDate: string; toDate: string; points: string[] }>();
  for (const g of gapsBefore) {
    for (const r of dateRanges(g.dates)) {
      const key = `${r.fromDate}..${r.toDate}`;
      const entry = byRange.get(key) ?? { ...r, points: [] };
      entry.points.push(g.settlementPoint);
      byRange.set(key, entry);
    }
  }
  for (const r of byRange.values()) {
    runs.push(await ingestPrices(deps, { product: req.product, fromDate: r.fromDate, toDate: r.toDate, settlementPoints: r.points }));
  }
  return { gapsBefore, runs };
}
