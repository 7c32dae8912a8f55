/**
 * The windows a plan asks for, as the dispatcher will send them: constant mode and power (rounded to a power step so
 * solver noise does not split windows), at most 4 h and at most the channel's longest command (longer runs become
 * consecutive windows), targets never below 10 % nor the site's reserve, each with a reason a trader can read.
 */
import { kwhToPercent, type BatterySpec } from '../battery/battery.js';
import type { ChannelCapabilities } from '../ports/control-channel.js';
import { INTERVAL_MS } from '../time/interval.js';
import { MAX_COMMAND_MS, planSchedule, windowsFromSchedule, type CommandMode } from './command-windows.js';
import { windowReason } from './window-reasons.js';

export interface DispatchPlan {
  planId: string;
  /** Per site: 1, 2, ... */
  planVersion: number;
  /** UTC start of interval 0. */
  startMs: number;
  chargeKw: ArrayLike<number>;
  dischargeKw: ArrayLike<number>;
  /** n+1 points. */
  socKwh: ArrayLike<number>;
  /** The (forecast) prices the plan was made with, $/MWh, one per interval. */
  priceUsdPerMwh: ArrayLike<number>;
  /** What a kWh left in the battery at the horizon's end is worth to the plan, $/kWh. */
  terminalUsdPerKwh: number;
  /**
   * Commands start (and end) this much before the intervals they are planned for, so that the battery, which follows
   * a command the site's measured latency after its start, acts over the planned interval (default 0).
   */
  commandShiftMs?: number;
}

export interface PlannedWindow {
  mode: CommandMode;
  powerKw: number;
  targetReservePercent: number;
  startMs: number;
  endMs: number;
  reason: string;
}

export interface PlanWindowOptions {
  battery: BatterySpec;
  /** The site's own reserve (percent); the floor is max(10 %, this, battery.minReservePercent). */
  siteReservePercent: number;
  capabilities: ChannelCapabilities;
  /** Powers are rounded to this step (kW); default 0.1. */
  powerStepKw?: number;
}

export const DEFAULT_POWER_STEP_KW = 0.1;

function roundTo(value: number, step: number): number {
  return step > 0 ? Math.round(value / step) * step : value;
}

/** Every window of the plan (past ones included), in time order. */
export function planWindows(plan: DispatchPlan, options: PlanWindowOptions): PlannedWindow[] {
  const step = options.powerStepKw ?? DEFAULT_POWER_STEP_KW;
  const n = plan.chargeKw.length;
  const charge = new Float64Array(n);
  const discharge = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    charge[t] = roundTo(plan.chargeKw[t], step);
    discharge[t] = roundTo(plan.dischargeKw[t], step);
  }
  const battery = { ...options.battery, minReservePercent: Math.max(options.battery.minReservePercent, options.siteReservePercent) };
  const schedule = planSchedule(charge, discharge);
  const raw = windowsFromSchedule(schedule, (end) => kwhToPercent(battery, plan.socKwh[end]), { startMs: plan.startMs, battery });
  const maxMs = Math.min(MAX_COMMAND_MS, options.capabilities.maxDurationMs);
  const maxIntervals = Math.max(1, Math.floor(maxMs / INTERVAL_MS));
  const out: PlannedWindow[] = [];
  for (const w of raw) {
    if (w.mode === 'charge' && !options.capabilities.gridCharge) continue;
    const i0 = (w.effectiveAtMs - plan.startMs) / INTERVAL_MS;
    const i1 = (w.endMs - plan.startMs) / INTERVAL_MS;
    for (let a = i0; a < i1; a += maxIntervals) {
      const b = Math.min(i1, a + maxIntervals);
      const target = b === i1 ? w.targetReservePercent : clampTarget(kwhToPercent(battery, plan.socKwh[b]), battery);
      const startMs = plan.startMs + a * INTERVAL_MS;
      const endMs = plan.startMs + b * INTERVAL_MS;
      out.push({ mode: w.mode, powerKw: w.powerKw, targetReservePercent: target, startMs, endMs, reason: windowReason(plan, w.mode, w.powerKw, target, startMs, endMs) });
    }
  }
  return out;
}

function clampTarget(percent: number, battery: BatterySpec): number {
  return Math.min(100, Math.max(10, battery.minReservePercent, percent));
}
