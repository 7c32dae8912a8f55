/**
 * HiGHS (WebAssembly) behind the PlanSolver port. The runtime is loaded once (async); each solve passes the model
 * arrays (CSR) to one persistent native instance and runs it synchronously. MIP gaps are tightened so MIP optima
 * agree with the other solvers to 1e-6.
 */
import highsModule, { type Highs } from 'highs';
import { buildLinearProgram, extractSolution } from '../../domain/optimizer/lp-model.js';
import type { PlanModel, PlanSolver, RawSolution } from '../../domain/optimizer/model.js';

// The package's types describe a CommonJS default; at runtime Node's ESM import yields the loader function itself.
const highsLoader = ((highsModule as unknown as { default?: unknown }).default ?? highsModule) as unknown as () => Promise<Highs>;

let runtime: Promise<Highs> | undefined;

export function loadHighs(): Promise<Highs> {
  if (!runtime) runtime = highsLoader();
  return runtime;
}

const OPTIMAL = 7;

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

  solve(m: PlanModel): RawSolution {
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
    const run = this.model.run();
    if (run.modelStatus !== OPTIMAL) throw new Error(`HiGHS did not find an optimum (model status ${run.modelStatus})`);
    const x = this.model.getSolution().colValue;
    return extractSolution(m, x, this.model.getObjectiveValue());
  }
}

export async function createHighsSolver(): Promise<HighsSolver> {
  return new HighsSolver(await loadHighs());
}
