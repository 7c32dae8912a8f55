/**
 * Forecast error metrics, on forecasts made at every whole hour over the next 24 hours against the settled prices:
 * - `maeUsdPerMwh`: mean absolute error over every (decision, lead);
 * - `spreadErrorUsdPerMwh`: mean |forecast spread − real spread| per decision, the spread being the mean of the 4
 *   dearest minus the mean of the 4 cheapest intervals of the horizon (what a battery earns on), in $/MWh;
 * - `spikeHitRate`: of the intervals whose real price reached SPIKE_USD_PER_MWH, the share that the forecast made
 *   1–2 hours before flagged (forecast ≥ SPIKE_FLAG_USD_PER_MWH); `falseAlarmRate` the share of flagged intervals
 *   (same leads) that were not spikes. Pure.
 */
import type { Forecaster } from '../ports/forecaster.js';
import { priceAt, type PriceSeries } from '../prices/price-series.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';
import { KnownAt, type MarketHistory } from './known-at.js';

export const SPIKE_USD_PER_MWH = 250;
export const SPIKE_FLAG_USD_PER_MWH = 100;
const HORIZON = 96;
const EXTREMES = 4;

export interface ForecastErrors {
  decisions: number;
  maeUsdPerMwh: number;
  spreadErrorUsdPerMwh: number;
  spikes: number;
  spikeHitRate: number | null;
  flagged: number;
  falseAlarmRate: number | null;
}

/** Accumulates sums so months can be pooled. */
export interface ErrorSums {
  decisions: number;
  absErrorSum: number;
  points: number;
  spreadErrorSum: number;
  spikes: number;
  hits: number;
  flagged: number;
  falseAlarms: number;
}

export const emptyErrorSums = (): ErrorSums => ({ decisions: 0, absErrorSum: 0, points: 0, spreadErrorSum: 0, spikes: 0, hits: 0, flagged: 0, falseAlarms: 0 });

function spread(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < EXTREMES; k++) {
    lo += s[k];
    hi += s[s.length - 1 - k];
  }
  return (hi - lo) / EXTREMES;
}

export function forecastErrorSums(forecaster: Forecaster, history: MarketHistory, actual: PriceSeries, startMs: number, endMs: number): ErrorSums {
  const sums = emptyErrorSums();
  for (let decisionStart = Math.ceil(startMs / HOUR_MS) * HOUR_MS; decisionStart + HORIZON * INTERVAL_MS <= endMs; decisionStart += HOUR_MS) {
    const f = forecaster.forecast(new KnownAt(history, decisionStart - MINUTE_MS), decisionStart, HORIZON).pricesUsdPerMwh;
    const a = new Float64Array(HORIZON);
    for (let j = 0; j < HORIZON; j++) a[j] = priceAt(actual, decisionStart + j * INTERVAL_MS);
    if (a.some(Number.isNaN)) continue;
    sums.decisions++;
    for (let j = 0; j < HORIZON; j++) {
      sums.absErrorSum += Math.abs(f[j] - a[j]);
      sums.points++;
      if (j >= 4 && j < 8) {
        const spike = a[j] >= SPIKE_USD_PER_MWH;
        const flag = f[j] >= SPIKE_FLAG_USD_PER_MWH;
        if (spike) sums.spikes++;
        if (spike && flag) sums.hits++;
        if (flag) sums.flagged++;
        if (flag && !spike) sums.falseAlarms++;
      }
    }
    sums.spreadErrorSum += Math.abs(spread(f) - spread(a));
  }
  return sums;
}

export function addErrorSums(a: ErrorSums, b: ErrorSums): ErrorSums {
  return {
    decisions: a.decisions + b.decisions, absErrorSum: a.absErrorSum + b.absErrorSum, points: a.points + b.points, spreadErrorSum: a.spreadErrorSum + b.spreadErrorSum,
    spikes: a.spikes + b.spikes, hits: a.hits + b.hits, flagged: a.flagged + b.flagged, falseAlarms: a.falseAlarms + b.falseAlarms,
  };
}

export function forecastErrors(s: ErrorSums): ForecastErrors {
  return {
    decisions: s.decisions,
    maeUsdPerMwh: s.points ? s.absErrorSum / s.points : NaN,
    spreadErrorUsdPerMwh: s.decisions ? s.spreadErrorSum / s.decisions : NaN,
    spikes: s.spikes,
    spikeHitRate: s.spikes ? s.hits / s.spikes : null,
    flagged: s.flagged,
    falseAlarmRate: s.flagged ? s.falseAlarms / s.flagged : null,
  };
}
