/**
 * The dp's one backward pass and forward pass. The value function is kept as the minimum of a bundle of convex
 * piecewise-linear members (one member while every g_t is convex, the common case). The infimal convolution
 * distributes over the minimum: each step maps every member through every convex branch of g_t (dp-core.ts), clips
 * it to the SoC bounds, and prunes members dominated by another on their whole domain. Exact. When the bundle grows
 * beyond MAX_MEMBERS the solver declines (SolverDeclined) and the planner uses its fallback.
 */
import {
  clipPwl,
  convexBranches,
  convolve,
  DP_TOLERANCE,
  intervalCost,
  MergeHistory,
  newBranches,
  newIntervalCost,
  newPwl,
  nextSocFromMerge,
  rightEnd,
  scheduleFromTargets,
  terminalPwl,
  valueAt,
  type Pwl,
} from './dp-core.js';
import { SolverDeclined, SolveTimedOut, UNBOUNDED_BUDGET, type PlanModel, type RawSolution, type SolveBudget } from './model.js';

export const MAX_MEMBERS = 512;
/** The backward pass looks at its time budget every this many intervals. */
const BUDGET_CHECK_INTERVALS = 512;

/** a ≥ b on all of a's domain (and a's domain inside b's)? Checked at every breakpoint of both. */
function dominated(a: Pwl, b: Pwl): boolean {
  const eps = DP_TOLERANCE.domainKwh;
  const ra = rightEnd(a);
  if (a.x0 < b.x0 - eps || ra > rightEnd(b) + eps) return false;
  const above = (x: number): boolean => {
    const va = valueAt(a, x);
    return va >= valueAt(b, x) - DP_TOLERANCE.valueRelative * Math.max(1, Math.abs(va));
  };
  if (!above(a.x0) || !above(ra)) return false;
  let x = a.x0;
  for (let q = a.start; q < a.end; q++) if (!above((x += a.len[q]))) return false;
  x = b.x0;
  for (let q = b.start; q < b.end; q++) {
    x += b.len[q];
    if (x > a.x0 && x < ra && !above(x)) return false;
  }
  return true;
}

/** Where one member of step t came from: its parent at t+1 and the recorded merge. */
class Records {
  parent = new Int32Array(1024);
  convX0 = new Float64Array(1024);
  wX0 = new Float64Array(1024);
  histStart = new Int32Array(1024);
  histEnd = new Int32Array(1024);
  count = 0;

  reserve(extra: number): void {
    const need = this.count + extra;
    if (this.parent.length >= need) return;
    const size = Math.max(need, this.parent.length * 2);
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (k: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.parent = grow(this.parent, (k) => new Int32Array(k));
    this.convX0 = grow(this.convX0, (k) => new Float64Array(k));
    this.wX0 = grow(this.wX0, (k) => new Float64Array(k));
    this.histStart = grow(this.histStart, (k) => new Int32Array(k));
    this.histEnd = grow(this.histEnd, (k) => new Int32Array(k));
  }

  push(parent: number, convX0: number, wX0: number, hs: number, he: number): void {
    const r = this.count++;
    this.parent[r] = parent;
    this.convX0[r] = convX0;
    this.wX0[r] = wX0;
    this.histStart[r] = hs;
    this.histEnd[r] = he;
  }
}

export interface DpPass {
  schedule: Omit<RawSolution, 'objectiveUsd'>;
  /** min over schedules of Σ g_t (with the per-interval degradation given) − terminal value: the pass's own value. */
  valueUsd: number;
}

/** Reusable scratch (typed arrays grow once and stay): one engine per solver instance. */
export class DpEngine {
  private cur: Pwl[] = [newPwl()];
  private next: Pwl[] = [];
  private readonly hist = new MergeHistory();
  private readonly recs = new Records();
  private stepStart = new Int32Array(256);
  private readonly g = newIntervalCost();
  private readonly branches = newBranches();
  /** Per candidate of the current step: parent member, left end before clipping, merge history [start, end). */
  private candParent = new Int32Array(64);
  private candConvX0 = new Float64Array(64);
  private candHist = new Int32Array(128);

  /** Backward then forward pass; `degUsdPerKwh(t)` defaults to the model's degradation cost. */
  run(m: PlanModel, degUsdPerKwh?: (t: number) => number, budget: SolveBudget = UNBOUNDED_BUDGET): DpPass {
    const n = m.n;
    if (this.stepStart.length < n + 1) this.stepStart = new Int32Array(Math.max(n + 1, this.stepStart.length * 2));
    this.hist.top = 0;
    this.recs.count = 0;
    terminalPwl(m, this.cur[0]);
    let members = 1;
    for (let t = n - 1; t >= 0; t--) {
      if ((t & (BUDGET_CHECK_INTERVALS - 1)) === 0 && budget.expired()) throw new SolveTimedOut(`dp stopped at interval ${t} of ${n}`);
      intervalCost(m, t, this.g, degUsdPerKwh ? degUsdPerKwh(t) : m.degradationUsdPerKwh);
      members = this.step(m, t, members);
    }
    const { best, valueUsd } = this.bestAt(m.initialSocKwh, members);
    let member = best;
    const schedule = scheduleFromTargets(m, (t, s) => {
      const r = this.stepStart[t] + member;
      member = this.recs.parent[r];
      return nextSocFromMerge(s, this.recs.convX0[r], this.recs.wX0[r], this.hist, this.recs.histStart[r], this.recs.histEnd[r], m.socLowerKwh[t + 1], m.socUpperKwh[t + 1]);
    });
    return { schedule, valueUsd };
  }

