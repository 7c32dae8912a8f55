/**
 * Per-site calibration from reconciled intervals (pure):
 * - effective round-trip efficiency: the efficiency for which the battery model's one recursion, stepped with the
 *   measured AC energies, reproduces the measured SoC change (summed over intervals with SoC measured at both ends).
 *   Found by bisection over `nextSocKwh`, so the recursion is not written again here.
 * - command latency: in the first interval of a command, the share of the planned energy that did not flow,
 *   times the interval length (median over commands). 15-minute data bounds its resolution.
 */
import { nextSocKwh, socCoefficients, type BatterySpec } from '../battery/battery.js';

export interface EfficiencySample {
  socStartKwh: number;
  socEndKwh: number;
  chargeKwh: number;
  dischargeKwh: number;
}

export interface EfficiencyEstimate {
  roundTripEfficiency: number;
  /** Charged + discharged kWh the estimate rests on. */
  throughputKwh: number;
  /** The measured SoC change could not be reproduced inside [min, max]; the bound is returned. */
  clamped: boolean;
}

export const RTE_BOUNDS = { min: 0.5, max: 1 } as const;

function steppedDeltaKwh(samples: readonly EfficiencySample[], spec: BatterySpec, rte: number): number {
  const k = socCoefficients({ ...spec, roundTripEfficiency: rte }, 1);
  let delta = 0;
  for (const s of samples) delta += nextSocKwh(0, s.chargeKwh, s.dischargeKwh, k);
  return delta;
}

/**
 * The round-trip efficiency that explains the samples, or null when they carry too little throughput
 * (`minThroughputKwh`, default 2 kWh) to say anything.
 */
export function estimateRoundTripEfficiency(samples: readonly EfficiencySample[], spec: BatterySpec, minThroughputKwh = 2): EfficiencyEstimate | null {
  const throughputKwh = samples.reduce((n, s) => n + s.chargeKwh + s.dischargeKwh, 0);
  if (throughputKwh < minThroughputKwh) return null;
  const measured = samples.reduce((n, s) => n + s.socEndKwh - s.socStartKwh, 0);
  // The stepped change grows with efficiency (more is stored per kWh charged, less drawn per kWh discharged).
  let lo: number = RTE_BOUNDS.min;
  let hi: number = RTE_BOUNDS.max;
  if (measured <= steppedDeltaKwh(samples, spec, lo)) return { roundTripEfficiency: lo, throughputKwh, clamped: true };
  if (measured >= steppedDeltaKwh(samples, spec, hi)) return { roundTripEfficiency: hi, throughputKwh, clamped: measured > steppedDeltaKwh(samples, spec, hi) + 1e-9 };
  for (let iter = 0; iter < 60; iter++) {
    const mid = (lo + hi) / 2;
    if (steppedDeltaKwh(samples, spec, mid) < measured) lo = mid;
    else hi = mid;
  }
  return { roundTripEfficiency: (lo + hi) / 2, throughputKwh, clamped: false };
}

export interface CommandStartSample {
  plannedKwh: number;
  actualKwh: number;
  intervalMs: number;
  /**
   * Time from the command's start to the start of its first reconciled interval (default 0). The dispatcher starts
   * commands early by the measured latency, so the battery may follow before that interval: its latency is this
   * lead-in plus the interval's missing share. A command followed fully from that interval only bounds the latency
   * from above (it may have followed sooner), so it is not a sample.
   */
  leadInMs?: number;
}

/** Below this missing share the first interval counts as fully followed. */
const FULLY_FOLLOWED_SHARE = 0.02;

/**
 * Median latency (ms) over command starts with a planned flow, or null without any: the delay between a command's
 * start and the battery following it, from the first interval it was reconciled in.
 */
export function estimateCommandLatencyMs(samples: readonly CommandStartSample[]): { latencyMs: number; samples: number } | null {
  const lat: number[] = [];
  for (const s of samples) {
    if (!(s.plannedKwh > 1e-6)) continue;
    const missing = 1 - Math.min(1, Math.max(0, s.actualKwh / s.plannedKwh));
    const leadIn = Math.max(0, s.leadInMs ?? 0);
    if (leadIn > 0 && missing < FULLY_FOLLOWED_SHARE) continue;
    lat.push(leadIn + missing * s.intervalMs);
  }
  lat.sort((a, b) => a - b);
  if (!lat.length) return null;
  const mid = Math.floor(lat.length / 2);
  const latencyMs = lat.length % 2 ? lat[mid] : (lat[mid - 1] + lat[mid]) / 2;
  return { latencyMs: Math.round(latencyMs), samples: lat.length };
}

export interface SiteCalibration {
  roundTripEfficiency: number | null;
  rteThroughputKwh: number;
  commandLatencyMs: number | null;
  latencySamples: number;
}

/** The battery spec the planner should use: the calibrated efficiency once it rests on enough throughput. */
export function calibratedBattery(spec: BatterySpec, calibration: SiteCalibration | null, minThroughputKwh = 20): BatterySpec {
  if (!calibration || calibration.roundTripEfficiency === null || calibration.rteThroughputKwh < minThroughputKwh) return spec;
  return { ...spec, roundTripEfficiency: calibration.roundTripEfficiency };
}
