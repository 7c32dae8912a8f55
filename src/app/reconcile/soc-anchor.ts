/**
 * The SoC the next plan starts from: the newest measured SoC, stepped forward through the plan in force (with the
 * battery model's one recursion) over the intervals between the measurement and the plan start, since Enphase
 * telemetry arrives late. The planner/dispatcher calls `socAnchor` for PlanInput's initial SoC.
 */
import { nextSocKwh, percentToKwh, socCoefficients } from '../../domain/battery/battery.js';
import { INTERVAL_HOURS, INTERVAL_MS, intervalFloor } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { latestSoc } from '../telemetry/freshness.js';
import { plannerCalibration } from './calibration.js';
import { plansInForce } from './inputs.js';

export interface SocAnchor {
  /** SoC (kWh) at `atMs`, clamped to [0, capacity] (it may lie below the reserve floor: the planner decides). */
  socKwh: number;
  atMs: number;
  measuredSocPercent: number;
  /** End of the interval the SoC was measured at. */
  measuredAtMs: number;
  /** Intervals stepped through the plan in force between the measurement and atMs. */
  steppedIntervals: number;
  /** The measurement is older than maxAgeMs: the dispatcher should stand aside. */
  stale: boolean;
}

/** Null when the site has no SoC measurement at all. `atMs` is floored to an interval start. */
export async function socAnchor(db: Executor, siteId: string, atMs: number, options: { maxAgeMs?: number } = {}): Promise<SocAnchor | null> {
  const start = intervalFloor(atMs);
  const maxAgeMs = options.maxAgeMs ?? 6 * 3_600_000;
  const reading = await latestSoc(db, siteId, start, maxAgeMs);
  if (!reading) return null;
  const { battery } = await plannerCalibration(db, siteId);
  let socKwh = percentToKwh(battery, reading.socPercent);
  let stepped = 0;
  if (reading.asOfMs < start) {
    const plans = await plansInForce(db, siteId, reading.asOfMs, start);
    const k = socCoefficients(battery, INTERVAL_HOURS);
    for (let t = reading.asOfMs; t < start; t += INTERVAL_MS) {
      const p = plans.get(t);
      if (p) socKwh = nextSocKwh(socKwh, p.chargeKw, p.dischargeKw, k);
      stepped++;
    }
  }
  socKwh = Math.min(battery.capacityKwh, Math.max(0, socKwh));
  return { socKwh, atMs: start, measuredSocPercent: reading.socPercent, measuredAtMs: reading.asOfMs, steppedIntervals: stepped, stale: reading.stale };
}
