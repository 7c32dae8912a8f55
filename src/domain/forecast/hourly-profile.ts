/**
 * Hourly profiles learned walk-forward on top of a base forecaster (by default `dam-fade`):
 * - `dam-fade-shape` (intra-hour shape only) and
 * - `spike-aware` (risk-aware planning through the forecast): a spike premium per local hour of day,
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

export interface HourlyProfileOptions {
  days: number;
  tailFromUsdPerMwh: number;
  /** Multiplier of the premium (1 = its expectation; 0 = none). */
  weight: number;
  /**
   * Also add the intra-hour shape: the mean of RT − (its hour's RT mean) per local hour and quarter hour over the
   * same days (DAM prices are hourly; real-time prices move within the hour in a repeatable way, e.g. ramps).
   */
  intraHourShape?: boolean;
  /** Apply the shape to the next interval too (default: from the second interval on, the recent error speaks for the next). */
  shapeOnNextInterval?: boolean;
  /**
   * How the shape sums up the days: 'mean' (default) of the hours without a > 200 $/MWh swing, or 'median' of every
   * complete hour (robust to spikes without a threshold; docs/forecast.md, "Fourth round").
   */
  shapeStatistic?: 'mean' | 'median';
}

export class HourlyProfileForecaster implements TrainableForecaster {
  readonly name: string;
  private readonly base: Forecaster;
  /** $/MWh per local hour of day (0–23). */
  readonly premium = new Float64Array(24);
  /** $/MWh per local hour × quarter (96). */
  readonly shape = new Float64Array(96);

  constructor(private readonly options: HourlyProfileOptions = { days: 60, tailFromUsdPerMwh: 50, weight: 1 }, name = 'spike-aware', base: Forecaster = damFadeForecaster()) {
    this.name = name;
    this.base = base;
  }

  train(known: KnownAt): TrainingSummary {
    if ('train' in this.base) (this.base as TrainableForecaster).train(known);
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
    if (this.options.intraHourShape) this.trainShape(known);
    return { rows, latestDataMs };
  }

  private trainShape(known: KnownAt): void {
    if (this.options.shapeStatistic === 'median') {
      this.trainMedianShape(known);
      return;
    }
    const sums = new Float64Array(96);
    const counts = new Float64Array(96);
    const lastHour = Math.floor(known.cutMs / HOUR_MS) * HOUR_MS - HOUR_MS;
    for (let hour = lastHour; hour > known.cutMs - this.options.days * DAY_MS; hour -= HOUR_MS) {
      const v = [0, 1, 2, 3].map((q) => known.realTimeUsdPerMwh(hour + q * INTERVAL_MS));
      if (v.some(Number.isNaN)) continue;
      const mean = (v[0] + v[1] + v[2] + v[3]) / 4;
      if (Math.max(...v) - Math.min(...v) > 200) continue; // a spike inside the hour is not a shape
      const slot = Math.floor(localTime(hour).minuteOfDay / 60) * 4;
      for (let q = 0; q < 4; q++) {
        sums[slot + q] += v[q] - mean;
        counts[slot + q]++;
      }
    }
    for (let i = 0; i < 96; i++) this.shape[i] = counts[i] ? sums[i] / counts[i] : 0;
  }

  /** The median, per local hour and quarter, of RT − its hour's RT mean over every complete hour of the last `days`. */
  private trainMedianShape(known: KnownAt): void {
    const deviations: number[][] = Array.from({ length: 96 }, () => []);
    const lastHour = Math.floor(known.cutMs / HOUR_MS) * HOUR_MS - HOUR_MS;
    for (let hour = lastHour; hour > known.cutMs - this.options.days * DAY_MS; hour -= HOUR_MS) {
      const v = [0, 1, 2, 3].map((q) => known.realTimeUsdPerMwh(hour + q * INTERVAL_MS));
      if (v.some(Number.isNaN)) continue;
      const mean = (v[0] + v[1] + v[2] + v[3]) / 4;
      const slot = Math.floor(localTime(hour).minuteOfDay / 60) * 4;
      for (let q = 0; q < 4; q++) deviations[slot + q].push(v[q] - mean);
    }
    for (let i = 0; i < 96; i++) this.shape[i] = median(deviations[i]);
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const f = this.base.forecast(known, fromMs, count);
    const out = Float64Array.from(f.pricesUsdPerMwh);
    for (let j = 0; j < count; j++) {
      const ms = fromMs + j * INTERVAL_MS;
      const next = ms - known.cutMs < HOUR_MS / 4; // the next interval: the recent error already speaks for it
      if (next && !this.options.shapeOnNextInterval) continue;
      const minute = localTime(ms).minuteOfDay;
      out[j] = floorPrice(out[j] + (next ? 0 : this.premium[Math.floor(minute / 60)]) + this.shape[Math.floor(minute / 15)]);
    }
    return { pricesUsdPerMwh: out, fallbackIntervals: f.fallbackIntervals };
  }
}

/** The median of a list (0 for an empty one); sorts the list. */
function median(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}
