/**
 * Home load and solar forecast for the live planner (pure): per 15-minute interval of the horizon, the median over
 * the last `days` days of the site's hourly mean at the same ERCOT local hour (wall clock, so a 23- or 25-hour day
 * does not shift the profile by an hour; both 01:00 hours of the fall-back day are hour 1). An hour of the day
 * without history takes the median of every hourly mean; no history at all gives 0 with the reason stated.
 *
 * Input: hourly means per UTC hour, as the app reads them from telemetry (consumption and production Wh of the
 * hour's 15-minute rows, averaged and turned into kW). A value that is not a finite number ≥ 0 is ignored.
 */
import { ercotLocalHour } from '../time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';

export interface HourlyHomeEnergy {
  /** UTC start of the hour. */
  hourStartMs: number;
  /** Mean home consumption over the hour's measured intervals (kW); null when none was measured. */
  loadKw: number | null;
  /** Mean solar production (kW); null when none was measured. */
  solarKw: number | null;
}

export interface HomeLoadForecastInfo {
  method: 'local-hour-median';
  /** Days of history looked at. */
  days: number;
  /** Hourly means the forecast rests on. */
  loadHours: number;
  solarHours: number;
  /** Horizon intervals without history at their local hour (the overall median or 0 was used). */
  loadFallbackIntervals: number;
  solarFallbackIntervals: number;
  /** Why a series is 0 or partly filled in (empty when every interval had history at its hour). */
  notes: string[];
}

export interface HomeLoadForecast {
  loadKw: Float64Array;
  solarKw: Float64Array;
  info: HomeLoadForecastInfo;
}

export const DEFAULT_HOME_LOAD_DAYS = 14;

function median(values: number[]): number {
  // A typed array sorts numerically without a comparator call per pair (the values are finite and ≥ 0: `usable`).
  const v = Float64Array.from(values).sort();
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function usable(v: number | null): v is number {
  return v !== null && Number.isFinite(v) && v >= 0;
}

function forecastSeries(
  history: readonly HourlyHomeEnergy[],
  pick: (h: HourlyHomeEnergy) => number | null,
  startMs: number,
  n: number,
  what: string,
  notes: string[],
): { kw: Float64Array; hours: number; fallback: number } {
  const byHour: number[][] = Array.from({ length: 24 }, () => []);
  const all: number[] = [];
  for (const h of history) {
    const v = pick(h);
    if (!usable(v)) continue;
    byHour[ercotLocalHour(h.hourStartMs)].push(v);
    all.push(v);
  }
  const kw = new Float64Array(n);
  if (!all.length) {
    notes.push(`${what}: no telemetry history, planned as 0`);
    return { kw, hours: 0, fallback: n };
  }
  const perHour = byHour.map((v) => (v.length ? median(v) : null));
  let overall: number | null = null; // the median of every hour, needed only for an hour without history
  let fallback = 0;
  for (let i = 0; i < n; i++) {
    const m = perHour[ercotLocalHour(startMs + i * INTERVAL_MS)];
    if (m === null) fallback++;
    kw[i] = m ?? (overall ??= median(all));
  }
  if (fallback) notes.push(`${what}: ${fallback} interval(s) at local hours without history use the median of all hours (${(overall ?? median(all)).toFixed(2)} kW)`);
  return { kw, hours: all.length, fallback };
}

/** The forecast for n intervals from startMs; `history` should cover the `days` days before startMs. */
export function forecastHomeLoad(history: readonly HourlyHomeEnergy[], startMs: number, n: number, days = DEFAULT_HOME_LOAD_DAYS): HomeLoadForecast {
  const fromMs = startMs - days * 24 * HOUR_MS;
  const recent = history.filter((h) => h.hourStartMs >= fromMs && h.hourStartMs < startMs);
  const notes: string[] = [];
  const load = forecastSeries(recent, (h) => h.loadKw, startMs, n, 'home load', notes);
  const solar = forecastSeries(recent, (h) => h.solarKw, startMs, n, 'solar', notes);
  return {
    loadKw: load.kw,
    solarKw: solar.kw,
    info: { method: 'local-hour-median', days, loadHours: load.hours, solarHours: solar.hours, loadFallbackIntervals: load.fallback, solarFallbackIntervals: solar.fallback, notes },
  };
}