  /** One backward step: every member through every convex branch of g_t, clipped, pruned; returns the new count. */
  private step(m: PlanModel, t: number, members: number): number {
    const nb = convexBranches(this.g, this.branches);
    if (members === 1 && nb === 1) return this.convexStep(m, t);
    this.reserveCandidates(members * nb);
    let c = 0;
    for (let p = 0; p < members; p++) {
      for (let b = 0; b < nb; b++) {
        const out = this.next[c];
        const hs = this.hist.top;
        const convX0 = convolve(this.cur[p], this.g, this.branches[b], out, this.hist);
        if (!clipPwl(out, m.socLowerKwh[t], m.socUpperKwh[t])) {
          this.hist.top = hs;
          continue;
        }
        this.candParent[c] = p;
        this.candConvX0[c] = convX0;
        this.candHist[2 * c] = hs;
        this.candHist[2 * c + 1] = this.hist.top;
        c++;
      }
    }
    const kept = c > 1 ? this.prune(c) : c;
    if (kept === 0) throw new Error(`dp: no feasible SoC at interval ${t}`);
    if (kept > MAX_MEMBERS) throw new SolverDeclined(`dp: value function needs more than ${MAX_MEMBERS} convex pieces`);
    this.recs.reserve(kept);
    this.stepStart[t] = this.recs.count;
    for (let q = 0; q < kept; q++) {
      const p = this.candParent[q];
      this.recs.push(p, this.candConvX0[q], this.cur[p].x0, this.candHist[2 * q], this.candHist[2 * q + 1]);
    }
    this.swap();
    return kept;
  }

  /** The common case (one member, convex g_t): one merge, one clip, one record. */
  private convexStep(m: PlanModel, t: number): number {
    const w = this.cur[0];
    const out = this.next[0] ?? (this.next[0] = newPwl());
    const hs = this.hist.top;
    const convX0 = convolve(w, this.g, this.branches[0], out, this.hist);
    if (!clipPwl(out, m.socLowerKwh[t], m.socUpperKwh[t])) throw new Error(`dp: no feasible SoC at interval ${t}`);
    this.recs.reserve(1);
    this.stepStart[t] = this.recs.count;
    this.recs.push(0, convX0, w.x0, hs, this.hist.top);
    this.swap();
    return 1;
  }

  private swap(): void {
    const cur = this.cur;
    this.cur = this.next;
    this.next = cur;
  }

  private reserveCandidates(k: number): void {
    while (this.next.length < k) this.next.push(newPwl());
    if (this.candParent.length >= k) return;
    const size = Math.max(k, this.candParent.length * 2);
    this.candParent = new Int32Array(size);
    this.candConvX0 = new Float64Array(size);
    this.candHist = new Int32Array(2 * size);
  }

  /** Drops candidates dominated by another (ties: the earlier stays); compacts the survivors to the front. */
  private prune(c: number): number {
    const keep = new Uint8Array(c).fill(1);
    for (let a = 0; a < c; a++) {
      for (let b = 0; b < c && keep[a]; b++) {
        if (a === b || !keep[b]) continue;
        if (dominated(this.next[a], this.next[b]) && (b < a || !dominated(this.next[b], this.next[a]))) keep[a] = 0;
      }
    }
    let k = 0;
    for (let q = 0; q < c; q++) {
      if (!keep[q]) continue;
      if (k !== q) {
        [this.next[k], this.next[q]] = [this.next[q], this.next[k]];
        this.candParent[k] = this.candParent[q];
        this.candConvX0[k] = this.candConvX0[q];
        this.candHist[2 * k] = this.candHist[2 * q];
        this.candHist[2 * k + 1] = this.candHist[2 * q + 1];
      }
      k++;
    }
    return k;
  }

  /** The member with the lowest value at the initial SoC. */
  private bestAt(s0: number, members: number): { best: number; valueUsd: number } {
    let best = -1;
    let valueUsd = Infinity;
    for (let q = 0; q < members; q++) {
      const w = this.cur[q];
      const right = rightEnd(w);
      if (s0 < w.x0 - DP_TOLERANCE.domainKwh || s0 > right + DP_TOLERANCE.domainKwh) continue;
      const v = valueAt(w, Math.min(Math.max(s0, w.x0), right));
      if (v < valueUsd) [best, valueUsd] = [q, v];
    }
    if (best < 0) throw new Error('dp: the initial SoC is outside every value-function piece');
    return { best, valueUsd };
  }
}
