/**
 * The optimizer's contract: data in (PlanInput), data out (Plan). Everything is per 15-minute interval, dense
 * arrays of length n (SoC has n+1 points: before the first interval and after each).
 */
import type { BatterySpec } from '../battery/battery.js';
import type { Tariff } from '../economics/site-cost.js';

/** How energy left in the battery at the end of the horizon counts. */
export type TerminalCondition =
  /** Rolling / day-ahead: each kWh of SoC left at the end is worth this much (so re-planning is stable). */
  | { kind: 'value'; usdPerKwh: number }
  /** Perfect foresight: final SoC must be ≥ initial SoC, and leftover energy is worth nothing. */
  | { kind: 'atLeastInitial' };

export interface PlanInput {
  /** UTC start of the first interval (aligned to 15 minutes). */
  startMs: number;
  intervalHours: number;
  battery: BatterySpec;
  initialSocKwh: number;
  /** Price the site settles at, per interval ($/MWh); may be negative or above $5,000. */
  priceUsdPerMwh: Float64Array;
  /** Home load forecast (kW, ≥ 0) per interval. */
  loadKw: Float64Array;
  /** Solar forecast (kW, ≥ 0) per interval. */
  solarKw: Float64Array;
  /** 1 where battery export to the grid is allowed, 0 where a discharge may only cover the home's net load. */
  exportAllowed: Uint8Array;
  tariff: Tariff;
  terminal: TerminalCondition;
  /** Optional cap on equivalent full cycles per ERCOT day (discharged kWh / usable kWh). */
  maxCyclesPerDay?: number;
  /**
   * AC kWh already discharged on the ERCOT day that contains startMs, before startMs (default 0). With
   * maxCyclesPerDay, the first ERCOT day of the horizon may only discharge the rest of its allowance:
   * max(0, maxCyclesPerDay · usable kWh − dischargedTodayKwh). Re-planning strategies (rolling) pass what the
   * battery really did earlier that day.
   */
  dischargedTodayKwh?: number;
}

export type PlanStatus =
  /** Optimal and verified. */
  | 'optimal'
  /** Inputs could not be met as given (e.g. SoC below reserve, zero power); the plan recovers as fast as allowed. */
  | 'recovering'
  /**
   * No solver produced a verified optimum within the time bound (or all declined): the plan is the verified hold
   * plan (SoC held where it is, or moved into its bounds as fast as allowed); `notes` say why.
   */
  | 'fallback';

export interface VerificationResult {
  ok: boolean;
  /** Each problem names the interval and the violated bound. */
  problems: string[];
}

export interface Plan {
  status: PlanStatus;
  /** Human-readable reasons for a non-optimal status. */
  notes: string[];
  solver: string;
  /** Objective value in dollars: site energy cost + degradation − terminal value (lower is better). */
  objectiveUsd: number;
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
  gridImportKw: Float64Array;
  gridExportKw: Float64Array;
  /** n+1 points; socKwh[0] = initial. */
  socKwh: Float64Array;
  verification: VerificationResult;
  /** Wall-clock time spent in build / solve / extract+verify, milliseconds. */
  timing: { buildMs: number; solveMs: number; verifyMs: number };
}
