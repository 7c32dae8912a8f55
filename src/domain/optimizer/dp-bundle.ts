/**
 * dp on non-convex inputs: where an interval's one-mode cost g_t is not convex (its only possible non-convexity is the
 * kink at Δ = 0 when burning energy would pay, or where import is cheaper than export), g_t = min(g⁻, g⁺) with
 * g⁻ = discharge branch (Δ ≤ 0) and g⁺ = charge branch (Δ ≥ 0), each convex. The value function is then kept as the
 * minimum of a small bundle of convex piecewise-linear members; the infimal convolution distributes over the minimum,
 * so each convex step maps every member, each non-convex step splits every member in two (one per branch), and
 * members dominated by another on their whole domain are pruned. Exact. When the bundle grows beyond MAX_MEMBERS
 * the solver declines (SolverDeclined) and the planner uses its MIP fallback.
 */
import { nextSocKwh } from '../battery/battery.js';
import { intervalCost, isConvex, newIntervalCost } from './dp-solver.js';
import { SolverDeclined, type PlanModel, type RawSolution } from './model.js';

export const MAX_MEMBERS = 256;
const EPS = 1e-9;

interface Member {
  x0: number;
  v0: number;
  len: number[];
  slope: number[];
}

interface Rec {
  parent: number;
  convX0: number;
  wX0: number;
  len: number[];
  src: number[];
}

interface Branch {
  from: number;
  to: number;
  deltaMin: number;
  valueAtMin: number;
}

function rightEnd(m: Member): number {
  let r = m.x0;
  for (const l of m.len) r += l;
  return r;
}

function valueAt(m: Member, x: number): number {
  let v = m.v0;
  let rem = x - m.x0;
  for (let j = 0; j < m.len.length && rem > 0; j++) {
    const take = Math.min(m.len[j], rem);
    v += take * m.slope[j];
    rem -= take;
  }
  return v;
}

function clip(len: number[], slope: number[], x0: number, v0: number, lo: number, hi: number): Member | null {
  let total = 0;
  for (const l of len) total += l;
  const left = Math.max(x0, lo);
  let right = Math.min(x0 + total, hi);
  if (left > right + EPS) return null;
  if (right < left) right = left;
  let need = left - x0;
  let v = v0;
  const outLen: number[] = [];
  const outSlope: number[] = [];
  let width = right - left;
  for (let j = 0; j < len.length; j++) {
    let l = len[j];
    if (need > 0) {
      const take = Math.min(l, need);
      v += take * slope[j];
      need -= take;
      l -= take;
    }
    if (l <= 0 || width <= 0) continue;
    const keep = Math.min(l, width);
    outLen.push(keep);
    outSlope.push(slope[j]);
    width -= keep;
  }
  return { x0: left, v0: v, len: outLen, slope: outSlope };
}

/** a ≥ b on all of a's domain (and a's domain inside b's)? */
function dominated(a: Member, b: Member): boolean {
  const ra = rightEnd(a);
  if (a.x0 < b.x0 - EPS || ra > rightEnd(b) + EPS) return false;
  const points: number[] = [a.x0, ra];
  let x = a.x0;
  for (const l of a.len) points.push((x += l));
  x = b.x0;
  for (const l of b.len) {
    x += l;
    if (x > a.x0 && x < ra) points.push(x);
  }
  for (const p of points) {
    const va = valueAt(a, p);
    if (va < valueAt(b, p) - EPS * Math.max(1, Math.abs(va))) return false;
  }
  return true;
}

