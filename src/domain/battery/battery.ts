/**
 * The battery model and THE state-of-charge recursion. The optimizer's constraint rows, the device simulator and
  * the reports all take their coefficients from `socCoefficients` and step with `nextSocKwh`; nothing else
 * in the code base may write the recursion again.
 *
 *   soc[t+1] = soc[t] + chargeKw·η·h − dischargeKw·h/η,   η = √(round-trip efficiency), h = interval hours
 *
 * Charge and discharge are AC-side powers (what the meter sees).
 */

/** Tolerances (kWh, kW) for comparing SoC and powers with their bounds: the optimizer's verifier and the simulator. */
export const SOC_TOLERANCE_KWH = 1e-6;
export const POWER_TOLERANCE_KW = 1e-6;

/** The lowest reserve any command may target on an Enphase battery (percent of capacity). */
export const DEVICE_MIN_RESERVE_PERCENT = 10;

export interface BatterySpec {
  capacityKwh: number;
  maxChargeKw: number;
  maxDischargeKw: number;
  /** AC-to-AC round-trip efficiency, 0 < rte ≤ 1; split as √rte on charge and on discharge. */
  roundTripEfficiency: number;
  /** The site's own backup reserve (percent); the effective floor is max(10 %, this). */
  minReservePercent: number;
  /** Degradation cost charged per kWh discharged (AC side), dollars. */
  degradationCostUsdPerKwh: number;
}

export interface SocCoefficients {
  /** kWh of state of charge gained per kW of AC charge held for one interval. */
  kwhPerChargeKw: number;
  /** kWh of state of charge lost per kW of AC discharge held for one interval. */
  kwhPerDischargeKw: number;
}

export function oneWayEfficiency(spec: BatterySpec): number {
  return Math.sqrt(spec.roundTripEfficiency);
}

export function socCoefficients(spec: BatterySpec, intervalHours: number): SocCoefficients {
  const eta = oneWayEfficiency(spec);
  return { kwhPerChargeKw: eta * intervalHours, kwhPerDischargeKw: intervalHours / eta };
}

/** The one SoC recursion. */
export function nextSocKwh(socKwh: number, chargeKw: number, dischargeKw: number, k: SocCoefficients): number {
  return socKwh + chargeKw * k.kwhPerChargeKw - dischargeKw * k.kwhPerDischargeKw;
}

/** AC charge power that, held for one interval, moves SoC from `socKwh` up to `targetKwh` (inverse of the recursion). */
export function chargeKwToReach(socKwh: number, targetKwh: number, k: SocCoefficients): number {
  return Math.max(0, (targetKwh - socKwh) / k.kwhPerChargeKw);
}

/** AC discharge power that, held for one interval, moves SoC from `socKwh` down to `targetKwh`. */
export function dischargeKwToReach(socKwh: number, targetKwh: number, k: SocCoefficients): number {
  return Math.max(0, (socKwh - targetKwh) / k.kwhPerDischargeKw);
}

/** The effective reserve floor in percent: never below the device's 10 %. */
export function reserveFloorPercent(spec: BatterySpec): number {
  return Math.max(DEVICE_MIN_RESERVE_PERCENT, spec.minReservePercent);
}

export function reserveFloorKwh(spec: BatterySpec): number {
  return (spec.capacityKwh * reserveFloorPercent(spec)) / 100;
}

export function percentToKwh(spec: BatterySpec, percent: number): number {
  return (spec.capacityKwh * percent) / 100;
}

export function kwhToPercent(spec: BatterySpec, kwh: number): number {
  return spec.capacityKwh > 0 ? (kwh / spec.capacityKwh) * 100 : 0;
}

/** Equivalent full cycles for a discharged AC energy (discharged kWh / usable capacity above the floor). */
export function equivalentCycles(spec: BatterySpec, dischargedKwh: number): number {
  const usable = spec.capacityKwh - reserveFloorKwh(spec);
  return usable > 0 ? dischargedKwh / usable : 0;
}

/** Steps a whole schedule through the recursion: soc[0] = initial, soc[i+1] after interval i (length n+1). */
export function socPath(initialSocKwh: number, chargeKw: ArrayLike<number>, dischargeKw: ArrayLike<number>, k: SocCoefficients): Float64Array {
  const n = chargeKw.length;
  const out = new Float64Array(n + 1);
  out[0] = initialSocKwh;
  for (let i = 0; i < n; i++) out[i + 1] = nextSocKwh(out[i], chargeKw[i], dischargeKw[i], k);
  return out;
}
