/**
 * The building blocks of the 'dp' solver, written once: the per-interval cost of moving SoC, its split into convex
 * branches, the convex piecewise-linear value function (Pwl) with the infimal-convolution MERGE, the CLIP to SoC
 * bounds, the merge history and the FORWARD step that recovers the next SoC from it.
 *
 * For interval t, the cost of moving SoC by Δ with ONE mode (Δ > 0: charge Δ/kc, Δ < 0: discharge −Δ/kd) is
 *   g_t(Δ) = h·(pImp·max(net,0) − pExp·max(−net,0)) + deg_t·h·d,   net = load − solar + c − d,
 * piecewise linear with at most 4 pieces (kinks at Δ = 0 and where net crosses 0). A value function
 * V_t(s) = min_y g_t(y − s) + V_{t+1}(y) is the infimal convolution of V_{t+1} with ǧ_t(z) = g_t(−z): for convex
 * pieces its domain is the sum of the domains and its slope list the MERGE of both sorted slope lists.
 */
import { nextSocKwh } from '../battery/battery.js';
import { gridFlowsKw } from '../economics/site-cost.js';
import type { PlanModel, RawSolution } from './model.js';

/** The dp's tolerances, in one place. */
export const DP_TOLERANCE = {
  /** Relative slope difference below which two pieces count as one convex run (float noise). */
  slopeRelative: 1e-12,
  /** kWh: a value-function domain may be this much empty before it is infeasible; domain containment slack. */
  domainKwh: 1e-9,
  /** Relative value difference for dominance between bundle members. */
  valueRelative: 1e-9,
  /** kWh: a day's discharge this close to its cycles cap counts as at the cap (the verifier allows 1e-9 cycles). */
  capKwh: 1e-10,
} as const;

/** One interval's cost g_t: up to 4 pieces in increasing Δ, starting at Δ = deltaMin with value valueAtMin. */
export interface IntervalCost {
  /** Pieces [0, nDischarge) are the discharge side (Δ ≤ 0), the rest the charge side. */
  nDischarge: number;
  len: Float64Array;
  slope: Float64Array;
  count: number;
  deltaMin: number;
  valueAtMin: number;
}

export function newIntervalCost(): IntervalCost {
  return { nDischarge: 0, len: new Float64Array(4), slope: new Float64Array(4), count: 0, deltaMin: 0, valueAtMin: 0 };
}

/** Fills `out` with the pieces of g_t in increasing Δ; `degUsdPerKwh` is charged per AC kWh discharged. */
export function intervalCost(m: PlanModel, t: number, out: IntervalCost, degUsdPerKwh = m.degradationUsdPerKwh): void {
  const h = m.intervalHours;
  const kc = m.k.kwhPerChargeKw;
  const kd = m.k.kwhPerDischargeKw;
  const a = m.netLoadKw[t];
  const pi = m.importUsdPerKwh[t];
  const pe = m.exportUsdPerKwh[t];
  const cMax = m.maxChargeKw;
  const dMax = m.maxDischargeKw[t];
  const { len, slope } = out;
  let c = 0;
  const piece = (kw: number, usdPerKwh: number, kwhPerKw: number): void => {
    len[c] = kw * kwhPerKw;
    slope[c++] = (h * usdPerKwh) / kwhPerKw;
  };
  // discharge side, from the most discharge up to Δ = 0 (energy to the grid first, then covering the home)
  if (dMax > 0) {
    if (a <= 0) piece(dMax, pe - degUsdPerKwh, kd);
    else if (a < dMax) {
      piece(dMax - a, pe - degUsdPerKwh, kd);
      piece(a, pi - degUsdPerKwh, kd);
    } else piece(dMax, pi - degUsdPerKwh, kd);
  }
  out.nDischarge = c;
  // charge side, from Δ = 0 up (absorbing the solar surplus first, then importing)
  if (cMax > 0) {
    if (a >= 0) piece(cMax, pi, kc);
    else if (-a < cMax) {
      piece(-a, pe, kc);
      piece(cMax + a, pi, kc);
    } else piece(cMax, pe, kc);
  }
  out.count = c;
  out.deltaMin = -dMax * kd;
  let v = h * (a > 0 ? pi * a : pe * a); // g(0)
  for (let j = 0; j < out.nDischarge; j++) v -= len[j] * slope[j];
  out.valueAtMin = v;
}

function slopeDrops(g: IntervalCost, j: number): boolean {
  return g.slope[j] < g.slope[j - 1] - DP_TOLERANCE.slopeRelative * Math.max(1, Math.abs(g.slope[j - 1]));
}

export function isConvex(g: IntervalCost): boolean {
  for (let j = 1; j < g.count; j++) if (slopeDrops(g, j)) return false;
  return true;
}

