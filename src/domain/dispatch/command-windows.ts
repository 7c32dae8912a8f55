/**
 * Plan → command windows (pure). A window is a run of intervals with the same mode and the same power; each is split
 * so no command lasts more than 4 hours, and each is sent at least 1 minute before it takes effect. Idle intervals
 * need no command: the battery stays in its base mode between commands.
 *
 * The target reserve is the planned state of charge at the window's end, so the device's "revert on target"
 * behaviour ends the command exactly when the plan says the energy has been moved.
 */
import { DEVICE_MIN_RESERVE_PERCENT, kwhToPercent, reserveFloorPercent, type BatterySpec } from '../battery/battery.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';

export const MAX_COMMAND_MS = 4 * HOUR_MS;
export const COMMAND_LATENCY_MS = MINUTE_MS;
/** Powers below this are idle (solver noise). */
export const IDLE_TOLERANCE_KW = 1e-6;

export type CommandMode = 'charge' | 'discharge';

export interface CommandWindow {
  mode: CommandMode;
  /** AC power requested, kW (Enphase VPP rate_watt / 1000). */
  powerKw: number;
  /** The SoC (percent) at which the battery returns to its base mode; never below 10 %. */
  targetReservePercent: number;
  /** When the command is sent; at least COMMAND_LATENCY_MS before effectiveAtMs. */
  sendAtMs: number;
  /** When it takes effect (window start). */
  effectiveAtMs: number;
  /** Exclusive end; endMs − effectiveAtMs ≤ 4 h. */
  endMs: number;
}

export interface ScheduleInterval {
  mode: CommandMode | 'idle';
  powerKw: number;
}

export interface WindowOptions {
  /** UTC start of interval 0. */
  startMs: number;
  battery: BatterySpec;
  /** Lead between sending and effect (default and minimum 1 minute). */
  leadMs?: number;
  /** Send every window at this instant instead of just-in-time (e.g. a day-ahead plan sent once). */
  sendAllAtMs?: number;
}

/** Windows from per-interval modes/powers; `targetPercentAt(endIndex)` gives the target for a window ending before interval endIndex. */
export function windowsFromSchedule(schedule: ScheduleInterval[], targetPercentAt: (endIndex: number, mode: CommandMode) => number, options: WindowOptions): CommandWindow[] {
  const lead = Math.max(COMMAND_LATENCY_MS, options.leadMs ?? COMMAND_LATENCY_MS);
  const maxIntervals = MAX_COMMAND_MS / INTERVAL_MS;
  const floor = Math.max(DEVICE_MIN_RESERVE_PERCENT, reserveFloorPercent(options.battery));
  const out: CommandWindow[] = [];
  let i = 0;
  while (i < schedule.length) {
    const s = schedule[i];
    if (s.mode === 'idle') {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < schedule.length && j - i < maxIntervals && schedule[j].mode === s.mode && Math.abs(schedule[j].powerKw - s.powerKw) <= IDLE_TOLERANCE_KW) j++;
    const effectiveAtMs = options.startMs + i * INTERVAL_MS;
    const target = Math.min(100, Math.max(floor, targetPercentAt(j, s.mode)));
    out.push({
      mode: s.mode,
      powerKw: s.powerKw,
      targetReservePercent: target,
      sendAtMs: options.sendAllAtMs !== undefined ? Math.min(options.sendAllAtMs, effectiveAtMs - lead) : effectiveAtMs - lead,
      effectiveAtMs,
      endMs: options.startMs + j * INTERVAL_MS,
    });
    i = j;
  }
  return out;
}

/** The per-interval modes of a plan (charge and discharge are never both planned in one interval). */
export function planSchedule(chargeKw: ArrayLike<number>, dischargeKw: ArrayLike<number>): ScheduleInterval[] {
  const out: ScheduleInterval[] = [];
  for (let t = 0; t < chargeKw.length; t++) {
    if (chargeKw[t] > IDLE_TOLERANCE_KW && chargeKw[t] >= dischargeKw[t]) out.push({ mode: 'charge', powerKw: chargeKw[t] });
    else if (dischargeKw[t] > IDLE_TOLERANCE_KW) out.push({ mode: 'discharge', powerKw: dischargeKw[t] });
    else out.push({ mode: 'idle', powerKw: 0 });
  }
  return out;
}

export interface PlanLike {
  chargeKw: ArrayLike<number>;
  dischargeKw: ArrayLike<number>;
  /** n+1 points. */
  socKwh: ArrayLike<number>;
}

/** Command windows for a plan whose interval 0 starts at options.startMs; targets are the planned SoC at each window's end. */
export function commandWindows(plan: PlanLike, options: WindowOptions): CommandWindow[] {
  return windowsFromSchedule(planSchedule(plan.chargeKw, plan.dischargeKw), (end) => kwhToPercent(options.battery, plan.socKwh[end]), options);
}
