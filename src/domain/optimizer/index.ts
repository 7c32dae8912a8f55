/** The optimizer's public API (pure domain part). WASM-backed solvers and createPlanner live in src/adapters/solvers. */
export type { Plan, PlanInput, PlanStatus, TerminalCondition, VerificationResult } from './plan-types.js';
export { prepareModel, SolverDeclined, SOC_TOLERANCE_KWH, POWER_TOLERANCE_KW, type PlanModel, type PlanSolver, type RawSolution } from './model.js';
export { DpSolver, intervalCostIsConvex } from './dp-solver.js';
export { buildLinearProgram, extractSolution, type LinearProgram } from './lp-model.js';
export { verifySchedule, normalizeSolution, scheduleObjectiveUsd, OBJECTIVE_RELATIVE_TOLERANCE, type Schedule } from './verify.js';
export { plannerFromSolver, SOLVER_NAMES, type PlannerOptions, type SolverName } from './planner.js';
export type { Planner } from '../ports/planner.js';
