/** The value a plan puts on energy left at its horizon's end, and how far a rolling plan looks. */
import type { KnownAt } from '../forecast/known-at.js';
import { INTERVAL_MS } from '../time/interval.js';

/** A horizon extended to the published DAM never runs past this many intervals (48 h; the DAM reaches ≤ 35 h). */
export const MAX_EXTENDED_HORIZON_INTERVALS = 48 * 4;

/**
 * Intervals a rolling plan starting at `startMs` covers: `baseIntervals`, or with `toPublishedDam`, up to the end of
 * the latest DAM day published by the decision when that is later (after 13:00 Central the plan sees all of
 * tomorrow: 24–35 h instead of 24 h; docs/forecast.md, "Fourth round"), never past MAX_EXTENDED_HORIZON_INTERVALS.
 */
export function rollingHorizonIntervals(known: KnownAt, startMs: number, baseIntervals: number, toPublishedDam: boolean): number {
  if (!toPublishedDam) return baseIntervals;
  const endMs = known.publishedDayAheadEndMs();
  if (!(endMs > startMs)) return baseIntervals;
  return Math.max(baseIntervals, Math.min(MAX_EXTENDED_HORIZON_INTERVALS, Math.round((endMs - startMs) / INTERVAL_MS)));
}
/**
 * Value of a kWh of state of charge left at a horizon's end: it would be discharged later at about the median
 * forecast price, delivering √rte kWh AC per kWh of SoC, each paying the degradation cost.
 */
export function terminalValueUsdPerKwh(forecastUsdPerMwh: Float64Array, roundTripEfficiency: number, degradationCostUsdPerKwh = 0): number {
  const sorted = Float64Array.from(forecastUsdPerMwh).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.max(0, median / 1000 - degradationCostUsdPerKwh) * Math.sqrt(roundTripEfficiency);
}
