/**
 * Oracle "forecasters" for measuring the information bound in walk-forward evaluation ONLY: they read the real
 * prices after the decision time on purpose, so they never go through KnownAt and are never offered to `rolling`
 * by name. `lookAheadHours`: the real prices for that long after the decision, a given forecaster beyond it.
 * `resolutionIntervals`: the real prices averaged over blocks of that many intervals (4 = hourly).
 */
import type { Forecaster, PriceForecast } from '../ports/forecaster.js';
import { priceAt, type PriceSeries } from '../prices/price-series.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import type { KnownAt } from './known-at.js';

export interface OracleOptions {
  name: string;
  /** Real prices only this far ahead of the decision (Infinity: the whole horizon). */
  lookAheadHours: number;
  /** Average real prices over blocks of this many 15-minute intervals, aligned on the hour (1: as is). */
  resolutionIntervals: number;
  /** Used beyond the look-ahead. */
  beyond: Forecaster;
}

export function oracleForecaster(realTime: PriceSeries, options: OracleOptions): Forecaster {
  const blockMs = options.resolutionIntervals * INTERVAL_MS;
  const blockPrice = (ms: number) => {
    const start = Math.floor(ms / blockMs) * blockMs;
    let sum = 0;
    let n = 0;
    for (let k = 0; k < options.resolutionIntervals; k++) {
      const v = priceAt(realTime, start + k * INTERVAL_MS);
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n ? sum / n : NaN;
  };
  return {
    name: options.name,
    forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
      const rest = options.beyond.forecast(known, fromMs, count);
      const out = Float64Array.from(rest.pricesUsdPerMwh);
      const untilMs = known.cutMs + options.lookAheadHours * HOUR_MS;
      for (let j = 0; j < count; j++) {
        const ms = fromMs + j * INTERVAL_MS;
        if (ms >= untilMs) break;
        const v = blockPrice(ms);
        if (!Number.isNaN(v)) out[j] = v;
      }
      return { pricesUsdPerMwh: out, fallbackIntervals: rest.fallbackIntervals };
    },
  };
}
