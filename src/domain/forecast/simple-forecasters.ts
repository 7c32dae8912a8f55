/**
 * Forecasters without training:
 * - `persistence`: the real-time price of the same interval a day earlier.
 * - `dam`: the day-ahead curve as known (published DAM, else the latest earlier day's same hour).
 * - `dam-bias` (the engine's first forecaster): `dam` plus the whole recent RT − DAM error (last 4 intervals), fading
 *   with a short half-life (4 h).
 * - `dam-fade`: `dam` plus a fraction (½) of the recent error, fading with a half-life near 12 h: a smaller,
 *   slower correction, so one dear interval does not make "now" look dear against the evening peak.
 * Every output is floored at FORECAST_FLOOR_USD_PER_MWH.
 */
import type { Forecaster, PriceForecast } from '../ports/forecaster.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import { baseCurve, floorPrice, persistenceUsdPerMwh, recentDamUsdPerMwh, recentErrorUsdPerMwh } from './dam-curve.js';

/** Below this mean DAM price of the error's window, a proportional correction falls back to the additive one. */
export const PROPORTIONAL_MIN_DAM_USD_PER_MWH = 5;
import type { KnownAt } from './known-at.js';

export interface BiasCorrectionOptions {
  /** Share of the recent error added at lead 0. */
  fraction: number;
  halfLifeHours: number;
  /** Settled intervals averaged for the recent error. */
  windowIntervals: number;
  /** The recent error is clamped to ±this before use ($/MWh; default: no clamp): one spike is not a regime. */
  clipUsdPerMwh?: number;
  /**
   * Proportional correction: the error carried to interval t is scaled by DAM(t) / (mean DAM of the error's
   * window), limited to [0, this] (default: off, an additive correction). A real-time premium over a cheap hour then
   * lifts the dearer hours ahead proportionally, so it keeps the day-ahead curve's spreads instead of flattening them.
   */
  proportionalMax?: number;
  /**
   * With proportionalMax: only the part of the error within ±this is proportional, the rest stays additive (a level
   * shift keeps the day's spreads; a spike makes "now" dear against later). Default: all of it.
   */
  proportionalUpToUsdPerMwh?: number;
}

function floored(prices: Float64Array): Float64Array {
  for (let j = 0; j < prices.length; j++) prices[j] = floorPrice(prices[j]);
  return prices;
}

export function persistenceForecaster(): Forecaster {
  return {
    name: 'persistence',
    forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
      const prices = new Float64Array(count);
      for (let j = 0; j < count; j++) prices[j] = persistenceUsdPerMwh(known, fromMs + j * INTERVAL_MS);
      return { pricesUsdPerMwh: floored(prices), fallbackIntervals: 0 };
    },
  };
}

export function biasCorrectedForecaster(name: string, options: BiasCorrectionOptions): Forecaster {
  if (!(options.halfLifeHours > 0) || !(options.windowIntervals >= 1)) throw new RangeError(`${name}: half-life must be > 0 and window ≥ 1`);
  const halfLifeMs = options.halfLifeHours * HOUR_MS;
  return {
    name,
    forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
      const base = baseCurve(known, fromMs, count);
      const clip = options.clipUsdPerMwh ?? Infinity;
      const error = options.fraction === 0 ? 0 : options.fraction * Math.max(-clip, Math.min(clip, recentErrorUsdPerMwh(known, options.windowIntervals)));
      if (error !== 0) {
        const pm = options.proportionalMax;
        const ref = pm !== undefined ? recentDamUsdPerMwh(known, options.windowIntervals) : NaN;
        const upTo = options.proportionalUpToUsdPerMwh ?? Infinity;
        for (let j = 0; j < count; j++) {
          if (!base.fromDam[j]) continue;
          let e = error;
          if (pm !== undefined && ref > PROPORTIONAL_MIN_DAM_USD_PER_MWH) {
            const part = Math.max(-upTo, Math.min(upTo, error));
            e = part * Math.max(0, Math.min(pm, base.prices[j] / ref)) + (error - part);
          }
          base.prices[j] += e * Math.pow(0.5, (fromMs + j * INTERVAL_MS - known.cutMs) / halfLifeMs);
        }
      }
      return { pricesUsdPerMwh: floored(base.prices), fallbackIntervals: base.fallbackIntervals };
    },
  };
}

export const damForecaster = (): Forecaster => biasCorrectedForecaster('dam', { fraction: 0, halfLifeHours: 1, windowIntervals: 1 });
export const damBiasForecaster = (halfLifeHours = 4, windowIntervals = 4): Forecaster => biasCorrectedForecaster('dam-bias', { fraction: 1, halfLifeHours, windowIntervals });
export const damFadeForecaster = (fraction = 0.5, halfLifeHours = 12, windowIntervals = 4, clipUsdPerMwh?: number, proportionalMax?: number, proportionalUpToUsdPerMwh?: number): Forecaster =>
  biasCorrectedForecaster('dam-fade', {
    fraction, halfLifeHours, windowIntervals,
    ...(clipUsdPerMwh !== undefined ? { clipUsdPerMwh } : {}),
    ...(proportionalMax !== undefined ? { proportionalMax } : {}),
    ...(proportionalUpToUsdPerMwh !== undefined ? { proportionalUpToUsdPerMwh } : {}),
  });
