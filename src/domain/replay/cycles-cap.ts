/**
 * The cycles-per-day cap as the replay sees it: what the simulated battery really discharged per ERCOT day (AC kWh),
 * the running total the re-planning strategies hand to the optimizer (PlanInput.dischargedTodayKwh), and the
 * `cycles-cap-exceeded` violation when a day's discharge went over maxCyclesPerDay · usable kWh.
 */
import { equivalentCycles, reserveFloorKwh, type BatterySpec } from '../battery/battery.js';
import type { SimulatedInterval, Violation } from '../simulator/device-simulator.js';
import { ercotDateOf, toErcotIso } from '../time/ercot-calendar.js';
import { INTERVAL_HOURS } from '../time/interval.js';

/** A day's discharge may exceed the cap by this much (kWh) before it is a violation (solver/float noise). */
export const CYCLES_CAP_TOLERANCE_KWH = 1e-6;

/** Discharged AC kWh allowed per ERCOT day: maxCyclesPerDay × usable capacity (capacity − reserve floor). */
export function dailyDischargeCapKwh(battery: BatterySpec, maxCyclesPerDay: number): number {
  return maxCyclesPerDay * Math.max(0, battery.capacityKwh - reserveFloorKwh(battery));
}

/** Running discharged kWh of the ERCOT day of the latest interval added (intervals are added in time order). */
export class DailyDischarge {
  private day = '';
  private kwh = 0;

  add(interval: Pick<SimulatedInterval, 'startMs' | 'dischargeKw'>): void {
    const day = ercotDateOf(interval.startMs);
    if (day !== this.day) {
      this.day = day;
      this.kwh = 0;
    }
    this.kwh += interval.dischargeKw * INTERVAL_HOURS;
  }

  /** AC kWh discharged on the ERCOT day containing `startMs`, in the intervals added so far (all before startMs). */
  beforeKwh(startMs: number): number {
    return ercotDateOf(startMs) === this.day ? this.kwh : 0;
  }
}

/** One `cycles-cap-exceeded` violation per ERCOT day whose simulated discharge exceeds the cap (+ tolerance). */
export function cyclesCapViolations(battery: BatterySpec, maxCyclesPerDay: number | undefined, intervals: readonly Pick<SimulatedInterval, 'startMs' | 'dischargeKw'>[]): Violation[] {
  if (maxCyclesPerDay === undefined) return [];
  const capKwh = dailyDischargeCapKwh(battery, maxCyclesPerDay);
  const days = new Map<string, { kwh: number; firstOverMs: number | null }>();
  for (const iv of intervals) {
    const day = ercotDateOf(iv.startMs);
    let d = days.get(day);
    if (!d) {
      d = { kwh: 0, firstOverMs: null };
      days.set(day, d);
    }
    d.kwh += iv.dischargeKw * INTERVAL_HOURS;
    if (d.firstOverMs === null && d.kwh > capKwh + CYCLES_CAP_TOLERANCE_KWH) d.firstOverMs = iv.startMs;
  }
  const out: Violation[] = [];
  for (const [day, d] of days) {
    if (d.firstOverMs === null) continue;
    out.push({
      kind: 'cycles-cap-exceeded',
      at: toErcotIso(d.firstOverMs),
      message: `ERCOT day ${day}: ${d.kwh.toFixed(6)} kWh discharged (${equivalentCycles(battery, d.kwh).toFixed(4)} cycles) exceeds the cap of ${maxCyclesPerDay} cycles/day (${capKwh.toFixed(6)} kWh)`,
    });
  }
  return out;
}
