/**
 * Verification: every schedule is checked against the model before anyone may use it. The SoC is recomputed with
 * THE recursion (socPath), money with siteCostUsd/degradationUsd; nothing here trusts the solver.
 */
import { chargeKwToReach, dischargeKwToReach, equivalentCycles, nextSocKwh, reserveFloorKwh, socPath } from '../battery/battery.js';
import { degradationUsd, gridFlowsKw, gridFlowsOfNetKw, maxDischargeKwFor, siteCostUsd } from '../economics/site-cost.js';
import { INTERVAL_MS, isoUtc } from '../time/interval.js';
import { POWER_TOLERANCE_KW, prepareModel, SOC_TOLERANCE_KWH, type PlanModel, type RawSolution } from './model.js';
import type { PlanInput, VerificationResult } from './plan-types.js';

/** Relative tolerance when comparing the recomputed objective with the solver's. */
export const OBJECTIVE_RELATIVE_TOLERANCE = 1e-6;
/** Values this close to zero are solver noise and become 0 before verification. */
export const NOISE_KW = 1e-9;
const MAX_PROBLEMS = 50;

/** The schedule to check: what a Plan carries. */
export interface Schedule {
  chargeKw: ArrayLike<number>;
  dischargeKw: ArrayLike<number>;
  gridImportKw: ArrayLike<number>;
  gridExportKw: ArrayLike<number>;
  socKwh: ArrayLike<number>;
  objectiveUsd: number;
}

/** Objective of a schedule from first principles: Σ site cost + degradation − terminal value of the final SoC. */
export function scheduleObjectiveUsd(input: PlanInput, chargeKw: ArrayLike<number>, dischargeKw: ArrayLike<number>, finalSocKwh: number): number {
  const h = input.intervalHours;
  let total = 0;
  for (let i = 0; i < chargeKw.length; i++) {
    total += siteCostUsd({ loadKw: input.loadKw[i], solarKw: input.solarKw[i], chargeKw: chargeKw[i], dischargeKw: dischargeKw[i] }, input.priceUsdPerMwh[i], input.tariff, h);
    total += degradationUsd(dischargeKw[i], h, input.battery.degradationCostUsdPerKwh);
  }
  if (input.terminal.kind === 'value') total -= input.terminal.usdPerKwh * finalSocKwh;
  return total;
}

/**
 * Checks a schedule against the model: SoC recursion and bounds, power bounds, export rule, energy balance, one mode
 * per interval (battery and grid), cycles cap, and the objective (recomputed vs the schedule's, and vs the solver's
 * own figure when given).
 */
