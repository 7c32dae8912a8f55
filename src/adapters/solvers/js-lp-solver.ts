/**
 * javascript-lp-solver (pure JS, dense tableau) behind the PlanSolver port. Slows down steeply with the horizon:
 * use it for short horizons only (see docs/optimizer.md). Column bounds become constraint rows (it has no bounds).
 */
import jsLpModule from 'javascript-lp-solver';
import { buildLinearProgram, extractSolution } from '../../domain/optimizer/lp-model.js';
import type { PlanModel, PlanSolver, RawSolution } from '../../domain/optimizer/model.js';

interface JsLp {
  Solve(model: unknown): Record<string, number | boolean | undefined>;
}
// ESM import of this package yields { default: solver } in Node; its types say otherwise.
const solver = ((jsLpModule as unknown as { default?: unknown }).default ?? jsLpModule) as unknown as JsLp;

export class JsLpSolver implements PlanSolver {
  readonly name = 'jsLpSolver';

  supports(): boolean {
    return true;
  }

  solve(m: PlanModel): RawSolution {
    const lp = buildLinearProgram(m);
    const names: string[] = [];
    for (let j = 0; j < lp.numCols; j++) names.push(lp.colName(j));
    const constraints: Record<string, { min?: number; max?: number; equal?: number }> = {};
    const variables: Record<string, Record<string, number>> = {};
    const binaries: Record<string, 1> = {};
    for (let j = 0; j < lp.numCols; j++) {
      const v: Record<string, number> = { cost: lp.colCost[j] };
      variables[names[j]] = v;
      if (lp.integrality[j]) {
        binaries[names[j]] = 1;
        continue;
      }
      const lo = lp.colLower[j];
      const hi = lp.colUpper[j];
      if (lo === hi) {
        constraints[`fx_${names[j]}`] = { equal: lo };
        v[`fx_${names[j]}`] = 1;
      } else {
        const bound: { min?: number; max?: number } = {};
        if (lo > 0) bound.min = lo;
        if (hi !== Infinity) bound.max = hi;
        if (bound.min !== undefined || bound.max !== undefined) {
          constraints[`bd_${names[j]}`] = bound;
          v[`bd_${names[j]}`] = 1;
        }
      }
    }
    for (let r = 0; r < lp.numRows; r++) {
      const name = lp.rowName(r);
      const lo = lp.rowLower[r];
      const hi = lp.rowUpper[r];
      constraints[name] = lo === hi ? { equal: lo } : { ...(lo !== -Infinity ? { min: lo } : {}), ...(hi !== Infinity ? { max: hi } : {}) };
      for (let q = lp.rowStarts[r]; q < lp.rowStarts[r + 1]; q++) variables[names[lp.colIndex[q]]][name] = lp.values[q];
    }
    const model = { optimize: 'cost', opType: 'min', constraints, variables, binaries } ;
    const res = solver.Solve(model);
    if (!res.feasible) throw new Error('javascript-lp-solver found no feasible solution');
    const x = new Float64Array(lp.numCols);
    for (let j = 0; j < lp.numCols; j++) {
      const val = res[names[j]];
      x[j] = typeof val === 'number' ? val : 0;
    }
    // its `result` is rounded; the objective is recomputed from the columns (the verifier compares it again)
    let obj = 0;
    for (let j = 0; j < lp.numCols; j++) obj += lp.colCost[j] * x[j];
    return extractSolution(m, x, obj);
  }
}
