/**
 * createPlanner: the app-level entry point. Loads the WASM solvers once (async), then returns a synchronous Planner.
 * 'dp' falls back to HiGHS (MIP) for the inputs it does not solve exactly (non-convex intervals, cycles cap).
 */
import { performance } from 'node:perf_hooks';
import { DpSolver } from '../../domain/optimizer/dp-solver.js';
import type { PlanSolver } from '../../domain/optimizer/model.js';
import { plannerFromSolver, type SolverName } from '../../domain/optimizer/planner.js';
import type { Planner } from '../../domain/ports/planner.js';
import { createGlpkSolver } from './glpk.js';
import { createHighsSolver } from './highs.js';
import { JsLpSolver } from './js-lp-solver.js';

/** Chosen by the benchmark figures (docs/optimizer.md): fastest and exact, with HiGHS as its fallback. */
export const DEFAULT_SOLVER: SolverName = 'dp';

export async function createSolver(name: SolverName): Promise<PlanSolver> {
  switch (name) {
    case 'dp':
      return new DpSolver();
    case 'highs':
      return createHighsSolver();
    case 'glpk':
      return createGlpkSolver();
    case 'jsLpSolver':
      return new JsLpSolver();
    default:
      throw new Error(`unknown solver ${String(name)}`);
  }
}

export interface CreatePlannerOptions {
  /** Bound on each plan's solving (ms); past it the plan is the verified hold plan (status 'fallback'). Default: none. */
  timeLimitMs?: number;
}

export async function createPlanner(solver: SolverName = DEFAULT_SOLVER, options: CreatePlannerOptions = {}): Promise<Planner> {
  const primary = await createSolver(solver);
  const fallback = solver === 'highs' ? undefined : await createHighsSolver();
  return plannerFromSolver(primary, { fallback, timer: () => performance.now(), timeLimitMs: options.timeLimitMs });
}
