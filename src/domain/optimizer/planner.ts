/**
 * The planner: PlanInput → model → solve → normalise → verify → Plan. Build, solve and verify are timed separately
 * with an injected monotonic timer (the domain reads no clock; without a timer the timings are 0 and no time bound
 * applies).
 *
 * Every solve has a time bound when `timeLimitMs` is set: the primary solver, then its fallback, each get what is
 * left of it. When neither gives an answer in time (or both decline), or an answer fails verification, the plan is
 * the verified hold plan (`status: 'fallback'`): the battery holds its SoC, or moves into its bounds as fast as
 * allowed. The live loop never waits on an unbounded MIP.
 */
import { UnverifiedSolution } from '../errors.js';
import { scheduleFromTargets } from './dp-core.js';
import { prepareModel, SolverDeclined, SolveTimedOut, UNBOUNDED_BUDGET, type PlanModel, type PlanSolver, type RawSolution, type SolveBudget } from './model.js';
import type { Plan, PlanInput, PlanStatus } from './plan-types.js';
import type { Planner } from '../ports/planner.js';
import { normalizeSolution, scheduleObjectiveUsd, verifySchedule } from './verify.js';

export type SolverName = 'dp' | 'highs' | 'glpk' | 'jsLpSolver';
export const SOLVER_NAMES: readonly SolverName[] = ['dp', 'highs', 'glpk', 'jsLpSolver'];
/** The solver name a Plan carries when it is the hold plan. */
export const HOLD_PLAN_SOLVER = 'hold';


export interface PlannerOptions {
  /** Used when the primary solver does not support a model or declines it (SolverDeclined). */
  fallback?: PlanSolver;
  /** Monotonic milliseconds (e.g. performance.now), injected by the app. */
  timer?: () => number;
  /** Bound on one plan's solving (needs `timer`); past it the planner returns the verified hold plan. */
  timeLimitMs?: number;
}

/** Hold: SoC stays where it is, clamped into the (ramped) bounds, so it is feasible for every model. */
export function holdPlan(m: PlanModel): RawSolution {
  const s = scheduleFromTargets(m, (t, soc) => Math.min(Math.max(soc, m.socLowerKwh[t + 1]), m.socUpperKwh[t + 1]));
  return { ...s, objectiveUsd: NaN };
}

function budgetFor(now: () => number, limitMs: number | undefined): SolveBudget {
  if (limitMs === undefined) return UNBOUNDED_BUDGET;
  const deadline = now() + limitMs;
  return { expired: () => now() > deadline, remainingMs: () => deadline - now() };
}

interface Solved {
  raw: RawSolution;
  solver: string;
}

/** Primary, then the fallback when the primary does not support or declines the model; null when neither answered. */
function solveWithFallback(model: PlanModel, primary: PlanSolver, fallback: PlanSolver | undefined, budget: SolveBudget, notes: string[]): Solved | null {
  if (!primary.supports(model)) notes.push(`${primary.name} does not handle this model`);
  const candidates = [primary, fallback].filter((s, k): s is PlanSolver => !!s && s.supports(model) && (k === 0 || s !== primary));
  for (const [k, solver] of candidates.entries()) {
    try {
      const raw = solver.solve(model, budget);
      if (k > 0 || solver !== primary) notes.push(`solved by ${solver.name}`);
      return { raw, solver: solver.name };
    } catch (error) {
      if (error instanceof SolveTimedOut) {
        notes.push(`${solver.name} ran out of time (${error.message})`);
        return null;
      }
      if (!(error instanceof SolverDeclined)) throw error;
      notes.push(`${solver.name} declined (${error.message})`);
    }
  }
  return null;
}

export function plannerFromSolver(primary: PlanSolver, options: PlannerOptions = {}): Planner {
  const now = options.timer ?? ((): number => 0);
  return {
    solver: primary.name,
    plan(input: PlanInput): Plan {
      const t0 = now();
      const model = prepareModel(input);
      const notes = [...model.notes];
      const t1 = now();
      const solved = solveWithFallback(model, primary, options.fallback, budgetFor(now, options.timeLimitMs), notes);
      const t2 = now();
      let status: PlanStatus = model.status;
      let checked = solved ? check(input, model, solved) : null;
      if (solved && !checked) {
        if (options.timeLimitMs === undefined) throw new UnverifiedSolution(`solver ${solved.solver} returned a schedule that fails verification`, verifyRaw(input, model, solved.raw).problems);
        notes.push(`solver ${solved.solver} returned a schedule that fails verification`);
      }
      if (!checked) {
        notes.push('holding the state of charge (verified hold plan)');
        status = 'fallback';
        checked = check(input, model, { raw: holdPlan(model), solver: HOLD_PLAN_SOLVER });
        if (!checked) throw new UnverifiedSolution('the hold plan fails verification', verifyRaw(input, model, holdPlan(model)).problems);
      }
      return { ...checked, status, notes, timing: { buildMs: t1 - t0, solveMs: t2 - t1, verifyMs: now() - t2 } };
    },
  };
}

type Checked = Omit<Plan, 'status' | 'notes' | 'timing'>;

function verifyRaw(input: PlanInput, model: PlanModel, raw: RawSolution): ReturnType<typeof verifySchedule> & { objectiveUsd: number; s: ReturnType<typeof normalizeSolution> } {
  const s = normalizeSolution(model, raw);
  const objectiveUsd = scheduleObjectiveUsd(input, s.chargeKw, s.dischargeKw, s.socKwh[model.n]);
  const solverObjectiveUsd = Number.isNaN(raw.objectiveUsd) ? undefined : raw.objectiveUsd;
  return { ...verifySchedule(input, { ...s, objectiveUsd }, { model, solverObjectiveUsd }), objectiveUsd, s };
}

/** Normalised and verified, or null when the schedule fails verification. */
function check(input: PlanInput, model: PlanModel, solved: Solved): Checked | null {
  const v = verifyRaw(input, model, solved.raw);
  if (!v.ok) return null;
  const { s } = v;
  return {
    solver: solved.solver,
    objectiveUsd: v.objectiveUsd,
    chargeKw: s.chargeKw as Float64Array,
    dischargeKw: s.dischargeKw as Float64Array,
    gridImportKw: s.gridImportKw as Float64Array,
    gridExportKw: s.gridExportKw as Float64Array,
    socKwh: s.socKwh as Float64Array,
    verification: { ok: v.ok, problems: v.problems },
  };
}
