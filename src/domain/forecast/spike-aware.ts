/**
 * `spike-aware` (risk-aware planning through the forecast): `dam-fade` plus a spike premium per local hour of day,
 * the mean upside tail of the real-time error at that hour over the last `days` before the training cut:
 * mean(max(0, RT − DAM − tailFrom)). The optimizer then sees that energy held for spike-prone hours is worth the
 * probability-weighted spike, and holds some back instead of selling it all at the day-ahead peak. The premium is a
 * function of the target's hour of day only (never of lead time). Trained walk-forward like `learned`.
 */
import type { Forecaster, PriceForecast, TrainableForecaster, TrainingSummary } from '../ports/forecaster.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import { DAY_MS, floorPrice } from './dam-curve.js';
import { localTime } from './features.js';
import type { KnownAt } from './known-at.js';
import { damFadeForecaster } from './simple-forecasters.js';

export interface SpikeAwareOptions {
  days: number;
  tailFromUsdPerMwh: number;
  /** Multiplier of the premium (1 = its expectation). */
  weight: number;
}

export class SpikeAwareForecaster implements TrainableForecaster {
  readonly name: string;
  private readonly base: Forecaster = damFadeForecaster();
  /** $/MWh per local hour of day (0–23). */
  readonly premium = new Float64Array(24);

  constructor(private readonly options: SpikeAwareOptions = { days: 60, tailFromUsdPerMwh: 50, weight: 1 }, name = 'spike-aware') {
    this.name = name;
  }

  train(known: KnownAt): TrainingSummary {
    const sums = new Float64Array(24);
    const counts = new Float64Array(24);
    let latestDataMs = -Infinity;
    let rows = 0;
    const last = known.lastSettledStartMs();
    for (let ms = last; ms > known.cutMs - this.options.days * DAY_MS; ms -= INTERVAL_MS) {
      const rt = known.realTimeUsdPerMwh(ms);
      const dam = known.dayAheadUsdPerMwh(ms);
      if (Number.isNaN(rt) || Number.isNaN(dam)) continue;
      const h = Math.floor(localTime(ms).minuteOfDay / 60);
      sums[h] += Math.max(0, rt - dam - this.options.tailFromUsdPerMwh);
      counts[h]++;
      rows++;
      latestDataMs = Math.max(latestDataMs, ms + INTERVAL_MS);
    }
    for (let h = 0; h < 24; h++) this.premium[h] = counts[h] ? (this.options.weight * sums[h]) / counts[h] : 0;
    return { rows, latestDataMs };
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const f = this.base.forecast(known, fromMs, count);
    const out = Float64Array.from(f.pricesUsdPerMwh);
    for (let j = 0; j < count; j++) {
      const ms = fromMs + j * INTERVAL_MS;
      if (ms - known.cutMs < HOUR_MS / 4) continue; // the next interval: the recent error already speaks for it
      out[j] = floorPrice(out[j] + this.premium[Math.floor(localTime(ms).minuteOfDay / 60)]);
    }
    return { pricesUsdPerMwh: out, fallbackIntervals: f.fallbackIntervals };
  }
}
