/**
 * The planner: PlanInput → model → solve → normalise → verify → Plan. Build, solve and verify are timed separately
 * with an injected monotonic timer (the domain reads no clock; without a timer the timings are 0).
 */
import { UnverifiedSolution } from '../errors.js';
import { prepareModel, SolverDeclined, type PlanSolver } from './model.js';
import type { Planner } from '../ports/planner.js';
import type { Plan, PlanInput } from './plan-types.js';
import { normalizeSolution, scheduleObjectiveUsd, verifySchedule } from './verify.js';

export type SolverName = 'dp' | 'highs' | 'glpk' | 'jsLpSolver';
export const SOLVER_NAMES: readonly SolverName[] = ['dp', 'highs', 'glpk', 'jsLpSolver'];


export interface PlannerOptions {
  /** Used when the primary solver does not support a model (e.g. dp on a non-convex input or with a cycles cap). */
  fallback?: PlanSolver;
  /** Monotonic milliseconds (e.g. performance.now), injected by the app. */
  timer?: () => number;
}

export function plannerFromSolver(primary: PlanSolver, options: PlannerOptions = {}): Planner {
  const now = options.timer ?? ((): number => 0);
  return {
    solver: primary.name,
    plan(input: PlanInput): Plan {
      const t0 = now();
      const model = prepareModel(input);
      const notes = [...model.notes];
      let solver = primary;
      if (!primary.supports(model)) {
        const fb = options.fallback;
        if (!fb || !fb.supports(model)) throw new Error(`solver ${primary.name} cannot solve this model exactly and has no fallback`);
        solver = fb;
        notes.push(
          `${primary.name} does not handle this model${model.cycleCapKwh ? ' (cycles-per-day cap)' : ''}: solved by ${fb.name}`,
        );
      }
      const t1 = now();
      let raw;
      try {
        raw = solver.solve(model);
      } catch (error) {
        if (!(error instanceof SolverDeclined) || !options.fallback) throw error;
        notes.push(`${solver.name} declined (${error.message}): solved by ${options.fallback.name}`);
        solver = options.fallback;
        raw = solver.solve(model);
      }
      const t2 = now();
      const s = normalizeSolution(model, raw);
      const objectiveUsd = scheduleObjectiveUsd(input, s.chargeKw, s.dischargeKw, s.socKwh[model.n]);
      const verification = verifySchedule(input, { ...s, objectiveUsd }, { model, solverObjectiveUsd: raw.objectiveUsd });
      if (!verification.ok) throw new UnverifiedSolution(`solver ${solver.name} returned a schedule that fails verification`, verification.problems);
      const t3 = now();
      return {
        status: model.status,
        notes,
        solver: solver.name,
        objectiveUsd,
        chargeKw: s.chargeKw as Float64Array,
        dischargeKw: s.dischargeKw as Float64Array,
        gridImportKw: s.gridImportKw as Float64Array,
        gridExportKw: s.gridExportKw as Float64Array,
        socKwh: s.socKwh as Float64Array,
        verification,
        timing: { buildMs: t1 - t0, solveMs: t2 - t1, verifyMs: t3 - t2 },
      };
    },
  };
}
