/**
 * The cycles-per-day cap in dp, by Lagrangian relaxation. The cap Σ_{t ∈ day} h·d_t ≤ cap_day is priced: λ_day $/kWh
 * is added to the degradation cost of that day's discharge, and the uncapped dp (exact) solves the relaxed model.
 *
 * 1. λ = 0 first: when that plan keeps every cap it is optimal.
 * 2. Day prices, searched per day (sweeps over the days, each holding the others): a day over its cap raises its λ,
 *    a priced day with slack lowers it, to the breakpoint where the relaxed optimum jumps across the cap. The
 *    breakpoint is found exactly by intersecting the Lagrangian lines of the plans on either side (a parametric
 *    Newton step: a few dp runs), not by bisection.
 * 3. Repair: at a breakpoint both sides are optimal for the relaxed model, so is any mix of their SoC paths; for each
 *    binding day the side just below its λ is mixed into the base plan (just above) with the weight that makes the
 *    day's discharge equal its cap.
 * 4. Certificate (weak duality): for any λ ≥ 0, D(λ) = min_x L(x, λ) − Σ λ_day·cap_day ≤ the capped optimum. The plan
 *    is returned only when it keeps every cap and its objective is within CERTIFICATE_RELATIVE_GAP of D(λ), i.e.
 *    provably optimal to that tolerance. Otherwise dp declines and the planner's fallback (the MIP) solves it.
 */
import type { DpEngine, DpPass } from './dp-bundle.js';
import { DP_TOLERANCE, modelObjectiveUsd, scheduleFromTargets } from './dp-core.js';

const CAP_TOLERANCE_KWH = DP_TOLERANCE.capKwh;
import { SolverDeclined, type PlanModel, type RawSolution, type SolveBudget } from './model.js';

/** The plan's objective may exceed the dual bound by this fraction (of max(1, |objective|)). */
export const CERTIFICATE_RELATIVE_GAP = 1e-8;
const MAX_SWEEPS = 6;
/** dp passes one capped solve may use before it declines (the MIP is then quicker). */
const MAX_PASSES = 80;
const MAX_NEWTON_STEPS = 40;
const THETA_BISECTIONS = 60;
const MAX_REPAIR_ROUNDS = 8;
/** Relative offset of λ either side of a breakpoint for the repair's two plans. */
const BREAKPOINT_OFFSET = 1e-10;

type Schedule = DpPass['schedule'];

interface Sided {
  lambda: number;
  pass: DpPass;
  usage: number;
}

class CappedSearch {
  readonly caps: Float64Array;
  readonly lambda: Float64Array;
  readonly ceiling: number;
  passes = 0;

  constructor(
    private readonly engine: DpEngine,
    readonly m: PlanModel,
    private readonly budget: SolveBudget,
  ) {
    this.caps = m.cycleCapKwh!;
    this.lambda = new Float64Array(this.caps.length);
    let p = Math.abs(m.terminalUsdPerKwh) + Math.abs(m.degradationUsdPerKwh);
    for (let t = 0; t < m.n; t++) p = Math.max(p, Math.abs(m.importUsdPerKwh[t]), Math.abs(m.exportUsdPerKwh[t]));
    this.ceiling = 4 * p + 1; // discharging never pays above this
  }

  run(lambda: Float64Array = this.lambda): DpPass {
    if (++this.passes > MAX_PASSES) throw new SolverDeclined(`dp: the cycles-cap price search did not settle within ${MAX_PASSES} passes`);
    const day = this.m.cycleDayOfInterval!;
    const deg = this.m.degradationUsdPerKwh;
    return this.engine.run(this.m, (t) => deg + lambda[day[t]], this.budget);
  }

  usage(s: Schedule): Float64Array {
    const usage = new Float64Array(this.caps.length);
    for (let t = 0; t < this.m.n; t++) usage[this.m.cycleDayOfInterval![t]] += this.m.intervalHours * s.dischargeKw[t];
    return usage;
  }

  /** The plan with day d's price set to `lambdaD` (others as they are). */
  at(d: number, lambdaD: number): Sided {
    const prices = Float64Array.from(this.lambda);
    prices[d] = lambdaD;
    const pass = this.run(prices);
    return { lambda: lambdaD, pass, usage: this.usage(pass.schedule)[d] };
  }