export function verifySchedule(input: PlanInput, s: Schedule, options: { model?: PlanModel; solverObjectiveUsd?: number } = {}): VerificationResult {
  const m = options.model ?? prepareModel(input);
  const n = m.n;
  const problems: string[] = [];
  const add = (i: number, what: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(i >= 0 ? `interval ${i} (${isoUtc(input.startMs + i * INTERVAL_MS)}): ${what}` : what);
  };
  for (const [name, arr, len] of [
    ['chargeKw', s.chargeKw, n],
    ['dischargeKw', s.dischargeKw, n],
    ['gridImportKw', s.gridImportKw, n],
    ['gridExportKw', s.gridExportKw, n],
    ['socKwh', s.socKwh, n + 1],
  ] as const) {
    if (arr.length !== len) return { ok: false, problems: [`${name} has ${arr.length} values, expected ${len}`] };
    for (let i = 0; i < len; i++) if (!Number.isFinite(arr[i])) add(i, `${name} is not finite`);
  }
  if (problems.length) return { ok: false, problems };
  const ptol = POWER_TOLERANCE_KW;
  const b = input.battery;
  for (let i = 0; i < n; i++) {
    const c = s.chargeKw[i];
    const d = s.dischargeKw[i];
    const imp = s.gridImportKw[i];
    const exp = s.gridExportKw[i];
    if (c < -ptol || c > b.maxChargeKw + ptol) add(i, `charge ${c} kW outside [0, ${b.maxChargeKw}]`);
    if (d < -ptol || d > b.maxDischargeKw + ptol) add(i, `discharge ${d} kW outside [0, ${b.maxDischargeKw}]`);
    const allowed = input.exportAllowed[i] === 1;
    const dMax = maxDischargeKwFor(b.maxDischargeKw, input.loadKw[i], input.solarKw[i], allowed);
    if (!allowed && d > dMax + ptol) add(i, `discharge ${d} kW exceeds the home's net load ${dMax} kW where export is not allowed`);
    if (imp < -ptol || exp < -ptol) add(i, `negative grid flow (import ${imp}, export ${exp})`);
    const net = input.loadKw[i] - input.solarKw[i] + c - d;
    if (Math.abs(imp - exp - net) > ptol) add(i, `energy balance: import − export = ${imp - exp} kW but load − solar + charge − discharge = ${net} kW`);
    if (Math.min(c, d) > ptol) add(i, `simultaneous charge ${c} kW and discharge ${d} kW`);
    if (Math.min(imp, exp) > ptol) add(i, `simultaneous import ${imp} kW and export ${exp} kW`);
    if (!allowed) {
      const solarSurplus = Math.max(0, input.solarKw[i] - input.loadKw[i]);
      if (exp > solarSurplus + ptol) add(i, `battery export ${exp - solarSurplus} kW where export is not allowed`);
    }
  }
  const path = socPath(m.initialSocKwh, s.chargeKw, s.dischargeKw, m.k);
  const tol = SOC_TOLERANCE_KWH;
  for (let t = 0; t <= n; t++) {
    if (Math.abs(path[t] - s.socKwh[t]) > tol) add(t, `SoC ${s.socKwh[t]} differs from the recursion's ${path[t]}`);
    if (path[t] < m.socLowerKwh[t] - tol) add(t, `SoC ${path[t].toFixed(6)} kWh below the floor ${m.socLowerKwh[t].toFixed(6)} kWh`);
    if (path[t] > m.socUpperKwh[t] + tol) add(t, `SoC ${path[t].toFixed(6)} kWh above the ceiling ${m.socUpperKwh[t].toFixed(6)} kWh`);
  }
  if (m.cycleDayOfInterval && m.cycleCapKwh && input.maxCyclesPerDay !== undefined) {
    const per = new Float64Array(m.cycleCapKwh.length);
    for (let i = 0; i < n; i++) per[m.cycleDayOfInterval[i]] += s.dischargeKw[i] * input.intervalHours;
    const before = input.dischargedTodayKwh ?? 0;
    const usableKwh = b.capacityKwh - reserveFloorKwh(b);
    for (let dIdx = 0; dIdx < per.length; dIdx++) {
      // the cap in kWh from the model (day 0: what is left after dischargedTodayKwh); tolerance 1e-9 cycles
      if (per[dIdx] > m.cycleCapKwh[dIdx] + 1e-9 * usableKwh) {
        const dayTotal = per[dIdx] + (dIdx === 0 ? before : 0);
        add(-1, `ERCOT day ${dIdx}: ${per[dIdx].toFixed(6)} kWh discharged${dIdx === 0 && before > 0 ? ` after ${before.toFixed(6)} kWh earlier that day` : ''} (${equivalentCycles(b, dayTotal).toFixed(6)} cycles) exceed the cap ${input.maxCyclesPerDay} (${m.cycleCapKwh[dIdx].toFixed(6)} kWh allowed)`);
      }
    }
  }
  const recomputed = scheduleObjectiveUsd(input, s.chargeKw, s.dischargeKw, path[n]);
  const scale = Math.max(1, Math.abs(recomputed));
  if (Math.abs(recomputed - s.objectiveUsd) > OBJECTIVE_RELATIVE_TOLERANCE * scale) add(-1, `objective ${s.objectiveUsd} differs from the recomputed ${recomputed}`);
  if (options.solverObjectiveUsd !== undefined && Math.abs(recomputed - options.solverObjectiveUsd) > OBJECTIVE_RELATIVE_TOLERANCE * scale) {
    add(-1, `solver's objective ${options.solverObjectiveUsd} differs from the recomputed ${recomputed}`);
  }
  return { ok: problems.length === 0, problems };
}

function clean(x: number, max: number): number {
  if (Math.abs(x) < NOISE_KW) return 0;
  if (x > max && x < max + NOISE_KW * Math.max(1, max)) return max;
  return x;
}

/**
 * Removes solver noise and resolves ties the model makes harmless: where the LP is provably exact (no binary) but
 * the solver returned charge and discharge at once (a zero-cost tie), the interval is replaced by the single-mode
 * schedule with the same SoC change (cost never rises, see docs/optimizer.md); likewise import and export at once
 * where import costs at least the export credit. SoC is then recomputed with the one recursion.
 */
export function normalizeSolution(m: PlanModel, raw: RawSolution): Omit<Schedule, 'objectiveUsd'> {
  const n = m.n;
  const c = new Float64Array(n);
  const d = new Float64Array(n);
  const imp = new Float64Array(n);
  const exp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ci = clean(raw.chargeKw[i], m.maxChargeKw);
    let di = clean(raw.dischargeKw[i], m.maxDischargeKw[i]);
    if (ci > 0 && di > 0 && m.needsModeBinary[i] === 0) {
      // The same SoC change in one mode, through the battery model's recursion and its inverses.
      const deltaKwh = nextSocKwh(0, ci, di, m.k);
      ci = chargeKwToReach(0, deltaKwh, m.k);
      di = dischargeKwToReach(0, deltaKwh, m.k);
    }
    let grid = { importKw: clean(raw.gridImportKw[i], Infinity), exportKw: clean(raw.gridExportKw[i], Infinity) };
    if (ci - di !== raw.chargeKw[i] - raw.dischargeKw[i]) {
      // the battery side changed (tie resolution or noise): grid flows follow from the balance
      grid = gridFlowsKw({ loadKw: m.netLoadKw[i], solarKw: 0, chargeKw: ci, dischargeKw: di });
    } else if (grid.importKw > 0 && grid.exportKw > 0 && m.needsGridBinary[i] === 0) {
      grid = gridFlowsOfNetKw(grid.importKw - grid.exportKw);
    }
    c[i] = ci;
    d[i] = di;
    imp[i] = grid.importKw;
    exp[i] = grid.exportKw;
  }
  const soc = socPath(m.initialSocKwh, c, d, m.k);
  return { chargeKw: c, dischargeKw: d, gridImportKw: imp, gridExportKw: exp, socKwh: soc };
}
