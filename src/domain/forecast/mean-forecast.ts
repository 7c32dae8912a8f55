/**
 * `mean(A|B|…)`: the mean of several forecasters' prices, interval by interval (a combination, not a selection: no
 * member is picked on results, so a grid of settings can be used without choosing one on the test months).
 * Trainable members are trained on the same view.
 */
import type { Forecaster, PriceForecast, TrainableForecaster, TrainingSummary } from '../ports/forecaster.js';
import type { KnownAt } from './known-at.js';

export class MeanForecaster implements TrainableForecaster {
  constructor(readonly name: string, private readonly members: (Forecaster | TrainableForecaster)[]) {
    if (members.length === 0) throw new RangeError(`${name}: no members`);
  }

  train(known: KnownAt): TrainingSummary {
    let rows = 0;
    let latestDataMs = -Infinity;
    for (const m of this.members) {
      if (!('train' in m)) continue;
      const s = m.train(known);
      rows += s.rows;
      latestDataMs = Math.max(latestDataMs, s.latestDataMs);
    }
    return { rows, latestDataMs: Number.isFinite(latestDataMs) ? latestDataMs : known.cutMs };
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const out = new Float64Array(count);
    let fallbackIntervals = 0;
    for (const m of this.members) {
      const f = m.forecast(known, fromMs, count);
      fallbackIntervals = Math.max(fallbackIntervals, f.fallbackIntervals);
      for (let j = 0; j < count; j++) out[j] += f.pricesUsdPerMwh[j] / this.members.length;
    }
    return { pricesUsdPerMwh: out, fallbackIntervals };
  }
}