  /** Day d's breakpoint between `a` (over its cap) and `b` (within it): parametric Newton on the Lagrangian lines. */
  breakpoint(d: number, a: Sided, b: Sided): number {
    for (let step = 0; step < MAX_NEWTON_STEPS; step++) {
      // line of a plan x in λ_d: F(x) + λ_d·u_d(x), where F = its value without day d's price
      const fa = a.pass.valueUsd - a.lambda * a.usage;
      const fb = b.pass.valueUsd - b.lambda * b.usage;
      const cross = (fb - fa) / (a.usage - b.usage);
      if (!(cross > a.lambda && cross < b.lambda)) return b.lambda;
      const c = this.at(d, cross);
      const line = fa + cross * a.usage;
      if (c.pass.valueUsd >= line - 1e-12 * Math.max(1, Math.abs(line))) return cross;
      if (c.usage > this.caps[d] + CAP_TOLERANCE_KWH) a = c;
      else b = c;
    }
    return b.lambda;
  }

  /** λ_d sits on day d's breakpoint: just below it the day is over its cap, just above it within. */
  atBreakpoint(d: number): boolean {
    const l = this.lambda[d];
    if (l <= 0) return false;
    const offset = BREAKPOINT_OFFSET * Math.max(1, l);
    return this.at(d, l - offset).usage > this.caps[d] + CAP_TOLERANCE_KWH && this.at(d, l + offset).usage <= this.caps[d] + CAP_TOLERANCE_KWH;
  }

  /** One sweep over the days; returns true when no day's price moved. */
  sweep(): boolean {
    let settled = true;
    let pass = this.run();
    let usage = this.usage(pass.schedule);
    for (let d = 0; d < this.caps.length; d++) {
      const over = usage[d] > this.caps[d] + CAP_TOLERANCE_KWH;
      const slack = this.lambda[d] > 0 && usage[d] < this.caps[d] - CAP_TOLERANCE_KWH;
      if (!over && !slack) continue;
      if (this.atBreakpoint(d)) continue;
      settled = false;
      const here: Sided = { lambda: this.lambda[d], pass, usage: usage[d] };
      if (over) this.lambda[d] = this.breakpoint(d, here, this.at(d, this.ceiling));
      else {
        const free = this.at(d, 0);
        this.lambda[d] = free.usage <= this.caps[d] + CAP_TOLERANCE_KWH ? 0 : this.breakpoint(d, free, here);
      }
      pass = this.run();
      usage = this.usage(pass.schedule);
    }
    return settled;
  }
}

/** AC kWh discharged in day [t0, t1) along the SoC path (1 − θ)·a + θ·b. */
function mixedDayUsage(m: PlanModel, a: Float64Array, b: Float64Array, theta: number, t0: number, t1: number): number {
  let kwh = 0;
  for (let t = t0; t < t1; t++) {
    const delta = (1 - theta) * (a[t + 1] - a[t]) + theta * (b[t + 1] - b[t]);
    if (delta < 0) kwh += (-delta / m.k.kwhPerDischargeKw) * m.intervalHours;
  }
  return kwh;
}

function dayRanges(m: PlanModel): Int32Array {
  const starts = new Int32Array(m.cycleCapKwh!.length + 1).fill(m.n);
  for (let t = m.n - 1; t >= 0; t--) starts[m.cycleDayOfInterval![t]] = t;
  return starts;
}

/** The weight θ of `b` in (1 − θ)·a + θ·b at which day [t0, t1) discharges `capKwh` (usage(a) and usage(b) straddle it). */
function weightForCap(m: PlanModel, a: Float64Array, b: Float64Array, capKwh: number, t0: number, t1: number): number {
  const rising = mixedDayUsage(m, a, b, 1, t0, t1) > mixedDayUsage(m, a, b, 0, t0, t1);
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < THETA_BISECTIONS; it++) {
    const theta = (lo + hi) / 2;
    if (mixedDayUsage(m, a, b, theta, t0, t1) > capKwh === rising) hi = theta;
    else lo = theta;
  }
  return rising ? lo : hi;
}

