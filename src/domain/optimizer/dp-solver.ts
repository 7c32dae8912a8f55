/**
 * 'dp': exact dynamic programming over the one-dimensional state (SoC) with piecewise-linear convex value functions.
 *
 * For each interval t, the cost of moving SoC by Δ with ONE mode (Δ > 0: charge Δ/kc, Δ < 0: discharge −Δ/kd) is
 *   g_t(Δ) = h·(pImp·max(net,0) − pExp·max(−net,0)) + deg·h·d,   net = load − solar + c − d,
 * a piecewise-linear function with at most 4 pieces (kinks at Δ = 0 and where net crosses 0). When every g_t is
 * convex (checked exactly, see `intervalCostIsConvex`), the value functions
 *   V_n(s) = −terminal·s on [lb_n, ub_n],  V_t(s) = min_y g_t(y − s) + V_{t+1}(y) restricted to [lb_t, ub_t]
 * are convex and piecewise linear; V_t is the infimal convolution of V_{t+1} with ǧ_t(z) = g_t(−z): its domain is the
 * sum of the domains and its slope list is the MERGE of both sorted slope lists. Each backward step merges ≤ 4
 * segments into the sorted list and clips it to the SoC bounds; the forward pass replays the recorded merge order to
 * recover y for the actual s. Exact (no discretisation).
 *
 * Non-convex g_t (negative effective price strong enough that charging while discharging would pay): dp-bundle.ts,
 * exact, may decline (SolverDeclined) when its bundle grows too large or import is cheaper than export.
 * Not supported (supports() = false, the planner falls back to the MIP): the cycles-per-day cap (including the
 * reduced first-day allowance from PlanInput.dischargedTodayKwh; any model with cycleCapKwh goes to the fallback).
 */
import { nextSocKwh } from '../battery/battery.js';
import { solveBundle } from './dp-bundle.js';
import type { PlanModel, PlanSolver, RawSolution } from './model.js';

const SLOPE_TOLERANCE = 1e-12;

/** Scratch for one interval's cost function: up to 4 pieces, in increasing Δ. */
export interface IntervalCost {
  /** Pieces [0, nDischarge) are the discharge side (Δ ≤ 0), the rest the charge side. */
  nDischarge: number;
  len: Float64Array;
  slope: Float64Array;
  count: number;
  /** Δ at the left end (most discharge). */
  deltaMin: number;
  /** g(deltaMin). */
  valueAtMin: number;
}

export function newIntervalCost(): IntervalCost {
  return { nDischarge: 0, len: new Float64Array(4), slope: new Float64Array(4), count: 0, deltaMin: 0, valueAtMin: 0 };
}

/** Fills `out` with the pieces of g_t in increasing Δ. */
export function intervalCost(m: PlanModel, t: number, out: IntervalCost): void {
  const h = m.intervalHours;
  const kc = m.k.kwhPerChargeKw;
  const kd = m.k.kwhPerDischargeKw;
  const a = m.netLoadKw[t];
  const pi = m.importUsdPerKwh[t];
  const pe = m.exportUsdPerKwh[t];
  const deg = m.degradationUsdPerKwh;
  const cMax = m.maxChargeKw;
  const dMax = m.maxDischargeKw[t];
  let c = 0;
  const len = out.len;
  const slope = out.slope;
  // discharge side, from the most discharge up to Δ = 0
  if (dMax > 0) {
    if (a <= 0) {
      len[c] = dMax * kd; slope[c++] = (h * (pe - deg)) / kd;
    } else if (a < dMax) {
      len[c] = (dMax - a) * kd; slope[c++] = (h * (pe - deg)) / kd;
      len[c] = a * kd; slope[c++] = (h * (pi - deg)) / kd;
    } else {
      len[c] = dMax * kd; slope[c++] = (h * (pi - deg)) / kd;
    }
  }
  // charge side, from Δ = 0 up
  if (cMax > 0) {
    if (a >= 0) {
      len[c] = cMax * kc; slope[c++] = (h * pi) / kc;
    } else if (-a < cMax) {
      len[c] = -a * kc; slope[c++] = (h * pe) / kc;
      len[c] = (cMax + a) * kc; slope[c++] = (h * pi) / kc;
    } else {
      len[c] = cMax * kc; slope[c++] = (h * pe) / kc;
    }
  }
  const nDischargePieces = dMax > 0 ? (a > 0 && a < dMax ? 2 : 1) : 0;
  out.count = c;
  out.nDischarge = nDischargePieces;
  const g0 = h * (a > 0 ? pi * a : pe * a);
  const dischargeEnergy = dMax * kd;
  out.deltaMin = -dischargeEnergy;
  // g(deltaMin) = g(0) − ∫ over the discharge pieces
  let v = g0;
  for (let j = 0; j < nDischargePieces; j++) v -= len[j] * slope[j];
  out.valueAtMin = v;
}

