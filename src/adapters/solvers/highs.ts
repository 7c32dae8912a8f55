/**
 * HiGHS (WebAssembly) behind the PlanSolver port. The runtime is loaded once (async); each solve passes the model
 * arrays (CSR) to one persistent native instance and runs it synchronously. MIP gaps are tightened so MIP optima
 * agree with the other solvers to 1e-6.
 */
import type { Highs } from 'highs';
import { buildLinearProgram, extractSolution } from '../../domain/optimizer/lp-model.js';
import { SolveTimedOut, UNBOUNDED_BUDGET, type PlanModel, type PlanSolver, type RawSolution, type SolveBudget } from '../../domain/optimizer/model.js';

let runtime: Promise<Highs> | undefined;

/** The HiGHS runtime, loaded on first use (a WebAssembly package: commands that never solve with it never load it). */
export function loadHighs(): Promise<Highs> {
  runtime ??= import('highs').then((mod) => {
    // The package's types describe a CommonJS default; at runtime Node's ESM import yields the loader function itself.
    const highsLoader = ((mod as unknown as { default?: unknown }).default ?? mod) as unknown as () => Promise<Highs>;
    return highsLoader();
  });
  return runtime;
}

const OPTIMAL = 7;
const TIME_LIMIT = 13;
/** HiGHS options must be finite: "no limit" is a billion seconds. */
const UNBOUNDED_TIME_LIMIT_S = 1e9;
/** HiGHS primal_solution_status: a feasible primal solution exists. */
const SOLUTION_FEASIBLE = 2;

export class HighsSolver implements PlanSolver {
  readonly name = 'highs';
  private readonly model: ReturnType<Highs['createModel']>;
  constructor(private readonly highs: Highs) {
    this.model = highs.createModel();
    this.model.options.set({ output_flag: false, mip_rel_gap: 1e-10, mip_abs_gap: 1e-9 });
  }

  supports(): boolean {
    return true;
  }

  /** With a bounded budget HiGHS gets the remaining time as its time_limit; at the limit its best feasible answer is returned (the planner verifies it). */
  solve(m: PlanModel, budget: SolveBudget = UNBOUNDED_BUDGET): RawSolution {
    const lp = buildLinearProgram(m);
    const inf = this.highs.infinity;
    const fix = (a: Float64Array): Float64Array => a.map((v) => (v === Infinity ? inf : v === -Infinity ? -inf : v));
    this.model.passModel({
      numCols: lp.numCols,
      numRows: lp.numRows,
      colCost: lp.colCost,
      colLower: lp.colLower,
      colUpper: fix(lp.colUpper),
      rowLower: fix(lp.rowLower),
      rowUpper: fix(lp.rowUpper),
      matrix: { format: 'csr', numRows: lp.numRows, numCols: lp.numCols, starts: lp.rowStarts, indices: lp.colIndex, values: lp.values },
      ...(lp.hasIntegers ? { integrality: lp.integrality as Int32Array } : {}),
    });
    const remainingMs = budget.remainingMs();
    if (remainingMs <= 0) throw new SolveTimedOut('no time left for HiGHS');
    this.model.options.set({ time_limit: Number.isFinite(remainingMs) ? remainingMs / 1000 : UNBOUNDED_TIME_LIMIT_S });
    this.model.zeroAllClocks();
    const run = this.model.run();
    if (run.modelStatus === TIME_LIMIT) {
      if (this.model.info.get('primal_solution_status') !== SOLUTION_FEASIBLE) throw new SolveTimedOut(`HiGHS reached its time limit of ${(remainingMs / 1000).toFixed(3)} s without a feasible answer`);
      return extractSolution(m, this.model.getSolution().colValue, this.model.getObjectiveValue());
    }
    if (run.modelStatus !== OPTIMAL) throw new Error(`HiGHS did not find an optimum (model status ${run.modelStatus})`);
    const x = this.model.getSolution().colValue;
    return extractSolution(m, x, this.model.getObjectiveValue());
  }
}

export async function createHighsSolver(): Promise<HighsSolver> {
  return new HighsSolver(await loadHighs());
}