export function solveBundle(m: PlanModel): RawSolution {
  const n = m.n;
  const lb = m.socLowerKwh;
  const ub = m.socUpperKwh;
  const tv = m.terminalUsdPerKwh;
  let members: Member[] = [{ x0: lb[n], v0: -tv * lb[n], len: ub[n] > lb[n] ? [ub[n] - lb[n]] : [], slope: ub[n] > lb[n] ? [-tv] : [] }];
  const records: Rec[][] = new Array(n);
  const g = newIntervalCost();
  for (let t = n - 1; t >= 0; t--) {
    intervalCost(m, t, g);
    const branches: Branch[] = [];
    if (isConvex(g)) branches.push({ from: 0, to: g.count, deltaMin: g.deltaMin, valueAtMin: g.valueAtMin });
    else {
      let g0 = g.valueAtMin;
      for (let j = 0; j < g.nDischarge; j++) g0 += g.len[j] * g.slope[j];
      branches.push({ from: 0, to: g.nDischarge, deltaMin: g.deltaMin, valueAtMin: g.valueAtMin });
      branches.push({ from: g.nDischarge, to: g.count, deltaMin: 0, valueAtMin: g0 });
      for (const b of branches) {
        for (let j = b.from + 1; j < b.to; j++) {
          if (g.slope[j] < g.slope[j - 1] - 1e-12 * Math.max(1, Math.abs(g.slope[j - 1]))) {
            throw new SolverDeclined('dp: a mode branch is itself non-convex (import cheaper than export)');
          }
        }
      }
    }
    const next: Member[] = [];
    const recs: Rec[] = [];
    members.forEach((w, parent) => {
      for (const b of branches) {
        let deltaMax = b.deltaMin;
        let gAtMax = b.valueAtMin;
        for (let j = b.from; j < b.to; j++) {
          deltaMax += g.len[j];
          gAtMax += g.len[j] * g.slope[j];
        }
        const cx0 = w.x0 - deltaMax;
        const cv0 = w.v0 + gAtMax;
        const len: number[] = [];
        const slope: number[] = [];
        const src: number[] = [];
        let i = 0;
        let j = b.to - 1;
        while (i < w.len.length || j >= b.from) {
          const fromW = j < b.from || (i < w.len.length && w.slope[i] <= -g.slope[j]);
          const l = fromW ? w.len[i] : g.len[j];
          const s = fromW ? w.slope[i++] : -g.slope[j--];
          if (l <= 0) continue;
          len.push(l);
          slope.push(s);
          src.push(fromW ? 0 : 1);
        }
        const member = clip(len, slope, cx0, cv0, lb[t], ub[t]);
        if (!member) continue;
        next.push(member);
        recs.push({ parent, convX0: cx0, wX0: w.x0, len, src });
      }
    });
    const keep: boolean[] = next.map(() => true);
    for (let a = 0; a < next.length; a++) {
      for (let b = 0; b < next.length && keep[a]; b++) {
        if (a === b || !keep[b]) continue;
        if (dominated(next[a], next[b]) && (!dominated(next[b], next[a]) || b < a)) keep[a] = false;
      }
    }
    members = next.filter((_, q) => keep[q]);
    records[t] = recs.filter((_, q) => keep[q]);
    if (members.length === 0) throw new Error(`dp: no feasible SoC at interval ${t}`);
    if (members.length > MAX_MEMBERS) throw new SolverDeclined(`dp: value function needs more than ${MAX_MEMBERS} convex pieces`);
  }
  const s0 = m.initialSocKwh;
  let best = -1;
  let bestValue = Infinity;
  members.forEach((w, q) => {
    if (s0 < w.x0 - EPS || s0 > rightEnd(w) + EPS) return;
    const v = valueAt(w, Math.min(Math.max(s0, w.x0), rightEnd(w)));
    if (v < bestValue) [best, bestValue] = [q, v];
  });
  if (best < 0) throw new Error('dp: the initial SoC is outside every value-function piece');
  const chargeKw = new Float64Array(n);
  const dischargeKw = new Float64Array(n);
  const gridImportKw = new Float64Array(n);
  const gridExportKw = new Float64Array(n);
  const socKwh = new Float64Array(n + 1);
  socKwh[0] = s0;
  let s = s0;
  let cur = best;
  const kc = m.k.kwhPerChargeKw;
  const kd = m.k.kwhPerDischargeKw;
  for (let t = 0; t < n; t++) {
    const rec = records[t][cur];
    let remaining = s - rec.convX0;
    let yW = 0;
    for (let q = 0; q < rec.len.length && remaining > 0; q++) {
      const take = Math.min(rec.len[q], remaining);
      if (rec.src[q] === 0) yW += take;
      remaining -= take;
    }
    const y = Math.min(Math.max(rec.wX0 + yW, lb[t + 1]), ub[t + 1]);
    const delta = y - s;
    const c = delta > 0 ? Math.min(m.maxChargeKw, delta / kc) : 0;
    const d = delta < 0 ? Math.min(m.maxDischargeKw[t], -delta / kd) : 0;
    chargeKw[t] = c;
    dischargeKw[t] = d;
    s = nextSocKwh(s, c, d, m.k);
    socKwh[t + 1] = s;
    const net = m.netLoadKw[t] + c - d;
    if (net >= 0) gridImportKw[t] = net;
    else gridExportKw[t] = -net;
    cur = rec.parent;
  }
  return { chargeKw, dischargeKw, gridImportKw, gridExportKw, socKwh, objectiveUsd: bestValue };
}
