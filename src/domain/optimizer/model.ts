/**
 * The planning model, prepared once per PlanInput and shared by every solver and by the verifier: per-interval
 * bounds, prices in $/kWh, SoC coefficients (from THE recursion in battery.ts), the (possibly ramped) SoC bounds and
 * the flags saying where the pure LP is provably exact and where binaries are needed.
 *
 * Pure: no I/O, no clock.
 */
import { reserveFloorKwh, SOC_TOLERANCE_KWH, socCoefficients, type SocCoefficients } from '../battery/battery.js';
import { exportUsdPerKwh, importUsdPerKwh, maxDischargeKwFor } from '../economics/site-cost.js';
import { InputError } from '../errors.js';
import { checkPlanInputLimits } from './input-limits.js';
import { ercotDateOf } from '../time/ercot-calendar.js';
import { INTERVAL_MS } from '../time/interval.js';
import type { PlanInput, PlanStatus } from './plan-types.js';

/** Tolerance (kWh, kW) used when comparing SoC and powers to their bounds (one definition, in battery.ts). */
export { POWER_TOLERANCE_KW, SOC_TOLERANCE_KWH } from '../battery/battery.js';

export interface PlanModel {
  n: number;
  intervalHours: number;
  k: SocCoefficients;
  initialSocKwh: number;
  /** SoC bounds at the n+1 points; lb[0] = ub[0] = initial. Ramped when the initial SoC is outside [floor, capacity]. */
  socLowerKwh: Float64Array;
  socUpperKwh: Float64Array;
  floorKwh: number;
  capacityKwh: number;
  maxChargeKw: number;
  /** Per interval: the battery's discharge limit after the export rule (maxDischargeKwFor). */
  maxDischargeKw: Float64Array;
  /** Per interval: home net load, load − solar (kW; negative = solar surplus). */
  netLoadKw: Float64Array;
  importUsdPerKwh: Float64Array;
  exportUsdPerKwh: Float64Array;
  degradationUsdPerKwh: number;
  /** $ per kWh of SoC left at the end (0 for 'atLeastInitial'). */
  terminalUsdPerKwh: number;
  /**
   * 1 where the LP relaxation could profit from charging and discharging at once (burning energy through the
   * round-trip loss at a negative effective price): the LP solvers add a mode binary there.
   */
  needsModeBinary: Uint8Array;
  /** 1 where import is cheaper than export credit (pImp < pExp): a grid-direction binary is needed there. */
  needsGridBinary: Uint8Array;
  /** Count of intervals with a binary of either kind (0 → the pure LP is exact). */
  binaryIntervals: number;
  /**
   * Cycles cap: day index per interval and discharged-kWh cap per day, or null when no cap. Day 0 (the ERCOT day
   * of startMs) gets what is left of its allowance after input.dischargedTodayKwh (never below 0).
   */
  cycleDayOfInterval: Int32Array | null;
  cycleCapKwh: Float64Array | null;
  status: PlanStatus;
  notes: string[];
}

function checkArrays(input: PlanInput): void {
  const n = input.priceUsdPerMwh.length;
  const named: Array<[string, ArrayLike<number>]> = [
    ['loadKw', input.loadKw],
    ['solarKw', input.solarKw],
    ['exportAllowed', input.exportAllowed],
  ];
  for (const [field, arr] of named) {
    if (arr.length !== n) throw new InputError(`plan input has ${arr.length} values for ${field} but ${n} prices`, { field });
  }
  for (let i = 0; i < n; i++) {
    const p = input.priceUsdPerMwh[i];
    if (!Number.isFinite(p)) throw new InputError(`price for interval ${i} is not a number (gap?)`, { field: 'priceUsdPerMwh', interval: new Date(input.startMs + i * INTERVAL_MS).toISOString() });
    if (!(input.loadKw[i] >= 0) || !(input.solarKw[i] >= 0)) throw new InputError(`load and solar must be finite and ≥ 0 (interval ${i})`, { field: 'loadKw/solarKw' });
  }
  const b = input.battery;
  for (const [field, v] of Object.entries({ capacityKwh: b.capacityKwh, maxChargeKw: b.maxChargeKw, maxDischargeKw: b.maxDischargeKw, degradationCostUsdPerKwh: b.degradationCostUsdPerKwh })) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new InputError(`battery ${field} must be a finite number ≥ 0 (got ${v})`, { field: `battery.${field}` });
  }
  if (!(b.roundTripEfficiency > 0 && b.roundTripEfficiency <= 1)) throw new InputError(`battery roundTripEfficiency must be in (0, 1] (got ${b.roundTripEfficiency})`, { field: 'battery.roundTripEfficiency' });
  if (!Number.isFinite(input.initialSocKwh) || input.initialSocKwh < 0) throw new InputError(`initial SoC must be a finite number ≥ 0 (got ${input.initialSocKwh})`, { field: 'initialSocKwh' });
  if (!(input.intervalHours > 0)) throw new InputError(`intervalHours must be > 0`, { field: 'intervalHours' });
  if (input.terminal.kind === 'value' && !Number.isFinite(input.terminal.usdPerKwh)) throw new InputError('terminal value must be finite', { field: 'terminal.usdPerKwh' });
  if (input.maxCyclesPerDay !== undefined && !(input.maxCyclesPerDay >= 0)) throw new InputError('maxCyclesPerDay must be ≥ 0', { field: 'maxCyclesPerDay' });
  if (input.dischargedTodayKwh !== undefined && !(input.dischargedTodayKwh >= 0 && Number.isFinite(input.dischargedTodayKwh))) {
    throw new InputError(`dischargedTodayKwh must be a finite number ≥ 0 (got ${input.dischargedTodayKwh})`, { field: 'dischargedTodayKwh' });
  }
  checkPlanInputLimits(input);
}

