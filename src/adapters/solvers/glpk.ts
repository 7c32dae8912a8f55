/** GLPK (glpk.js, WebAssembly, synchronous in Node) behind the PlanSolver port. */
import type GLPK from 'glpk.js/node';
import { buildLinearProgram, extractSolution } from '../../domain/optimizer/lp-model.js';
import type { PlanModel, PlanSolver, RawSolution } from '../../domain/optimizer/model.js';

type Glpk = Awaited<ReturnType<typeof GLPK>>;
type Lp = Parameters<Glpk['solve']>[0];

export class GlpkSolver implements PlanSolver {
  readonly name = 'glpk';
  constructor(private readonly glpk: Glpk) {}

  supports(): boolean {
    return true;
  }

  solve(m: PlanModel): RawSolution {
    const g = this.glpk;
    const lp = buildLinearProgram(m);
    const names: string[] = [];
    for (let j = 0; j < lp.numCols; j++) names.push(lp.colName(j));
    const objective: Lp['objective'] = { direction: g.GLP_MIN, name: 'cost', vars: [] };
    for (let j = 0; j < lp.numCols; j++) if (lp.colCost[j] !== 0) objective.vars.push({ name: names[j], coef: lp.colCost[j] });
    const subjectTo: Lp['subjectTo'] = [];
    for (let r = 0; r < lp.numRows; r++) {
      const vars: Array<{ name: string; coef: number }> = [];
      for (let q = lp.rowStarts[r]; q < lp.rowStarts[r + 1]; q++) vars.push({ name: names[lp.colIndex[q]], coef: lp.values[q] });
      const lo = lp.rowLower[r];
      const hi = lp.rowUpper[r];
      const type = lo === hi ? g.GLP_FX : lo === -Infinity ? g.GLP_UP : hi === Infinity ? g.GLP_LO : g.GLP_DB;
      subjectTo.push({ name: lp.rowName(r), vars, bnds: { type, lb: lo === -Infinity ? 0 : lo, ub: hi === Infinity ? 0 : hi } });
    }
    const bounds: NonNullable<Lp['bounds']> = [];
    const binaries: string[] = [];
    for (let j = 0; j < lp.numCols; j++) {
      if (lp.integrality[j]) {
        binaries.push(names[j]);
        continue;
      }
      const lo = lp.colLower[j];
      const hi = lp.colUpper[j];
      bounds.push({ name: names[j], type: lo === hi ? g.GLP_FX : hi === Infinity ? g.GLP_LO : g.GLP_DB, lb: lo, ub: hi === Infinity ? 0 : hi });
    }
    const res = g.solve({ name: 'plan', objective, subjectTo, bounds, binaries }, { msglev: g.GLP_MSG_OFF, presol: true, mipgap: 0 });
    if (res.result.status !== g.GLP_OPT) throw new Error(`GLPK did not find an optimum (status ${res.result.status})`);
    const x = new Float64Array(lp.numCols);
    for (let j = 0; j < lp.numCols; j++) x[j] = res.result.vars[names[j]] ?? 0;
    return extractSolution(m, x, res.result.z);
  }
}

export async function createGlpkSolver(): Promise<GlpkSolver> {
  // Loaded on first use (a WebAssembly package): commands that never solve with GLPK never load it.
  const { default: load } = await import('glpk.js/node');
  return new GlpkSolver(await load());
}
