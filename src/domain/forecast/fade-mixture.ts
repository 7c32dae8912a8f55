/**
 * A weighted mixture of recent-error corrections of the DAM curve in one pass: the same prices as the mean of the
 * members' `dam-fade` forecasts (each member floored, then the weighted mean), but the DAM curve, the recent error
 * and the fade factors are computed once per forecast instead of once per member, so a grid of 27 settings costs
 * about one forecast instead of 27 (docs/forecast.md, "Third round"). Where no member's price can reach the floor
 * (the usual case), the members' corrections are summed per half-life instead of member by member (a few terms per
 * interval instead of 27; the same prices up to rounding).
 */
import type { Forecaster, PriceForecast } from '../ports/forecaster.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import { baseCurve, floorPrice, FORECAST_FLOOR_USD_PER_MWH, recentDamUsdPerMwh, recentErrorUsdPerMwh } from './dam-curve.js';
import type { KnownAt } from './known-at.js';
import { PROPORTIONAL_MIN_DAM_USD_PER_MWH, type BiasCorrectionOptions } from './simple-forecasters.js';

/**
 * The grid the mixture averages by default: fraction ∈ {½, ¾, 1} × half-life ∈ {3, 6, 12} h × {additive,
 * proportional up to 1×, proportional up to 3× for the first ±25 $/MWh}, window 4 intervals, error clamped ±100.
 */
export const FADE_GRID: BiasCorrectionOptions[] = [0.5, 0.75, 1].flatMap((fraction) =>
  [3, 6, 12].flatMap((halfLifeHours) =>
    [{}, { proportionalMax: 1 }, { proportionalMax: 3, proportionalUpToUsdPerMwh: 25 }].map((p) => ({ fraction, halfLifeHours, windowIntervals: 4, clipUsdPerMwh: 100, ...p })),
  ),
);

/** The `dam-fade:` spec of a grid member (how `forecast evaluate` names the same setting alone). */
export function fadeSpec(o: BiasCorrectionOptions): string {
  const p = o.proportionalMax !== undefined ? `,prop=${o.proportionalMax}${o.proportionalUpToUsdPerMwh !== undefined ? `,propUpTo=${o.proportionalUpToUsdPerMwh}` : ''}` : '';
  return `dam-fade:fraction=${o.fraction},halfLifeHours=${o.halfLifeHours},windowIntervals=${o.windowIntervals}${o.clipUsdPerMwh !== undefined ? `,clip=${o.clipUsdPerMwh}` : ''}${p}`;
}

export class FadeMixtureForecaster implements Forecaster {
  /** Normalised weights (Σ = 1), one per member; replace with `setWeights`. */
  readonly weights: Float64Array;
  private readonly decayCache = new Map<string, Float64Array>();

  constructor(readonly name: string, readonly members: BiasCorrectionOptions[] = FADE_GRID, weights?: ArrayLike<number>) {
    if (members.length === 0) throw new RangeError(`${name}: no members`);
    for (const m of members) if (!(m.halfLifeHours > 0) || !(m.windowIntervals >= 1)) throw new RangeError(`${name}: half-life must be > 0 and window ≥ 1`);
    this.weights = new Float64Array(members.length).fill(1 / members.length);
    if (weights) this.setWeights(weights);
  }

  /** Sets the members' weights (non-negative, not all 0; normalised to Σ = 1). */
  setWeights(weights: ArrayLike<number>): void {
    if (weights.length !== this.members.length) throw new RangeError(`${this.name}: ${weights.length} weights for ${this.members.length} members`);
    let sum = 0;
    for (let k = 0; k < weights.length; k++) {
      if (!(weights[k] >= 0) || !Number.isFinite(weights[k])) throw new RangeError(`${this.name}: weight ${k} is ${weights[k]}`);
      sum += weights[k];
    }
    if (!(sum > 0)) throw new RangeError(`${this.name}: weights sum to 0`);
    for (let k = 0; k < weights.length; k++) this.weights[k] = weights[k] / sum;
  }

