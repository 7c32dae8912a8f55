/**
 * Price forecasts that use only what was known at the decision instant (1 minute before the interval starts):
 * - real-time prices of intervals that ended by then (the interval running at decision time is not settled yet);
 * - day-ahead prices of delivery date D once published, at 13:00 Central on D−1.
 *
 * Methods:
 * - `dam`: the day-ahead price where published; otherwise the same hour's DAM on the latest earlier day (up to 7 days
 *   back); otherwise persistence.
 * - `dam-bias`: `dam` plus the recent real-time error (mean of RT − DAM over the last few settled intervals), fading
 *   with lead time (half-life configurable): real-time prices stay high or low for a while after they depart from
 *   the day-ahead curve, and the optimizer sees that for the next hours without trusting it for tomorrow.
 * - `persistence`: the real-time price of the same interval one (or more) days earlier; the fallback without DAM.
 */
import { ercotDateOf, ercotDay, ercotHourStartMs } from '../time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';
import { priceAt, type PriceSeries } from '../prices/price-series.js';

export type ForecastMethod = 'dam' | 'dam-bias' | 'persistence';

const DAY_MS = 24 * HOUR_MS;
/** How many days back `dam` looks for the same hour's day-ahead price when the delivery day's is not known. */
const DAM_LOOKBACK_DAYS = 7;

export interface ForecastOptions {
  method: ForecastMethod;
  biasHalfLifeHours?: number;
  biasWindowIntervals?: number;
}

export class PriceForecaster {
  private readonly publishedCache = new Map<number, number>();
  /** Forecast intervals that had to fall back to persistence (no DAM known). */
  fallbackIntervals = 0;

  constructor(
    private readonly realTime: PriceSeries,
    private readonly dayAhead: PriceSeries | null,
    private readonly options: ForecastOptions,
  ) {}

  /** When the DAM price of the interval starting at `ms` became public (13:00 local the day before delivery). */
  damPublishedMs(ms: number): number {
    // Cached per UTC hour: every ERCOT day starts on a whole UTC hour, so an hour lies in one delivery date.
    const hourKey = Math.floor(ms / HOUR_MS);
    let v = this.publishedCache.get(hourKey);
    if (v === undefined) {
      const date = ercotDateOf(ms);
      const prev = ercotDateOf(ercotDay(date).startMs - MINUTE_MS);
      v = ercotHourStartMs(prev, 14);
      this.publishedCache.set(hourKey, v);
    }
    return v;
  }

  /** The DAM price of `ms` if it was known at `decisionMs`, else NaN. */
  knownDam(ms: number, decisionMs: number): number {
    if (!this.dayAhead) return NaN;
    if (this.damPublishedMs(ms) > decisionMs) return NaN;
    return priceAt(this.dayAhead, ms);
  }

  /** Latest real-time interval start settled by `decisionMs` (its end ≤ decisionMs). */
  static lastSettledStart(decisionMs: number): number {
    return Math.floor(decisionMs / INTERVAL_MS) * INTERVAL_MS - INTERVAL_MS;
  }

  persistence(ms: number, decisionMs: number): number {
    const last = PriceForecaster.lastSettledStart(decisionMs);
    for (let back = ms - DAY_MS; back >= ms - 8 * DAY_MS; back -= DAY_MS) {
      if (back <= last) {
        const v = priceAt(this.realTime, back);
        if (!Number.isNaN(v)) return v;
      }
    }
    return this.lastSettledPrice(decisionMs);
  }

  /** The latest settled real-time price at `decisionMs` (searching back a day over gaps; 0 if none). */
  lastSettledPrice(decisionMs: number): number {
    const last = PriceForecaster.lastSettledStart(decisionMs);
    for (let back = last; back > last - DAY_MS; back -= INTERVAL_MS) {
      const v = priceAt(this.realTime, back);
      if (!Number.isNaN(v)) return v;
    }
    return 0;
  }

  /** Recent real-time minus day-ahead error over the last settled intervals (0 when unknown). */
  recentBias(decisionMs: number): number {
    const window = this.options.biasWindowIntervals ?? 4;
    const last = PriceForecaster.lastSettledStart(decisionMs);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < window; i++) {
      const ms = last - i * INTERVAL_MS;
      const rt = priceAt(this.realTime, ms);
      const dam = this.dayAhead ? priceAt(this.dayAhead, ms) : NaN;
      if (Number.isNaN(rt) || Number.isNaN(dam)) continue;
      sum += rt - dam;
      n++;
    }
    return n ? sum / n : 0;
  }

  /** Forecast of `count` intervals from `fromMs`, as known at `decisionMs`. */
  forecast(fromMs: number, count: number, decisionMs: number): Float64Array {
    const out = new Float64Array(count);
    const method = this.options.method;
    const bias = method === 'dam-bias' ? this.recentBias(decisionMs) : 0;
    const halfLifeMs = (this.options.biasHalfLifeHours ?? 2) * HOUR_MS;
    for (let j = 0; j < count; j++) {
      const ms = fromMs + j * INTERVAL_MS;
      let v = NaN;
      if (method !== 'persistence') {
        v = this.knownDam(ms, decisionMs);
        // Not published yet (or missing): the same hour's day-ahead price on the latest earlier day that has one.
        for (let back = 1; Number.isNaN(v) && back <= DAM_LOOKBACK_DAYS; back++) v = this.knownDam(ms - back * DAY_MS, decisionMs);
        if (!Number.isNaN(v) && bias !== 0) v += bias * Math.pow(0.5, (ms - decisionMs) / halfLifeMs);
      }
      if (Number.isNaN(v)) {
        v = this.persistence(ms, decisionMs);
        if (method !== 'persistence') this.fallbackIntervals++;
      }
      out[j] = v;
    }
    return out;
  }
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
