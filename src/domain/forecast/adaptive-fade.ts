/**
 * `adaptive-fade-shape`: like `dam-fade-shape`, but how much of the recent real-time error (mean RT − DAM of the
 * last 4 settled intervals, clamped to ±100 $/MWh) carries to lead L is learned walk-forward: for leads of
 * 0.5, 1, 2, 4, 8, 12 and 24 h, the least-squares slope β(L) of the later error on the recent one over the last
 * `days` before the cut (clamped to [0, 1]); between those leads β is interpolated linearly (continuous in lead).
 * Plus the intra-hour shape. Months whose errors persist (scarcity evenings) get a strong, slow correction; months
 * whose excursions revert within the hour get almost none.
 */
import type { PriceForecast, TrainableForecaster, TrainingSummary } from '../ports/forecaster.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import { baseCurve, DAY_MS, floorPrice, recentErrorUsdPerMwh } from './dam-curve.js';
import { HourlyProfileForecaster } from './hourly-profile.js';
import type { KnownAt } from './known-at.js';

const LEADS_H = [0, 0.5, 1, 2, 4, 8, 12, 24];
const CLIP = 100;

export class AdaptiveFadeForecaster implements TrainableForecaster {
  readonly name = 'adaptive-fade';
  /** β per LEADS_H entry (β at lead 0 = β at 0.5 h). */
  readonly beta = new Float64Array(LEADS_H.length);

  constructor(private readonly days = 30) {}

  train(known: KnownAt): TrainingSummary {
    const sxx = new Float64Array(LEADS_H.length);
    const sxy = new Float64Array(LEADS_H.length);
    let rows = 0;
    let latestDataMs = -Infinity;
    const lastStart = Math.floor(known.cutMs / HOUR_MS) * HOUR_MS;
    for (let d = lastStart; d > known.cutMs - this.days * DAY_MS; d -= HOUR_MS) {
      const view = known.earlier(d - 60_000);
      const e = Math.max(-CLIP, Math.min(CLIP, recentErrorUsdPerMwh(view, 4)));
      for (let k = 1; k < LEADS_H.length; k++) {
        const target = d + LEADS_H[k] * HOUR_MS;
        const rt = known.realTimeUsdPerMwh(target);
        const dam = known.dayAheadUsdPerMwh(target);
        if (Number.isNaN(rt) || Number.isNaN(dam)) continue;
        sxx[k] += e * e;
        sxy[k] += e * Math.max(-CLIP, Math.min(CLIP, rt - dam));
        rows++;
        latestDataMs = Math.max(latestDataMs, target + INTERVAL_MS);
      }
    }
    for (let k = 1; k < LEADS_H.length; k++) this.beta[k] = sxx[k] > 0 ? Math.max(0, Math.min(1, sxy[k] / sxx[k])) : 0;
    this.beta[0] = this.beta[1];
    return { rows, latestDataMs };
  }

  private betaAt(leadH: number): number {
    if (leadH >= LEADS_H[LEADS_H.length - 1]) return this.beta[LEADS_H.length - 1];
    let k = 1;
    while (LEADS_H[k] < leadH) k++;
    const a = LEADS_H[k - 1];
    const w = (leadH - a) / (LEADS_H[k] - a);
    return this.beta[k - 1] * (1 - w) + this.beta[k] * w;
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const base = baseCurve(known, fromMs, count);
    const e = Math.max(-CLIP, Math.min(CLIP, recentErrorUsdPerMwh(known, 4)));
    for (let j = 0; j < count; j++) {
      if (base.fromDam[j]) base.prices[j] += e * this.betaAt(Math.max(0, (fromMs + j * INTERVAL_MS - known.cutMs) / HOUR_MS));
      base.prices[j] = floorPrice(base.prices[j]);
    }
    return { pricesUsdPerMwh: base.prices, fallbackIntervals: base.fallbackIntervals };
  }
}

export function adaptiveFadeShapeForecaster(): TrainableForecaster {
  return new HourlyProfileForecaster({ days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true }, 'adaptive-fade-shape', new AdaptiveFadeForecaster());
}