  /**
   * 0.5^(lead / half-life) for each interval of a forecast, cached by (first lead, half-life) at the longest count
   * asked so far (a horizon that varies with the published DAM reuses it as a prefix).
   */
  private decay(firstLeadMs: number, count: number, halfLifeHours: number): Float64Array {
    const key = `${firstLeadMs}/${halfLifeHours}`;
    let d = this.decayCache.get(key);
    if (!d || d.length < count) {
      d = new Float64Array(Math.max(count, d?.length ?? 0));
      for (let j = 0; j < d.length; j++) d[j] = Math.pow(0.5, (firstLeadMs + j * INTERVAL_MS) / (halfLifeHours * HOUR_MS));
      if (this.decayCache.size > 64) this.decayCache.clear();
      this.decayCache.set(key, d);
    }
    return d.length === count ? d : d.subarray(0, count);
  }

  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast {
    const base = baseCurve(known, fromMs, count);
    const out = new Float64Array(count);
    const firstLeadMs = fromMs - known.cutMs;
    const errors = new Map<number, number>();
    const refs = new Map<number, number>();
    const decays = new Map<number, Float64Array>();
    // Each member's correction at interval j is decay_k[j] · (additive_k + part_k · clamp(b_j / ref, 0, pm_k)).
    const members: { w: number; decay: Float64Array | null; additive: number; part: number; pm: number; ref: number }[] = [];
    // The largest correction any member can add or subtract (decay ≤ 1): where b − maxAbs ≥ the floor, no member's
    // price is floored and the weighted mean is b + Σ corrections, summed per half-life (the fast path).
    let maxAbs = 0;
    let ref = NaN;
    for (let k = 0; k < this.members.length; k++) {
      const m = this.members[k];
      const w = this.weights[k];
      if (w === 0) continue;
      if (!errors.has(m.windowIntervals)) errors.set(m.windowIntervals, recentErrorUsdPerMwh(known, m.windowIntervals));
      const clip = m.clipUsdPerMwh ?? Infinity;
      const error = m.fraction * Math.max(-clip, Math.min(clip, errors.get(m.windowIntervals)!));
      const pm = m.proportionalMax;
      let r = NaN;
      if (pm !== undefined && error !== 0) {
        if (!refs.has(m.windowIntervals)) refs.set(m.windowIntervals, recentDamUsdPerMwh(known, m.windowIntervals));
        r = refs.get(m.windowIntervals)!;
      }
      const proportional = pm !== undefined && r > PROPORTIONAL_MIN_DAM_USD_PER_MWH;
      const upTo = m.proportionalUpToUsdPerMwh ?? Infinity;
      const part = proportional ? Math.max(-upTo, Math.min(upTo, error)) : 0;
      if (proportional) ref = r; // members of one window share it; with several windows every interval takes the exact path
      let decay: Float64Array | null = null;
      if (error !== 0) {
        // one array per half-life, so the fast path below groups members by it
        decay = decays.get(m.halfLifeHours) ?? this.decay(firstLeadMs, count, m.halfLifeHours);
        decays.set(m.halfLifeHours, decay);
      }
      members.push({ w, decay, additive: error - part, part, pm: proportional ? pm! : 0, ref: r });
      maxAbs = Math.max(maxAbs, Math.abs(error - part) + Math.abs(part) * (proportional ? pm! : 0));
    }
    const oneRef = refs.size <= 1;
    // the fast path's terms, grouped by decay (half-life): Σ w·additive and, per ratio limit, Σ w·part
    const groups = new Map<Float64Array, { additive: number; parts: Map<number, number> }>();
    for (const m of members) {
      if (!m.decay) continue;
      let g = groups.get(m.decay);
      if (!g) groups.set(m.decay, (g = { additive: 0, parts: new Map() }));
      g.additive += m.w * m.additive;
      if (m.part !== 0) g.parts.set(m.pm, (g.parts.get(m.pm) ?? 0) + m.w * m.part);
    }
    const terms = [...groups].map(([decay, g]) => ({ decay, additive: g.additive, parts: [...g.parts] }));
    for (let j = 0; j < count; j++) {
      const b = base.prices[j];
      if (!base.fromDam[j]) {
        out[j] = floorPrice(b);
        continue;
      }
      if (oneRef && b - maxAbs >= FORECAST_FLOOR_USD_PER_MWH) {
        let v = b;
        for (const t of terms) {
          let c = t.additive;
          for (const [pm, wp] of t.parts) c += wp * Math.max(0, Math.min(pm, b / ref));
          v += c * t.decay[j];
        }
        out[j] = v;
        continue;
      }
      let v = 0;
      for (const m of members) {
        if (!m.decay) {
          v += m.w * floorPrice(b);
          continue;
        }
        const e = m.pm > 0 ? m.part * Math.max(0, Math.min(m.pm, b / m.ref)) + m.additive : m.additive;
        v += m.w * floorPrice(b + e * m.decay[j]);
      }
      out[j] = v;
    }
    return { pricesUsdPerMwh: out, fallbackIntervals: base.fallbackIntervals };
  }
}