export function isConvex(g: IntervalCost): boolean {
  for (let j = 1; j < g.count; j++) {
    const tol = SLOPE_TOLERANCE * Math.max(1, Math.abs(g.slope[j - 1]));
    if (g.slope[j] < g.slope[j - 1] - tol) return false;
  }
  return true;
}

/** True when every interval's one-mode cost g_t is convex (the DP is then exact). */
export function intervalCostIsConvex(m: PlanModel): boolean {
  const g = newIntervalCost();
  for (let t = 0; t < m.n; t++) {
    intervalCost(m, t, g);
    if (!isConvex(g)) return false;
  }
  return true;
}

/** Growable typed-array storage reused across solves (no allocation in the hot loop once warm). */
class Buffers {
  segLenA = new Float64Array(256);
  segSlopeA = new Float64Array(256);
  segLenB = new Float64Array(256);
  segSlopeB = new Float64Array(256);
  histLen = new Float64Array(4096);
  histSrc = new Uint8Array(4096);
  histStart = new Int32Array(256);
  histCount = new Int32Array(256);
  convX0 = new Float64Array(256);
  wX0 = new Float64Array(256);

  ensureSteps(n: number): void {
    if (this.histStart.length < n) {
      const size = Math.max(n, this.histStart.length * 2);
      this.histStart = new Int32Array(size);
      this.histCount = new Int32Array(size);
      this.convX0 = new Float64Array(size);
      this.wX0 = new Float64Array(size);
    }
  }

  ensureSegments(k: number): void {
    if (this.segLenA.length < k) {
      const size = Math.max(k, this.segLenA.length * 2);
      const grow = (a: Float64Array): Float64Array<ArrayBuffer> => {
        const b = new Float64Array(size);
        b.set(a);
        return b;
      };
      this.segLenA = grow(this.segLenA);
      this.segSlopeA = grow(this.segSlopeA);
      this.segLenB = grow(this.segLenB);
      this.segSlopeB = grow(this.segSlopeB);
    }
  }

  ensureHistory(k: number): void {
    if (this.histLen.length < k) {
      const size = Math.max(k, this.histLen.length * 2);
      const len = new Float64Array(size);
      len.set(this.histLen);
      const src = new Uint8Array(size);
      src.set(this.histSrc);
      this.histLen = len;
      this.histSrc = src;
    }
  }
}

export class DpSolver implements PlanSolver {
  readonly name = 'dp';
  private readonly buf = new Buffers();
  private readonly g = newIntervalCost();

  supports(model: PlanModel): boolean {
    return model.cycleCapKwh === null;
  }