/** True when every interval's one-mode cost g_t is convex (one value function suffices). */
export function intervalCostIsConvex(m: PlanModel): boolean {
  const g = newIntervalCost();
  for (let t = 0; t < m.n; t++) {
    intervalCost(m, t, g);
    if (!isConvex(g)) return false;
  }
  return true;
}

/** A convex run of g's pieces [from, to), starting at Δ = deltaMin with value valueAtMin. */
export interface Branch {
  from: number;
  to: number;
  deltaMin: number;
  valueAtMin: number;
}

/**
 * g as the minimum of convex branches: g is cut at every kink where its slope drops (burning energy would pay, or
 * import is cheaper than export), each run between cuts is convex, and g = min over runs (each +∞ off its domain).
 * Writes into `out` (at least 4 long) and returns the count; a convex g is one branch.
 */
export function convexBranches(g: IntervalCost, out: Branch[]): number {
  let nb = 0;
  let from = 0;
  let delta = g.deltaMin;
  let value = g.valueAtMin;
  let startDelta = delta;
  let startValue = value;
  for (let j = 0; j <= g.count; j++) {
    if (j === g.count || (j > 0 && slopeDrops(g, j))) {
      const b = out[nb++];
      b.from = from;
      b.to = j;
      b.deltaMin = startDelta;
      b.valueAtMin = startValue;
      from = j;
      startDelta = delta;
      startValue = value;
    }
    if (j < g.count) {
      delta += g.len[j];
      value += g.len[j] * g.slope[j];
    }
  }
  return nb;
}

export function newBranches(): Branch[] {
  return Array.from({ length: 5 }, () => ({ from: 0, to: 0, deltaMin: 0, valueAtMin: 0 }));
}

/** A convex piecewise-linear function on [x0, x0 + width], width = Σ len[start..end): value v0 at x0, slopes increasing. */
export interface Pwl {
  x0: number;
  v0: number;
  width: number;
  len: Float64Array;
  slope: Float64Array;
  start: number;
  end: number;
}

export function newPwl(capacity = 64): Pwl {
  return { x0: 0, v0: 0, width: 0, len: new Float64Array(capacity), slope: new Float64Array(capacity), start: 0, end: 0 };
}

/** Makes room for `k` pieces (contents are not kept: callers fill the function afterwards). */
export function reservePwl(f: Pwl, k: number): void {
  if (f.len.length >= k) return;
  const size = Math.max(k, f.len.length * 2);
  f.len = new Float64Array(size);
  f.slope = new Float64Array(size);
}

/** V_n(s) = −terminal·s on [lb_n, ub_n]. */
export function terminalPwl(m: PlanModel, f: Pwl): void {
  const lo = m.socLowerKwh[m.n];
  const hi = m.socUpperKwh[m.n];
  f.x0 = lo;
  f.v0 = -m.terminalUsdPerKwh * lo;
  f.start = 0;
  f.end = 0;
  f.width = 0;
  if (hi > lo) {
    f.width = hi - lo;
    f.len[0] = hi - lo;
    f.slope[0] = -m.terminalUsdPerKwh;
    f.end = 1;
  }
}

export function rightEnd(f: Pwl): number {
  return f.x0 + f.width;
}

export function valueAt(f: Pwl, x: number): number {
  let v = f.v0;
  let rem = x - f.x0;
  for (let q = f.start; q < f.end && rem > 0; q++) {
    const take = f.len[q] < rem ? f.len[q] : rem;
    v += take * f.slope[q];
    rem -= take;
  }
  return v;
}

/** The merge order of one convolution: lengths and whether each came from W (0) or from ǧ (1). Growable. */
export class MergeHistory {
  len = new Float64Array(4096);
  src = new Uint8Array(4096);
  top = 0;

  reserve(extra: number): void {
    const need = this.top + extra;
    if (this.len.length >= need) return;
    const size = Math.max(need, this.len.length * 2);
    const len = new Float64Array(size);
    len.set(this.len.subarray(0, this.top));
    const src = new Uint8Array(size);
    src.set(this.src.subarray(0, this.top));
    this.len = len;
    this.src = src;
  }
}

/**
 * MERGE: out = W □ ǧ_b (infimal convolution of W with the reflected branch b of g), recording the merge order in
 * `hist` from hist.top on. Returns the left end of out before clipping (the forward step needs it).
 */
