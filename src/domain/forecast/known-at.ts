/**
 * What was known at a decision instant: a read-only view of the market data cut at `cutMs`. Forecasters only ever
 * receive this view, so they cannot look ahead by construction: every accessor returns NaN (or nothing) for data
 * published after the cut. Publication rules:
 * - a real-time (15-minute) price is known once its interval has ended (start + 15 min ≤ cut);
 * - a SCED (5-minute) price is known once its run interval has ended;
 * - day-ahead prices for delivery date D are known from 13:00 Central on D−1 (DAM results publication);
 * - an ERCOT system forecast (load, wind, solar; hourly) is known from its publication time: the view answers with the
 *   latest value published at or before the cut for the delivery hour (`systemForecastMw`, `netLoadMw`).
 * The underlying data is held in a private field; `earlier(ms)` gives a view cut earlier, never later.
 */
import { ercotDateOf, ercotDay, ercotHourStartMs } from '../time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';
import { priceAt, type PriceSeries } from '../prices/price-series.js';

/** A regularly spaced series (e.g. SCED 5-minute LMPs): value i covers [startMs + i·stepMs, +stepMs). */
export interface StepSeries {
  startMs: number;
  stepMs: number;
  values: Float64Array;
}

export type SystemForecastKind = 'load' | 'wind' | 'solar';

/** One published value of an ERCOT system forecast (MW, ERCOT-wide) for one delivery hour. */
export interface SystemForecastPoint {
  kind: SystemForecastKind;
  publishedMs: number;
  /** UTC start of the delivery hour (ERCOT's system forecasts are hourly). */
  intervalStartMs: number;
  valueMw: number;
}

/** Per kind and delivery hour: publication times ascending and their values (built once per history). */
type SystemForecastIndex = Map<string, { publishedMs: number[]; valueMw: number[] }>;
const systemForecastIndexes = new WeakMap<readonly SystemForecastPoint[], SystemForecastIndex>();

function systemForecastIndex(points: readonly SystemForecastPoint[]): SystemForecastIndex {
  let index = systemForecastIndexes.get(points);
  if (index) return index;
  index = new Map();
  const sorted = [...points].sort((a, b) => a.publishedMs - b.publishedMs);
  for (const p of sorted) {
    const key = `${p.kind}|${Math.floor(p.intervalStartMs / HOUR_MS) * HOUR_MS}`;
    let e = index.get(key);
    if (!e) index.set(key, (e = { publishedMs: [], valueMw: [] }));
    e.publishedMs.push(p.publishedMs);
    e.valueMw.push(p.valueMw);
  }
  systemForecastIndexes.set(points, index);
  return index;
}

/** Everything a forecaster may draw on, uncut (the view cuts it). */
export interface MarketHistory {
  realTime: PriceSeries;
  /** Day-ahead prices on each 15-minute interval (hourly values repeated); null when there are none. */
  dayAhead: PriceSeries | null;
  sced?: StepSeries | null;
  /** Sorted by publishedMs ascending. */
  systemForecasts?: readonly SystemForecastPoint[];
}

const publishedCache = new Map<number, number>();

/** When the DAM price of the interval starting at `ms` became public: 13:00 Central on the day before delivery. */
export function damPublishedMs(ms: number): number {
  // Cached per UTC hour: every ERCOT day starts on a whole UTC hour, so an hour lies in one delivery date.
  const hourKey = Math.floor(ms / HOUR_MS);
  let v = publishedCache.get(hourKey);
  if (v === undefined) {
    const date = ercotDateOf(ms);
    const prev = ercotDateOf(ercotDay(date).startMs - MINUTE_MS);
    v = ercotHourStartMs(prev, 14); // hour ending 14 starts at 13:00
    publishedCache.set(hourKey, v);
  }
  return v;
}

export class KnownAt {
  readonly #history: MarketHistory;
  readonly cutMs: number;

  constructor(history: MarketHistory, cutMs: number) {
    this.#history = history;
    this.cutMs = cutMs;
  }

  /** The same data cut at an earlier instant (a later one is refused: that would be look-ahead). */
  earlier(cutMs: number): KnownAt {
    if (cutMs > this.cutMs) throw new RangeError(`KnownAt.earlier(${cutMs}) is after the cut ${this.cutMs}`);
    return new KnownAt(this.#history, cutMs);
  }

  /** Start of the latest real-time interval settled by the cut (its end ≤ cut). */
  lastSettledStartMs(): number {
    return Math.floor(this.cutMs / INTERVAL_MS) * INTERVAL_MS - INTERVAL_MS;
  }

  /** The settled real-time price of the interval starting at `ms`, NaN if unknown at the cut. */
  realTimeUsdPerMwh(ms: number): number {
    if (ms + INTERVAL_MS > this.cutMs) return NaN;
    return priceAt(this.#history.realTime, ms);
  }

  get hasDayAhead(): boolean {
    return this.#history.dayAhead !== null;
  }

  /** The DAM price of the interval starting at `ms` if it was published by the cut, else NaN. */
  dayAheadUsdPerMwh(ms: number): number {
    const dam = this.#history.dayAhead;
    if (!dam || damPublishedMs(ms) > this.cutMs) return NaN;
    return priceAt(dam, ms);
  }

  /**
   * The end of the latest ERCOT delivery day whose day-ahead prices are published by the cut and present in the data
   * (checked on the day's last interval): tomorrow's end from 13:00 Central on, else today's; NaN when neither.
   */
  publishedDayAheadEndMs(): number {
    const dam = this.#history.dayAhead;
    if (!dam) return NaN;
    const todayEndMs = ercotDay(ercotDateOf(this.cutMs)).endMs;
    const tomorrowEndMs = ercotDay(ercotDateOf(todayEndMs)).endMs;
    for (const endMs of [tomorrowEndMs, todayEndMs]) {
      const lastMs = endMs - INTERVAL_MS;
      if (damPublishedMs(lastMs) <= this.cutMs && !Number.isNaN(priceAt(dam, lastMs))) return endMs;
    }
    return NaN;
  }

  get hasSced(): boolean {
    return !!this.#history.sced;
  }

  /** The SCED price of the run interval containing `ms`, NaN unless that interval ended by the cut. */
  scedUsdPerMwh(ms: number): number {
    const s = this.#history.sced;
    if (!s) return NaN;
    const i = Math.floor((ms - s.startMs) / s.stepMs);
    if (i < 0 || i >= s.values.length || s.startMs + (i + 1) * s.stepMs > this.cutMs) return NaN;
    return s.values[i];
  }

  get hasSystemForecasts(): boolean {
    return !!this.#history.systemForecasts?.length;
  }

  /**
   * The latest value of a system forecast published at or before the cut for the delivery hour containing `ms`
   * (MW), else NaN. A value published after the cut is never returned, whatever it says.
   */
  systemForecastMw(kind: SystemForecastKind, ms: number): number {
    const points = this.#history.systemForecasts;
    if (!points?.length) return NaN;
    const e = systemForecastIndex(points).get(`${kind}|${Math.floor(ms / HOUR_MS) * HOUR_MS}`);
    if (!e) return NaN;
    // last publication ≤ cut (binary search: publishedMs ascending)
    let lo = 0;
    let hi = e.publishedMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (e.publishedMs[mid] <= this.cutMs) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? NaN : e.valueMw[lo - 1];
  }

  /** Net load = load − wind − solar (MW) as forecast by the cut for the hour containing `ms`; NaN if any is unknown. */
  netLoadMw(ms: number): number {
    return this.systemForecastMw('load', ms) - this.systemForecastMw('wind', ms) - this.systemForecastMw('solar', ms);
  }
}