  solve(m: PlanModel): RawSolution {
    if (!intervalCostIsConvex(m)) return solveBundle(m);
    const n = m.n;
    const buf = this.buf;
    const g = this.g;
    buf.ensureSteps(n);
    const lb = m.socLowerKwh;
    const ub = m.socUpperKwh;
    // V_n
    let x0 = lb[n];
    let v0 = -m.terminalUsdPerKwh * lb[n];
    let cur = 0; // 0 → A holds W, 1 → B holds W
    let start = 0;
    let end = 0;
    if (ub[n] - lb[n] > 0) {
      buf.segLenA[0] = ub[n] - lb[n];
      buf.segSlopeA[0] = -m.terminalUsdPerKwh;
      end = 1;
    }
    let histTop = 0;
    for (let t = n - 1; t >= 0; t--) {
      intervalCost(m, t, g);
      const wCount = end - start;
      buf.ensureSegments(wCount + 4);
      buf.ensureHistory(histTop + wCount + 4);
      const inLen = cur === 0 ? buf.segLenA : buf.segLenB;
      const inSlope = cur === 0 ? buf.segSlopeA : buf.segSlopeB;
      const outLen = cur === 0 ? buf.segLenB : buf.segLenA;
      const outSlope = cur === 0 ? buf.segSlopeB : buf.segSlopeA;
      // ǧ(z) = g(−z): pieces in reverse order with negated slopes; left end z = −Δmax, value g(Δmax)
      let deltaMax = g.deltaMin;
      let gAtMax = g.valueAtMin;
      for (let j = 0; j < g.count; j++) {
        deltaMax += g.len[j];
        gAtMax += g.len[j] * g.slope[j];
      }
      const cx0 = x0 - deltaMax;
      let cv0 = v0 + gAtMax;
      buf.convX0[t] = cx0;
      buf.wX0[t] = x0;
      buf.histStart[t] = histTop;
      // merge W[start..end) with ǧ pieces (j from g.count−1 down to 0, slope −g.slope[j])
      let i = start;
      let j = g.count - 1;
      let o = 0;
      const histLen = buf.histLen;
      const histSrc = buf.histSrc;
      while (i < end || j >= 0) {
        let fromW: boolean;
        if (i >= end) fromW = false;
        else if (j < 0) fromW = true;
        else fromW = inSlope[i] <= -g.slope[j];
        let l: number;
        let s: number;
        if (fromW) {
          l = inLen[i];
          s = inSlope[i];
          i++;
        } else {
          l = g.len[j];
          s = -g.slope[j];
          j--;
        }
        if (l <= 0) continue;
        outLen[o] = l;
        outSlope[o] = s;
        o++;
        histLen[histTop] = l;
        histSrc[histTop] = fromW ? 0 : 1;
        histTop++;
      }
      buf.histCount[t] = histTop - buf.histStart[t];
      // clip to [lb_t, ub_t]
      let ns = 0;
      let ne = o;
      let nx0 = cx0;
      if (lb[t] > nx0) {
        let need = lb[t] - nx0;
        while (need > 0 && ns < ne) {
          const l = outLen[ns];
          if (l <= need) {
            cv0 += l * outSlope[ns];
            need -= l;
            ns++;
          } else {
            outLen[ns] = l - need;
            cv0 += need * outSlope[ns];
            need = 0;
          }
        }
        nx0 = lb[t];
      }
      let total = 0;
      for (let q = ns; q < ne; q++) total += outLen[q];
      let excess = nx0 + total - ub[t];
      while (excess > 0 && ne > ns) {
        const l = outLen[ne - 1];
        if (l <= excess) {
          excess -= l;
          ne--;
        } else {
          outLen[ne - 1] = l - excess;
          excess = 0;
        }
      }
      x0 = nx0;
      v0 = cv0;
      start = ns;
      end = ne;
      cur = 1 - cur;
    }
    // V_0 at s0: the domain is the point s0 (lb[0] = ub[0] = s0) up to rounding
    const objectiveUsd = v0;

    // forward pass
    const chargeKw = new Float64Array(n);
    const dischargeKw = new Float64Array(n);
    const socKwh = new Float64Array(n + 1);
    socKwh[0] = m.initialSocKwh;
    let s = m.initialSocKwh;
    const kc = m.k.kwhPerChargeKw;
    const kd = m.k.kwhPerDischargeKw;
    for (let t = 0; t < n; t++) {
      const hs = buf.histStart[t];
      const he = hs + buf.histCount[t];
      let remaining = s - buf.convX0[t];
      let yW = 0;
      for (let q = hs; q < he && remaining > 0; q++) {
        const l = buf.histLen[q];
        const take = l < remaining ? l : remaining;
        if (buf.histSrc[q] === 0) yW += take;
        remaining -= take;
      }
      let y = buf.wX0[t] + yW;
      if (y < lb[t + 1]) y = lb[t + 1];
      if (y > ub[t + 1]) y = ub[t + 1];
      const delta = y - s;
      let c = 0;
      let d = 0;
      if (delta > 0) c = Math.min(m.maxChargeKw, delta / kc);
      else if (delta < 0) d = Math.min(m.maxDischargeKw[t], -delta / kd);
      chargeKw[t] = c;
      dischargeKw[t] = d;
      s = nextSocKwh(s, c, d, m.k);
      socKwh[t + 1] = s;
    }
    const gridImportKw = new Float64Array(n);
    const gridExportKw = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const net = m.netLoadKw[t] + chargeKw[t] - dischargeKw[t];
      if (net >= 0) gridImportKw[t] = net;
      else gridExportKw[t] = -net;
    }
    return { chargeKw, dischargeKw, gridImportKw, gridExportKw, socKwh, objectiveUsd };
  }
}
