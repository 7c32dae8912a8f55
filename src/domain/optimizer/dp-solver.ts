/**
 * 'dp': exact dynamic programming over the one-dimensional state (SoC) with piecewise-linear value functions
 * (dp-core.ts: cost pieces, merge, clip, forward step; dp-bundle.ts: the backward and forward passes). Exact, no
 * discretisation, for every model the planner builds:
 * - convex interval costs: one convex value function (the common case);
 * - non-convex costs (burning energy would pay at a negative price, or import is cheaper than export): the value
 *   function is a bundle of convex members, one per convex branch, dominated members pruned;
 * - the cycles-per-day cap: a Lagrangian price per ERCOT day on discharged energy, searched per day, with a
 *   duality certificate (dp-cycles.ts).
 * It declines (SolverDeclined, the planner then uses its fallback) only when the bundle outgrows MAX_MEMBERS or the
 * cycles-cap prices do not certify an optimum.
 */
import { DpEngine } from './dp-bundle.js';
import { solveCyclesCapped } from './dp-cycles.js';
import { UNBOUNDED_BUDGET, type PlanModel, type PlanSolver, type RawSolution, type SolveBudget } from './model.js';

export { intervalCostIsConvex } from './dp-core.js';

export class DpSolver implements PlanSolver {
  readonly name = 'dp';
  private readonly engine = new DpEngine();

  supports(): boolean {
    return true;
  }

  solve(m: PlanModel, budget: SolveBudget = UNBOUNDED_BUDGET): RawSolution {
    if (m.cycleCapKwh && m.cycleDayOfInterval) return solveCyclesCapped(this.engine, m, budget);
    const pass = this.engine.run(m, undefined, budget);
    return { ...pass.schedule, objectiveUsd: pass.valueUsd };
  }
}
