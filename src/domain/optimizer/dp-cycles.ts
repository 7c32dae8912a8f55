/**
 * The cycles-per-day cap in dp, by Lagrangian relaxation. The cap Σ_{t ∈ day} h·d_t ≤ cap_day is priced: λ_day $/kWh
 * is added to the degradation cost of that day's discharge, and the uncapped dp (exact) solves the relaxed model.
 *
 * 1. λ = 0 first: when that plan keeps every cap it is optimal.
 * 2. Per-day bisection of λ_day (all days at once, each on its own bracket) until every bracket is tight.
 * 3. Repair: at the breakpoint λ*_day the relaxed optimum jumps over the cap; a plan discharging exactly the cap is a
 *    convex combination of the two sides. For each binding day, the SoC path of the plan just below its λ* is mixed
 *    into the base plan (just above) with the weight that makes the day's discharge equal the cap.
 * 4. Certificate (weak duality): for any λ ≥ 0, D(λ) = min_x L(x, λ) − Σ λ_day·cap_day ≤ the capped optimum. The plan
 *    is returned only when it keeps every cap and its objective is within CERTIFICATE_RELATIVE_GAP of D(λ), i.e.
 *    provably optimal to that tolerance. Otherwise dp declines and the planner's fallback (the MIP) solves it.
 */
import type { DpEngine, DpPass } from './dp-bundle.js';
import { modelObjectiveUsd, scheduleFromTargets } from './dp-core.js';
import { SolverDeclined, type PlanModel, type RawSolution } from './model.js';

/** The plan's objective may exceed the dual bound by this fraction (of max(1, |objective|)). */
export const CERTIFICATE_RELATIVE_GAP = 1e-8;
/** A day's discharge may exceed its cap by this much (kWh), as in verification. */
const CAP_TOLERANCE_KWH = 1e-7;
const MAX_BISECTIONS = 60;
const THETA_BISECTIONS = 60;

type Schedule = DpPass['schedule'];

function dailyUsageKwh(m: PlanModel, s: Schedule): Float64Array {
  const usage = new Float64Array(m.cycleCapKwh!.length);
  for (let t = 0; t < m.n; t++) usage[m.cycleDayOfInterval![t]] += m.intervalHours * s.dischargeKw[t];
  return usage;
}

/** A λ so large that discharging never pays: above any price, terminal value and degradation in the model. */
function lambdaCeiling(m: PlanModel): number {
  let p = Math.abs(m.terminalUsdPerKwh) + Math.abs(m.degradationUsdPerKwh);
  for (let t = 0; t < m.n; t++) p = Math.max(p, Math.abs(m.importUsdPerKwh[t]), Math.abs(m.exportUsdPerKwh[t]));
  return 4 * p + 1;
}

function runAt(engine: DpEngine, m: PlanModel, lambda: Float64Array): DpPass {
  const day = m.cycleDayOfInterval!;
  const deg = m.degradationUsdPerKwh;
  return engine.run(m, (t) => deg + lambda[day[t]]);
}

/** Step 2: per-day brackets [lo, hi] (hi keeps the cap, lo does not), bisected together. */
function bisectPrices(engine: DpEngine, m: PlanModel, feasibleAtZero: Uint8Array): { lo: Float64Array; hi: Float64Array } {
  const caps = m.cycleCapKwh!;
  const ceiling = lambdaCeiling(m);
  const lo = new Float64Array(caps.length);
  const hi = new Float64Array(caps.length).map((_, d) => (feasibleAtZero[d] ? 0 : ceiling));
  const mid = new Float64Array(caps.length);
  for (let it = 0; it < MAX_BISECTIONS; it++) {
    let open = false;
    for (let d = 0; d < caps.length; d++) {
      mid[d] = (lo[d] + hi[d]) / 2;
      if (hi[d] - lo[d] > 1e-13 * ceiling) open = true;
    }
    if (!open) break;
    const usage = dailyUsageKwh(m, runAt(engine, m, mid).schedule);
    for (let d = 0; d < caps.length; d++) {
      if (usage[d] > caps[d] + CAP_TOLERANCE_KWH) {
        lo[d] = mid[d];
        if (hi[d] <= lo[d]) hi[d] = ceiling;
      } else hi[d] = mid[d];
    }
  }
  return { lo, hi };
}

/** SoC path base + θ·(other − base) rebuilt as a schedule through THE recursion (one mode per interval). */
function mixed(m: PlanModel, base: Schedule, deltas: Array<{ other: Schedule; theta: number }>): Schedule {
  return scheduleFromTargets(m, (t) => {
    let y = base.socKwh[t + 1];
    for (const { other, theta } of deltas) y += theta * (other.socKwh[t + 1] - base.socKwh[t + 1]);
    return Math.min(Math.max(y, m.socLowerKwh[t + 1]), m.socUpperKwh[t + 1]);
  });
}

/** Step 3 for one day: the largest weight of `other` that keeps day d's discharge within its cap. */
function weightForCap(m: PlanModel, base: Schedule, other: Schedule, d: number): number {
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < THETA_BISECTIONS; it++) {
    const theta = (lo + hi) / 2;
    if (dailyUsageKwh(m, mixed(m, base, [{ other, theta }]))[d] > m.cycleCapKwh![d]) hi = theta;
    else lo = theta;
  }
  return lo;
}

function certified(m: PlanModel, s: Schedule, boundUsd: number): RawSolution | null {
  const usage = dailyUsageKwh(m, s);
  for (let d = 0; d < usage.length; d++) if (usage[d] > m.cycleCapKwh![d] + CAP_TOLERANCE_KWH) return null;
  const objectiveUsd = modelObjectiveUsd(m, s);
  return objectiveUsd - boundUsd <= CERTIFICATE_RELATIVE_GAP * Math.max(1, Math.abs(objectiveUsd)) ? { ...s, objectiveUsd } : null;
}

export function solveCyclesCapped(engine: DpEngine, m: PlanModel): RawSolution {
  const caps = m.cycleCapKwh!;
  const free = engine.run(m).schedule;
  const usage0 = dailyUsageKwh(m, free);
  const feasibleAtZero = Uint8Array.from(usage0, (u, d) => (u <= caps[d] + CAP_TOLERANCE_KWH ? 1 : 0));
  if (feasibleAtZero.every((f) => f === 1)) return { ...free, objectiveUsd: modelObjectiveUsd(m, free) };
  const { lo, hi } = bisectPrices(engine, m, feasibleAtZero);
  const basePass = runAt(engine, m, hi);
  let bound = basePass.valueUsd;
  for (let d = 0; d < caps.length; d++) bound -= hi[d] * caps[d];
  const base = basePass.schedule;
  const baseUsage = dailyUsageKwh(m, base);
  const deltas: Array<{ other: Schedule; theta: number }> = [];
  for (let d = 0; d < caps.length; d++) {
    if (hi[d] <= 0 || baseUsage[d] >= caps[d] - CAP_TOLERANCE_KWH) continue;
    const prices = Float64Array.from(hi);
    prices[d] = lo[d];
    const other = runAt(engine, m, prices).schedule;
    deltas.push({ other, theta: weightForCap(m, base, other, d) });
  }
  const result = certified(m, deltas.length ? mixed(m, base, deltas) : base, bound);
  if (!result) throw new SolverDeclined('dp: the cycles-cap prices did not certify an optimum');
  return result;
}