/** Builds the model every solver works on. Throws InputError on malformed input (never on infeasible input). */
export function prepareModel(input: PlanInput): PlanModel {
  checkArrays(input);
  const n = input.priceUsdPerMwh.length;
  const b = input.battery;
  const h = input.intervalHours;
  const k = socCoefficients(b, h);
  const notes: string[] = [];
  let recovering = false;
  const capacityKwh = b.capacityKwh;
  let floorKwh = reserveFloorKwh(b);
  if (floorKwh > capacityKwh) {
    floorKwh = capacityKwh;
    notes.push('reserve above 100 %: floor clamped to capacity');
  }
  const s0 = input.initialSocKwh;
  const maxChargeKw = b.maxChargeKw;
  const maxDischargeKw = new Float64Array(n);
  const netLoadKw = new Float64Array(n);
  const pImp = new Float64Array(n);
  const pExp = new Float64Array(n);
  const needsModeBinary = new Uint8Array(n);
  const needsGridBinary = new Uint8Array(n);
  const deg = b.degradationCostUsdPerKwh;
  // Burning energy (charge c and discharge d = c·kc/kd at once, SoC unchanged) raises grid net by c·(1 − kc/kd);
  // per kWh of extra net the cost moves by p; per kWh discharged by deg. Burning never pays when
  // p·(kd/kc − 1) + deg ≥ 0 for every price p reachable in the interval: then the LP relaxation is exact.
  const lossRatio = k.kwhPerDischargeKw / k.kwhPerChargeKw - 1;
  let binaryIntervals = 0;
  for (let i = 0; i < n; i++) {
    const a = input.loadKw[i] - input.solarKw[i];
    netLoadKw[i] = a;
    const dMax = maxDischargeKwFor(b.maxDischargeKw, input.loadKw[i], input.solarKw[i], input.exportAllowed[i] === 1);
    maxDischargeKw[i] = dMax;
    const pi = importUsdPerKwh(input.priceUsdPerMwh[i], input.tariff);
    const pe = exportUsdPerKwh(input.priceUsdPerMwh[i], input.tariff);
    pImp[i] = pi;
    pExp[i] = pe;
    const canImport = a + maxChargeKw > 0;
    const canExport = a - dMax < 0;
    if (pi < pe && canImport && canExport) needsGridBinary[i] = 1;
    if (maxChargeKw > 0 && dMax > 0) {
      const burnOk = (!canExport || pe * lossRatio + deg >= 0) && (!canImport || pi * lossRatio + deg >= 0);
      if (!burnOk) needsModeBinary[i] = 1;
    }
    if (needsGridBinary[i] || needsModeBinary[i]) binaryIntervals++;
  }

  if (capacityKwh <= 0) {
    recovering = true;
    notes.push('battery capacity is 0: the plan is idle');
  }
  if (maxChargeKw <= 0 && b.maxDischargeKw <= 0) {
    recovering = true;
    notes.push('battery has zero charge and discharge power: the plan is idle');
  }
  // SoC bounds, ramped from the initial SoC as fast as the power limits allow when it starts outside [floor, cap].
  const lb = new Float64Array(n + 1);
  const ub = new Float64Array(n + 1);
  lb[0] = s0;
  ub[0] = s0;
  if (s0 < floorKwh - SOC_TOLERANCE_KWH) {
    recovering = true;
    notes.push(
      maxChargeKw > 0
        ? `initial SoC ${s0.toFixed(3)} kWh is below the reserve floor ${floorKwh.toFixed(3)} kWh: the floor ramps up from the initial SoC at the maximum charge rate`
        : `initial SoC ${s0.toFixed(3)} kWh is below the reserve floor ${floorKwh.toFixed(3)} kWh and the battery cannot charge: SoC may not fall further`,
    );
  }
  if (s0 > capacityKwh + SOC_TOLERANCE_KWH) {
    recovering = true;
    notes.push(`initial SoC ${s0.toFixed(3)} kWh is above capacity ${capacityKwh.toFixed(3)} kWh: the ceiling ramps down at the maximum discharge rate`);
  }
  for (let t = 0; t < n; t++) {
    lb[t + 1] = lb[t] >= floorKwh ? floorKwh : Math.min(floorKwh, lb[t] + maxChargeKw * k.kwhPerChargeKw);
    ub[t + 1] = ub[t] <= capacityKwh ? capacityKwh : Math.max(capacityKwh, ub[t] - maxDischargeKw[t] * k.kwhPerDischargeKw);
  }
  let terminalUsdPerKwh = 0;
  if (input.terminal.kind === 'value') terminalUsdPerKwh = input.terminal.usdPerKwh;
  else lb[n] = Math.max(lb[n], Math.min(s0, ub[n]));

  let cycleDayOfInterval: Int32Array | null = null;
  let cycleCapKwh: Float64Array | null = null;
  const usable = capacityKwh - reserveFloorKwh(b);
  if (input.maxCyclesPerDay !== undefined && usable > 0 && n > 0) {
    cycleDayOfInterval = new Int32Array(n);
    const caps: number[] = [];
    let prev = '';
    for (let i = 0; i < n; i++) {
      const d = ercotDateOf(input.startMs + i * INTERVAL_MS);
      if (d !== prev) {
        const allowanceKwh = input.maxCyclesPerDay * usable;
        caps.push(caps.length === 0 ? Math.max(0, allowanceKwh - (input.dischargedTodayKwh ?? 0)) : allowanceKwh);
        prev = d;
      }
      cycleDayOfInterval[i] = caps.length - 1;
    }
    cycleCapKwh = Float64Array.from(caps);
  }

  return {
    n,
    intervalHours: h,
    k,
    initialSocKwh: s0,
    socLowerKwh: lb,
    socUpperKwh: ub,
    floorKwh,
    capacityKwh,
    maxChargeKw,
    maxDischargeKw,
    netLoadKw,
    importUsdPerKwh: pImp,
    exportUsdPerKwh: pExp,
    degradationUsdPerKwh: deg,
    terminalUsdPerKwh,
    needsModeBinary,
    needsGridBinary,
    binaryIntervals,
    cycleDayOfInterval,
    cycleCapKwh,
    status: recovering ? 'recovering' : 'optimal',
    notes,
  };
}

