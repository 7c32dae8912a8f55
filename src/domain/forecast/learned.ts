/**
 * `learned`: the day-ahead curve plus a ridge regression of the real-time error (RT − curve) on features known at
 * the decision (features.ts), trained walk-forward: `train(known)` sees only what `known` shows, i.e. nothing after
 * its cut. Training samples: decisions every 3 hours over the last `trainingDays` before the cut, every other
 * 15-minute lead up to 24 h, targets clipped to ±TARGET_CLIP (one $5,000 interval must not set the slope of a year).
 * Normal equations are accumulated here; the linear algebra (regularised solve) is ml-matrix's.
 */
import { Matrix, solve } from 'ml-matrix';
import type { PriceForecast, TrainableForecaster, TrainingSummary } from '../ports/forecaster.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';
import { DAY_MS, floorPrice } from './dam-curve.js';
import { decisionFeatures, FEATURE_COUNT } from './features.js';
import type { KnownAt } from './known-at.js';

const TARGET_CLIP_USD_PER_MWH = 200;
const HORIZON = 96;
const DECISION_STEP_MS = 3 * HOUR_MS;
const LEAD_STEP = 2;

export interface LearnedOptions {
  trainingDays: number;
  /** Ridge penalty on standardised features, relative to the number of rows. */
  ridge: number;
}

export class LearnedForecaster implements TrainableForecaster {
  readonly name = 'learned';
  private mean = new Float64Array(FEATURE_COUNT);
  private scale = new Float64Array(FEATURE_COUNT).fill(1);
  /** Intercept first, then one weight per standardised feature; all zero until trained (= the DAM curve). */
  private weights = new Float64Array(FEATURE_COUNT + 1);

  constructor(private readonly options: LearnedOptions = { trainingDays: 365, ridge: 1e-3 }) {}

  get coefficients(): Float64Array {
    return Float64Array.from(this.weights);
  }

  train(known: KnownAt): TrainingSummary {
    const rows: { x: Float64Array; y: number }[] = [];
    let latestDataMs = -Infinity;
    const lastDecision = Math.floor((known.cutMs - HORIZON * INTERVAL_MS) / DECISION_STEP_MS) * DECISION_STEP_MS;
    for (let d = lastDecision; d > known.cutMs - this.options.trainingDays * DAY_MS; d -= DECISION_STEP_MS) {
      const view = known.earlier(d - MINUTE_MS);
      const f = decisionFeatures(view, d, HORIZON);
      for (let j = 0; j < HORIZON; j += LEAD_STEP) {
        const targetMs = d + j * INTERVAL_MS;
        const rt = known.realTimeUsdPerMwh(targetMs); // settled by the training cut, or NaN (then skipped)
        if (Number.isNaN(rt)) continue;
        latestDataMs = Math.max(latestDataMs, targetMs + INTERVAL_MS);
        const y = Math.max(-TARGET_CLIP_USD_PER_MWH, Math.min(TARGET_CLIP_USD_PER_MWH, rt - f.base[j]));
        rows.push({ x: f.x.slice(j * FEATURE_COUNT, (j + 1) * FEATURE_COUNT), y });
      }
    }
    if (rows.length < 10 * FEATURE_COUNT) return { rows: rows.length, latestDataMs }; // too little history: stays the DAM curve
    this.fit(rows);
    return { rows: rows.length, latestDataMs };
  }

  private fit(rows: { x: Float64Array; y: number }[]): void {
    const p = FEATURE_COUNT;
    for (let k = 0; k < p; k++) {
      let m = 0;
      for (const r of rows) m += r.x[k];
      m /= rows.length;
      let v = 0;
      for (const r of rows) v += (r.x[k] - m) ** 2;
      this.mean[k] = m;
      this.scale[k] = Math.sqrt(v / rows.length) || 1;
    }
    const x = new Matrix(rows.length, p + 1);
    const y = Matrix.columnVector(rows.map((r) => r.y));
    rows.forEach((r, i) => {
      x.set(i, 0, 1);
      for (let k = 0; k < p; k++) x.set(i, k + 1, (r.x[k] - this.mean[k]) / this.scale[k]);
    });
    const xt = x.transpose();
    const gram = xt.mmul(x);
    for (let k = 1; k <= p; k++) gram.set(k, k, gram.get(k, k) + this.options.ridge * rows.length);
    const beta = solve(gram, xt.mmul(y));
    this.weights = Float64Array.from(beta.getColumn(0));
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const f = decisionFeatures(known, fromMs, count);
    const out = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      let v = this.weights[0];
      for (let k = 0; k < FEATURE_COUNT; k++) v += this.weights[k + 1] * ((f.x[j * FEATURE_COUNT + k] - this.mean[k]) / this.scale[k]);
      out[j] = floorPrice(f.base[j] + v);
    }
    return { pricesUsdPerMwh: out, fallbackIntervals: f.fallbackIntervals };
  }
}
