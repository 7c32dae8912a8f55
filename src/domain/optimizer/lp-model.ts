/**
 * The LP/MIP, built once from a PlanModel in a solver-neutral sparse form (rows in CSR); the HiGHS, GLPK and
 * javascript-lp-solver adapters translate it. Column layout, per interval i (base 5i):
 *   c_i charge kW, d_i discharge kW, imp_i grid import kW, exp_i grid export kW, s_{i+1} SoC after interval i (kWh)
 * then one binary per interval that needs it (mode: 1 = may charge, 0 = may discharge; grid: 1 = may import).
 * Rows:
 *   soc_i:     s_{i+1} − s_i − kc·c_i + kd·d_i = 0        (s_0 is the constant initial SoC; coefficients from socCoefficients)
 *   bal_i:     imp_i − exp_i − c_i + d_i = load_i − solar_i
 *   modeC_i:   c_i − Cmax·y_i ≤ 0,  modeD_i: d_i + Dmax_i·y_i ≤ Dmax_i        (only where needsModeBinary)
 *   gridI_i:   imp_i − Imax_i·z_i ≤ 0, gridE_i: exp_i + Emax_i·z_i ≤ Emax_i  (only where needsGridBinary)
 *   cyc_day:   Σ_{i ∈ day} h·d_i ≤ cycleCapKwh[day]                          (only with a cycles cap)
 *              = maxCyclesPerDay · usable kWh; for day 0 minus dischargedTodayKwh, floored at 0 (prepareModel)
 * Objective: Σ h·(pImp_i·imp_i − pExp_i·exp_i + deg·d_i) − terminal·s_n.
 */
import type { PlanModel, RawSolution } from './model.js';

export const COLS_PER_INTERVAL = 5;
export const COL_CHARGE = 0;
export const COL_DISCHARGE = 1;
export const COL_IMPORT = 2;
export const COL_EXPORT = 3;
export const COL_SOC = 4;

export interface LinearProgram {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  /** 1 for binary columns. */
  integrality: Int32Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** CSR: row r's entries are rowStarts[r] .. rowStarts[r+1]. */
  rowStarts: Int32Array;
  colIndex: Int32Array;
  values: Float64Array;
  /** A short name per column and row (for the text-based solvers). */
  colName(j: number): string;
  rowName(r: number): string;
  hasIntegers: boolean;
}

class RowBuilder {
  starts: number[] = [0];
  idx: number[] = [];
  val: number[] = [];
  lo: number[] = [];
  hi: number[] = [];
  names: string[] = [];
  add(name: string, cols: number[], coefs: number[], lo: number, hi: number): void {
    for (let q = 0; q < cols.length; q++) {
      this.idx.push(cols[q]);
      this.val.push(coefs[q]);
    }
    this.starts.push(this.idx.length);
    this.lo.push(lo);
    this.hi.push(hi);
    this.names.push(name);
  }
}