/** The solver-independent result of a solve: decisions per interval plus the solver's own objective. */
export interface RawSolution {
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
  gridImportKw: Float64Array;
  gridExportKw: Float64Array;
  /** n+1 points as the solver saw them. */
  socKwh: Float64Array;
  objectiveUsd: number;
}

/** Thrown by a solver's solve() when it cannot solve this particular model exactly; the planner uses its fallback. */
export class SolverDeclined extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SolverDeclined';
  }
}

/** Thrown by a solver's solve() when its time budget ran out before it had a usable answer. */
export class SolveTimedOut extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SolveTimedOut';
  }
}

/**
 * A solve's time bound, read through the planner's injected timer (the domain reads no clock). Solvers poll
 * `expired()` between steps (dp) or pass `remainingMs()` to their own limit (HiGHS).
 */
export interface SolveBudget {
  expired(): boolean;
  /** Milliseconds left; Infinity when unbounded. */
  remainingMs(): number;
}

export const UNBOUNDED_BUDGET: SolveBudget = { expired: () => false, remainingMs: () => Infinity };

/** The port every solver implements. `solve` is synchronous; WASM solvers are loaded before. */
export interface PlanSolver {
  readonly name: string;
  /** False when this solver cannot solve the model exactly (the planner then uses its fallback). */
  supports(model: PlanModel): boolean;
  /** Throws SolverDeclined (cannot solve this model exactly) or SolveTimedOut (the budget ran out). */
  solve(model: PlanModel, budget?: SolveBudget): RawSolution;
}
