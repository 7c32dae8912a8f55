/**
 * A price series: $/MWh per 15-minute interval from a UTC start, dense, with explicit gaps (NaN).
 * Readers build it from points; consumers look prices up by interval start.
 */
import { InvalidPriceData } from '../errors.js';
import { INTERVAL_MS, intervalCount, isIntervalAligned } from '../time/interval.js';
import { toErcotIso } from '../time/ercot-calendar.js';

export interface PricePoint {
  intervalStartMs: number;
  priceUsdPerMwh: number;
  /** Where the point came from, for error messages (e.g. "file.csv:42"). */
  source?: string;
}

export interface PriceSeries {
  startMs: number;
  /** Exclusive. */
  endMs: number;
  /** One value per interval; NaN marks a gap. */
  pricesUsdPerMwh: Float64Array;
}

export function emptySeries(startMs: number, endMs: number): PriceSeries {
  const values = new Float64Array(intervalCount(startMs, endMs));
  values.fill(NaN);
  return { startMs, endMs, pricesUsdPerMwh: values };
}

/**
 * Builds a series over [startMs, endMs) from points; points outside are ignored. A duplicate interval is an error
 * naming both sources; a misaligned interval start is an error.
 */
export function seriesFromPoints(points: Iterable<PricePoint>, startMs: number, endMs: number, file?: string): PriceSeries {
  const series = emptySeries(startMs, endMs);
  const sources = new Map<number, string | undefined>();
  for (const p of points) {
    if (!isIntervalAligned(p.intervalStartMs)) {
      throw new InvalidPriceData(`interval start is not on a 15-minute boundary`, { file, interval: toErcotIso(p.intervalStartMs), field: p.source });
    }
    if (p.intervalStartMs < startMs || p.intervalStartMs >= endMs) continue;
    const i = (p.intervalStartMs - startMs) / INTERVAL_MS;
    if (!Number.isNaN(series.pricesUsdPerMwh[i])) {
      throw new InvalidPriceData(
        `duplicate interval (${sources.get(p.intervalStartMs) ?? 'earlier row'} and ${p.source ?? 'a later row'})`,
        { file, interval: toErcotIso(p.intervalStartMs) },
      );
    }
    series.pricesUsdPerMwh[i] = p.priceUsdPerMwh;
    sources.set(p.intervalStartMs, p.source);
  }
  return series;
}

export function priceAt(series: PriceSeries, intervalStartMs: number): number {
  if (intervalStartMs < series.startMs || intervalStartMs >= series.endMs) return NaN;
  return series.pricesUsdPerMwh[(intervalStartMs - series.startMs) / INTERVAL_MS];
}

/** Interval starts that have no price. */
export function gapsOf(series: PriceSeries): number[] {
  const gaps: number[] = [];
  const v = series.pricesUsdPerMwh;
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i])) gaps.push(series.startMs + i * INTERVAL_MS);
  return gaps;
}

/** Throws a clear error naming the first missing intervals when the series has gaps. */
export function requireComplete(series: PriceSeries, what: string, file?: string): void {
  const gaps = gapsOf(series);
  if (gaps.length === 0) return;
  const shown = gaps.slice(0, 5).map(toErcotIso).join(', ');
  throw new InvalidPriceData(
    `${what} has ${gaps.length} missing interval(s), first: ${shown}${gaps.length > 5 ? ', …' : ''}`,
    { file, interval: toErcotIso(gaps[0]) },
  );
}

export function priceRange(series: PriceSeries): { minUsdPerMwh: number; maxUsdPerMwh: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of series.pricesUsdPerMwh) {
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { minUsdPerMwh: min, maxUsdPerMwh: max };
}
