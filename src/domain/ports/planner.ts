/**
 * The planner port: a PlanInput in, a verified Plan out, synchronously. The optimizer builds it from a solver
 * (plannerFromSolver in src/domain/optimizer/planner.ts); the app gets the real one from createPlanner
 * (src/adapters/solvers/planner-factory.ts, which loads the WASM solvers first). Replays depend on this interface
 * only. Pure types: no I/O here.
 */
import type { Plan, PlanInput } from '../optimizer/plan-types.js';

export interface Planner {
  /** The solver asked for (e.g. 'dp'); a Plan's `solver` names the one that answered. */
  readonly solver: string;
  /**
   * Throws UnverifiedSolution when a solver's answer fails verification and InputError on bad input.
   * `Plan.solver` names the solver that answered (the fallback's name when the primary handed the model over).
   */
  plan(input: PlanInput): Plan;
}