export function convolve(w: Pwl, g: IntervalCost, b: Branch, out: Pwl, hist: MergeHistory): number {
  let deltaMax = b.deltaMin;
  let gAtMax = b.valueAtMin;
  for (let j = b.from; j < b.to; j++) {
    deltaMax += g.len[j];
    gAtMax += g.len[j] * g.slope[j];
  }
  const pieces = w.end - w.start + b.to - b.from;
  reservePwl(out, pieces);
  hist.reserve(pieces);
  const { len: inLen, slope: inSlope } = w;
  const { len: outLen, slope: outSlope } = out;
  const { len: hLen, src: hSrc } = hist;
  let top = hist.top;
  let i = w.start;
  let j = b.to - 1;
  let o = 0;
  let width = 0;
  while (i < w.end || j >= b.from) {
    const fromW = j < b.from || (i < w.end && inSlope[i] <= -g.slope[j]);
    const l = fromW ? inLen[i] : g.len[j];
    const s = fromW ? inSlope[i++] : -g.slope[j--];
    if (l <= 0) continue;
    width += l;
    // equal slopes (e.g. hourly prices repeated over four intervals) make one piece of the value function
    if (o > 0 && outSlope[o - 1] === s) outLen[o - 1] += l;
    else {
      outLen[o] = l;
      outSlope[o++] = s;
    }
    hLen[top] = l;
    hSrc[top++] = fromW ? 0 : 1;
  }
  hist.top = top;
  out.x0 = w.x0 - deltaMax;
  out.v0 = w.v0 + gAtMax;
  out.start = 0;
  out.end = o;
  out.width = width;
  return out.x0;
}

/** CLIP: restricts f to [lo, hi] in place; false when the intersection is empty (beyond DP_TOLERANCE.domainKwh). */
export function clipPwl(f: Pwl, lo: number, hi: number): boolean {
  const left = Math.max(f.x0, lo);
  let right = Math.min(rightEnd(f), hi);
  if (left > right + DP_TOLERANCE.domainKwh) return false;
  if (right < left) right = left;
  const { len, slope } = f;
  let need = left - f.x0;
  let s = f.start;
  while (need > 0 && s < f.end) {
    if (len[s] <= need) {
      f.v0 += len[s] * slope[s];
      need -= len[s++];
    } else {
      len[s] -= need;
      f.v0 += need * slope[s];
      need = 0;
    }
  }
  const keep = right - left;
  let width = keep;
  let e = s;
  while (e < f.end && width > 0) {
    if (len[e] >= width) len[e] = width;
    width -= len[e++];
  }
  f.x0 = left;
  f.width = keep;
  f.start = s;
  f.end = e;
  return true;
}

/** FORWARD step: the optimal next SoC for SoC s, replaying a recorded merge (convX0, wX0, hist[hs, he)). */
export function nextSocFromMerge(s: number, convX0: number, wX0: number, hist: MergeHistory, hs: number, he: number, lo: number, hi: number): number {
  let remaining = s - convX0;
  let yW = 0;
  for (let q = hs; q < he && remaining > 0; q++) {
    const take = hist.len[q] < remaining ? hist.len[q] : remaining;
    if (hist.src[q] === 0) yW += take;
    remaining -= take;
  }
  const y = wX0 + yW;
  return y < lo ? lo : y > hi ? hi : y;
}

/** Builds a schedule by stepping THE recursion towards the SoC targets `nextSoc(t, s)` gives, one mode per interval. */
export function scheduleFromTargets(m: PlanModel, nextSoc: (t: number, socKwh: number) => number): Omit<RawSolution, 'objectiveUsd'> {
  const n = m.n;
  const chargeKw = new Float64Array(n);
  const dischargeKw = new Float64Array(n);
  const gridImportKw = new Float64Array(n);
  const gridExportKw = new Float64Array(n);
  const socKwh = new Float64Array(n + 1);
  const kc = m.k.kwhPerChargeKw;
  const kd = m.k.kwhPerDischargeKw;
  let s = m.initialSocKwh;
  socKwh[0] = s;
  for (let t = 0; t < n; t++) {
    const delta = nextSoc(t, s) - s;
    const c = delta > 0 ? Math.min(m.maxChargeKw, delta / kc) : 0;
    const d = delta < 0 ? Math.min(m.maxDischargeKw[t], -delta / kd) : 0;
    chargeKw[t] = c;
    dischargeKw[t] = d;
    s = nextSocKwh(s, c, d, m.k);
    socKwh[t + 1] = s;
    const grid = gridFlowsKw({ loadKw: m.netLoadKw[t], solarKw: 0, chargeKw: c, dischargeKw: d });
    gridImportKw[t] = grid.importKw;
    gridExportKw[t] = grid.exportKw;
  }
  return { chargeKw, dischargeKw, gridImportKw, gridExportKw, socKwh };
}

/** The model's objective of a schedule (site cost + degradation − terminal value), in the model's own terms. */
export function modelObjectiveUsd(m: PlanModel, s: Omit<RawSolution, 'objectiveUsd'>): number {
  const h = m.intervalHours;
  let total = 0;
  for (let t = 0; t < m.n; t++) {
    total += h * (m.importUsdPerKwh[t] * s.gridImportKw[t] - m.exportUsdPerKwh[t] * s.gridExportKw[t] + m.degradationUsdPerKwh * s.dischargeKw[t]);
  }
  return total - m.terminalUsdPerKwh * s.socKwh[m.n];
}