export function buildLinearProgram(m: PlanModel): LinearProgram {
  const n = m.n;
  const h = m.intervalHours;
  const kc = m.k.kwhPerChargeKw;
  const kd = m.k.kwhPerDischargeKw;
  const binaryCols: Array<{ kind: 'y' | 'z'; i: number }> = [];
  for (let i = 0; i < n; i++) {
    if (m.needsModeBinary[i]) binaryCols.push({ kind: 'y', i });
    if (m.needsGridBinary[i]) binaryCols.push({ kind: 'z', i });
  }
  const numCols = COLS_PER_INTERVAL * n + binaryCols.length;
  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const integrality = new Int32Array(numCols);
  const importMax = new Float64Array(n);
  const exportMax = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = COLS_PER_INTERVAL * i;
    const a = m.netLoadKw[i];
    importMax[i] = Math.max(0, a + m.maxChargeKw);
    exportMax[i] = Math.max(0, -a + m.maxDischargeKw[i]);
    colUpper[b + COL_CHARGE] = m.maxChargeKw;
    colUpper[b + COL_DISCHARGE] = m.maxDischargeKw[i];
    colUpper[b + COL_IMPORT] = importMax[i];
    colUpper[b + COL_EXPORT] = exportMax[i];
    colLower[b + COL_SOC] = m.socLowerKwh[i + 1];
    colUpper[b + COL_SOC] = m.socUpperKwh[i + 1];
    colCost[b + COL_IMPORT] = h * m.importUsdPerKwh[i];
    colCost[b + COL_EXPORT] = -h * m.exportUsdPerKwh[i];
    colCost[b + COL_DISCHARGE] = h * m.degradationUsdPerKwh;
  }
  if (n > 0) colCost[COLS_PER_INTERVAL * (n - 1) + COL_SOC] -= m.terminalUsdPerKwh;
  const rows = new RowBuilder();
  for (let i = 0; i < n; i++) {
    const b = COLS_PER_INTERVAL * i;
    if (i === 0) rows.add(`soc_${i}`, [b + COL_SOC, b + COL_CHARGE, b + COL_DISCHARGE], [1, -kc, kd], m.initialSocKwh, m.initialSocKwh);
    else rows.add(`soc_${i}`, [b - COLS_PER_INTERVAL + COL_SOC, b + COL_CHARGE, b + COL_DISCHARGE, b + COL_SOC], [-1, -kc, kd, 1], 0, 0);
    rows.add(`bal_${i}`, [b + COL_CHARGE, b + COL_DISCHARGE, b + COL_IMPORT, b + COL_EXPORT], [-1, 1, 1, -1], m.netLoadKw[i], m.netLoadKw[i]);
  }
  binaryCols.forEach((bc, q) => {
    const col = COLS_PER_INTERVAL * n + q;
    integrality[col] = 1;
    colUpper[col] = 1;
    const b = COLS_PER_INTERVAL * bc.i;
    if (bc.kind === 'y') {
      rows.add(`modeC_${bc.i}`, [b + COL_CHARGE, col], [1, -m.maxChargeKw], -Infinity, 0);
      rows.add(`modeD_${bc.i}`, [b + COL_DISCHARGE, col], [1, m.maxDischargeKw[bc.i]], -Infinity, m.maxDischargeKw[bc.i]);
    } else {
      rows.add(`gridI_${bc.i}`, [b + COL_IMPORT, col], [1, -importMax[bc.i]], -Infinity, 0);
      rows.add(`gridE_${bc.i}`, [b + COL_EXPORT, col], [1, exportMax[bc.i]], -Infinity, exportMax[bc.i]);
    }
  });
  if (m.cycleDayOfInterval && m.cycleCapKwh) {
    const perDay: number[][] = m.cycleCapKwh ? Array.from(m.cycleCapKwh, () => []) : [];
    for (let i = 0; i < n; i++) perDay[m.cycleDayOfInterval[i]].push(COLS_PER_INTERVAL * i + COL_DISCHARGE);
    perDay.forEach((cols, dIdx) => rows.add(`cyc_${dIdx}`, cols, cols.map(() => h), -Infinity, m.cycleCapKwh![dIdx]));
  }
  const names = ['c', 'd', 'imp', 'exp', 's'];
  return {
    numCols,
    numRows: rows.lo.length,
    colCost,
    colLower,
    colUpper,
    integrality,
    rowLower: Float64Array.from(rows.lo),
    rowUpper: Float64Array.from(rows.hi),
    rowStarts: Int32Array.from(rows.starts),
    colIndex: Int32Array.from(rows.idx),
    values: Float64Array.from(rows.val),
    colName: (j: number): string => {
      if (j < COLS_PER_INTERVAL * n) return `${names[j % COLS_PER_INTERVAL]}${Math.floor(j / COLS_PER_INTERVAL)}`;
      const bc = binaryCols[j - COLS_PER_INTERVAL * n];
      return `${bc.kind}${bc.i}`;
    },
    rowName: (r: number): string => rows.names[r],
    hasIntegers: binaryCols.length > 0,
  };
}

/** Reads the per-interval decisions out of a primal column vector. */
export function extractSolution(m: PlanModel, x: ArrayLike<number>, objectiveUsd: number): RawSolution {
  const n = m.n;
  const chargeKw = new Float64Array(n);
  const dischargeKw = new Float64Array(n);
  const gridImportKw = new Float64Array(n);
  const gridExportKw = new Float64Array(n);
  const socKwh = new Float64Array(n + 1);
  socKwh[0] = m.initialSocKwh;
  for (let i = 0; i < n; i++) {
    const b = COLS_PER_INTERVAL * i;
    chargeKw[i] = x[b + COL_CHARGE];
    dischargeKw[i] = x[b + COL_DISCHARGE];
    gridImportKw[i] = x[b + COL_IMPORT];
    gridExportKw[i] = x[b + COL_EXPORT];
    socKwh[i + 1] = x[b + COL_SOC];
  }
  return { chargeKw, dischargeKw, gridImportKw, gridExportKw, socKwh, objectiveUsd };
}
