/** Building blocks shared by the forecasters: the day-ahead curve as known, persistence, recent errors, the floor. */
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import type { KnownAt } from './known-at.js';

export const DAY_MS = 24 * HOUR_MS;
/** How many days back the DAM curve looks for the same hour's price when the delivery day's is not published. */
export const DAM_LOOKBACK_DAYS = 7;
/**
 * No forecast price goes below this ($/MWh). HB_HUBAVG real-time prices below it are rare, short and not
 * forecastable; a recent-error correction carried from one such interval would otherwise tell the optimizer that
 * the next hours pay it to charge.
 */
export const FORECAST_FLOOR_USD_PER_MWH = -50;

export function floorPrice(v: number): number {
  return v < FORECAST_FLOOR_USD_PER_MWH ? FORECAST_FLOOR_USD_PER_MWH : v;
}

/**
 * The day-ahead price of `ms` as known: the published one; otherwise the same hour's DAM price on the latest
 * earlier day that is published (tomorrow morning before 13:00, gaps); NaN if none within a week.
 */
export function damCurveUsdPerMwh(known: KnownAt, ms: number): number {
  let v = known.dayAheadUsdPerMwh(ms);
  for (let back = 1; Number.isNaN(v) && back <= DAM_LOOKBACK_DAYS; back++) v = known.dayAheadUsdPerMwh(ms - back * DAY_MS);
  return v;
}

/** The latest settled real-time price (searching back a day over gaps; 0 if none). */
export function lastSettledPrice(known: KnownAt): number {
  const last = known.lastSettledStartMs();
  for (let back = last; back > last - DAY_MS; back -= INTERVAL_MS) {
    const v = known.realTimeUsdPerMwh(back);
    if (!Number.isNaN(v)) return v;
  }
  return 0;
}

/** The real-time price of the same interval one (or more, up to 8) days earlier; else the latest settled price. */
export function persistenceUsdPerMwh(known: KnownAt, ms: number): number {
  for (let back = ms - DAY_MS; back >= ms - 8 * DAY_MS; back -= DAY_MS) {
    const v = known.realTimeUsdPerMwh(back);
    if (!Number.isNaN(v)) return v;
  }
  return lastSettledPrice(known);
}

/** Mean of `pick(rt, dam)` over the last `window` settled intervals that have both prices (NaN when none). */
function meanOverRecent(known: KnownAt, window: number, pick: (rt: number, dam: number) => number): number {
  const last = known.lastSettledStartMs();
  let sum = 0;
  let n = 0;
  for (let i = 0; i < window; i++) {
    const ms = last - i * INTERVAL_MS;
    const rt = known.realTimeUsdPerMwh(ms);
    const dam = known.dayAheadUsdPerMwh(ms);
    if (Number.isNaN(rt) || Number.isNaN(dam)) continue;
    sum += pick(rt, dam);
    n++;
  }
  return n ? sum / n : NaN;
}

/** Mean of RT − DAM over the last `window` settled intervals that have both (0 when none). */
export function recentErrorUsdPerMwh(known: KnownAt, window: number): number {
  const mean = meanOverRecent(known, window, (rt, dam) => rt - dam);
  return Number.isNaN(mean) ? 0 : mean;
}

/** Mean DAM price over the last `window` settled intervals that have both RT and DAM (NaN when none). */
export function recentDamUsdPerMwh(known: KnownAt, window: number): number {
  return meanOverRecent(known, window, (_rt, dam) => dam);
}

/**
 * The base curve of `count` intervals from `fromMs`: the DAM curve where known, persistence where not; counts the
 * persistence intervals.
 */
export function baseCurve(known: KnownAt, fromMs: number, count: number): { prices: Float64Array; fromDam: Uint8Array; fallbackIntervals: number } {
  const prices = new Float64Array(count);
  const fromDam = new Uint8Array(count);
  let fallbackIntervals = 0;
  for (let j = 0; j < count; j++) {
    const ms = fromMs + j * INTERVAL_MS;
    const v = known.hasDayAhead ? damCurveUsdPerMwh(known, ms) : NaN;
    if (Number.isNaN(v)) {
      prices[j] = persistenceUsdPerMwh(known, ms);
      if (known.hasDayAhead) fallbackIntervals++;
    } else {
      prices[j] = v;
      fromDam[j] = 1;
    }
  }
  return { prices, fromDam, fallbackIntervals };
}
