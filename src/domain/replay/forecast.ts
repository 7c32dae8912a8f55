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
  return Math.max(0, medianOf(forecastUsdPerMwh) / 1000 - degradationCostUsdPerKwh) * Math.sqrt(roundTripEfficiency);
}

/** The median (mean of the two middle values for an even count) by selection on a copy, not a full sort. */
export function medianOf(values: Float64Array): number {
  const a = Float64Array.from(values);
  const n = a.length;
  const upper = select(a, n >> 1);
  if (n % 2) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i]; // after select, a[0 .. n/2) ≤ a[n/2]
  return (lower + upper) / 2;
}

/** Hoare's selection: reorders `a` so that a[k] is the k-th smallest, smaller-or-equal values before it. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}