/**
 * Step 3: at the prices found, each day's breakpoint has two relaxed optima, one either side of its cap (the plans
 * with that day's price just below and just above). Starting from the plan at the prices, a day under its cap is
 * mixed towards its "below" plan and a day over it towards its "above" plan, with the weight that makes its discharge
 * equal the cap, for a few rounds (a mix moves the other days a little). Every mix is a convex combination of relaxed
 * optima, so the result stays one; the certificate then checks it.
 */
function repair(search: CappedSearch): { schedule: Schedule; boundUsd: number } {
  const { m, caps, lambda } = search;
  const pass = search.run();
  let boundUsd = pass.valueUsd;
  for (let d = 0; d < caps.length; d++) boundUsd -= lambda[d] * caps[d];
  const sides = new Map<number, Float64Array>();
  const side = (d: number, sign: 1 | -1): Float64Array => {
    const key = 2 * d + (sign > 0 ? 1 : 0);
    let soc = sides.get(key);
    if (!soc) {
      const prices = Float64Array.from(lambda);
      prices[d] = Math.max(0, lambda[d] + sign * BREAKPOINT_OFFSET * Math.max(1, lambda[d]));
      soc = search.run(prices).schedule.socKwh;
      sides.set(key, soc);
    }
    return soc;
  };
  const ranges = dayRanges(m);
  const cur = Float64Array.from(pass.schedule.socKwh);
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    let moved = false;
    for (let d = 0; d < caps.length; d++) {
      const used = mixedDayUsage(m, cur, cur, 0, ranges[d], ranges[d + 1]);
      const over = used > caps[d] + CAP_TOLERANCE_KWH;
      if (!over && (lambda[d] <= 0 || used >= caps[d] - CAP_TOLERANCE_KWH)) continue;
      const target = side(d, over ? 1 : -1);
      if ((mixedDayUsage(m, cur, target, 1, ranges[d], ranges[d + 1]) - caps[d]) * (used - caps[d]) > 0) continue;
      const theta = weightForCap(m, cur, target, caps[d], ranges[d], ranges[d + 1]);
      for (let t = 0; t <= m.n; t++) cur[t] = (1 - theta) * cur[t] + theta * target[t];
      moved = true;
    }
    if (!moved) break;
  }
  const schedule = scheduleFromTargets(m, (t) => Math.min(Math.max(cur[t + 1], m.socLowerKwh[t + 1]), m.socUpperKwh[t + 1]));
  return { schedule, boundUsd };
}

/** Step 4: the plan if it keeps every cap and is within the certificate gap of the dual bound, else null. */
function certified(search: CappedSearch, s: Schedule, boundUsd: number): RawSolution | null {
  const usage = search.usage(s);
  for (let d = 0; d < usage.length; d++) if (usage[d] > search.caps[d] + CAP_TOLERANCE_KWH) return null;
  const objectiveUsd = modelObjectiveUsd(search.m, s);
  return objectiveUsd - boundUsd <= CERTIFICATE_RELATIVE_GAP * Math.max(1, Math.abs(objectiveUsd)) ? { ...s, objectiveUsd } : null;
}

export function solveCyclesCapped(engine: DpEngine, m: PlanModel, budget: SolveBudget): RawSolution {
  const search = new CappedSearch(engine, m, budget);
  const free = search.run().schedule;
  const usage0 = search.usage(free);
  if (usage0.every((u, d) => u <= search.caps[d] + CAP_TOLERANCE_KWH)) return { ...free, objectiveUsd: modelObjectiveUsd(m, free) };
  // a day with no allowance left: discharging must never pay there
  search.caps.forEach((cap, d) => {
    if (cap <= CAP_TOLERANCE_KWH) search.lambda[d] = search.ceiling;
  });
  for (let sweep = 0; sweep < MAX_SWEEPS && !search.sweep(); sweep++);
  const { schedule, boundUsd } = repair(search);
  const result = certified(search, schedule, boundUsd);
  if (!result) throw new SolverDeclined('dp: the cycles-cap prices did not certify an optimum');
  return result;
}
