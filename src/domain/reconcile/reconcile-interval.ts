/**
 * Planned vs. actual for one site and one 15-minute interval (pure): energy charged and discharged, SoC, grid import
 * and export, the battery's value at the settled real-time price, and what the command in force achieved.
 *
 *   battery value = site cost without the battery − site cost with it − degradation   (both at the settled price)
 *
 * Money goes through `siteCostUsd` / `degradationUsd` (economics/site-cost.ts) and any inferred SoC through the
 * battery model's one recursion (battery/battery.ts), never written again here.
 */
import { kwhToPercent, nextSocKwh, percentToKwh, socCoefficients, type BatterySpec } from '../battery/battery.js';
import { degradationUsd, gridFlowsKw, siteCostUsd, type Tariff } from '../economics/site-cost.js';

export type CommandOutcome =
  | 'effective'
  | 'partial'
  | 'no_effect'
  | 'overridden_storm_guard'
  | 'reverted_early'
  | 'not_yet_known'
  | 'no_command';

export const COMMAND_OUTCOMES: readonly CommandOutcome[] = ['effective', 'partial', 'no_effect', 'overridden_storm_guard', 'reverted_early', 'not_yet_known', 'no_command'];

/** What the plan in force said for the interval (one interval of the plan's arrays). */
export interface PlannedInterval {
  chargeKw: number;
  dischargeKw: number;
  gridImportKw: number;
  gridExportKw: number;
  socKwhEnd: number;
}

/** What the telemetry says (Enphase energies over the interval, SoC at its end); null fields = not reported. */
export interface MeasuredInterval {
  chargeWh: number | null;
  dischargeWh: number | null;
  consumptionWh: number | null;
  productionWh: number | null;
  socPercentEnd: number | null;
}

/** The command that was in force during the interval. */
export interface CommandInForce {
  commandId: string;
  /** charge | discharge | idle (anything else is treated as idle). */
  mode: string;
  targetReservePercent: number | null;
  /** The channel or the dispatcher reported that Storm Guard (or another device override) took the battery. */
  overridden: boolean;
}

export interface IntervalToReconcile {
  intervalStartMs: number;
  planId: string | null;
  planned: PlannedInterval | null;
  measured: MeasuredInterval | null;
  /** Measured SoC at the start of the interval (the previous interval's end), if known. */
  socPercentStart: number | null;
  settledPriceUsdPerMwh: number | null;
  command: CommandInForce | null;
  /** Storm Guard was observed active during the interval (site state), whatever the command says. */
  stormGuardActive?: boolean;
}

export interface ReconcileSettings {
  battery: BatterySpec;
  tariff: Tariff;
  intervalHours: number;
  /** actual/planned at or above this is effective (default 0.9). */
  effectiveRatio?: number;
  /** actual/planned at or below this is no effect (default 0.1). */
  noEffectRatio?: number;
  /** How close (percentage points) SoC must be to the command's target to count as reached (default 1). */
  targetTolerancePercent?: number;
}

export interface EnergyKwh {
  chargeKwh: number;
  dischargeKwh: number;
  gridImportKwh: number;
  gridExportKwh: number;
  socPercentEnd: number;
}

export interface IntervalReconciliation {
  intervalStartMs: number;
  planId: string | null;
  commandId: string | null;
  planned: EnergyKwh | null;
  /** Grid flows are NaN-free: null when consumption or production is missing. */
  actual: (Omit<EnergyKwh, 'gridImportKwh' | 'gridExportKwh' | 'socPercentEnd'> & {
    gridImportKwh: number | null;
    gridExportKwh: number | null;
    socPercentEnd: number | null;
    /** The SoC at the end was stepped through the recursion (no measurement). */
    socInferred: boolean;
  }) | null;
  settledPriceUsdPerMwh: number | null;
  /** Planned battery value at the settled price (net of degradation). */
  plannedUsd: number | null;
  /** Realised battery value at the settled price (net of degradation). */
  realisedUsd: number | null;
  outcome: CommandOutcome;
  /** One line a trader can read. */
  note: string;
  /** Measured SoC − SoC stepped from the start with the measured energies (kWh): what efficiency/losses explain. */
  socResidualKwh: number | null;
}

function plannedEnergy(p: PlannedInterval, s: ReconcileSettings): EnergyKwh {
  const h = s.intervalHours;
  return {
    chargeKwh: p.chargeKw * h,
    dischargeKwh: p.dischargeKw * h,
    gridImportKwh: p.gridImportKw * h,
    gridExportKwh: p.gridExportKw * h,
    socPercentEnd: kwhToPercent(s.battery, p.socKwhEnd),
  };
}

/** The battery's value for one interval: cost without it − cost with it − degradation (site-cost.ts arithmetic). */
export function batteryValueUsd(netLoadKw: number, chargeKw: number, dischargeKw: number, priceUsdPerMwh: number, s: ReconcileSettings): number {
  const loadKw = Math.max(0, netLoadKw);
  const solarKw = Math.max(0, -netLoadKw);
  const without = siteCostUsd({ loadKw, solarKw, chargeKw: 0, dischargeKw: 0 }, priceUsdPerMwh, s.tariff, s.intervalHours);
  const withBattery = siteCostUsd({ loadKw, solarKw, chargeKw, dischargeKw }, priceUsdPerMwh, s.tariff, s.intervalHours);
  return without - withBattery - degradationUsd(dischargeKw, s.intervalHours, s.battery.degradationCostUsdPerKwh);
}

function measuredActual(i: IntervalToReconcile, s: ReconcileSettings): { actual: NonNullable<IntervalReconciliation['actual']>; residual: number | null } | null {
  const m = i.measured;
  if (!m || m.chargeWh === null || m.dischargeWh === null) return null;
  const h = s.intervalHours;
  const chargeKwh = m.chargeWh / 1000;
  const dischargeKwh = m.dischargeWh / 1000;
  let gridImportKwh: number | null = null;
  let gridExportKwh: number | null = null;
  if (m.consumptionWh !== null && m.productionWh !== null) {
    const g = gridFlowsKw({ loadKw: m.consumptionWh / 1000 / h, solarKw: m.productionWh / 1000 / h, chargeKw: chargeKwh / h, dischargeKw: dischargeKwh / h });
    gridImportKwh = g.importKw * h;
    gridExportKwh = g.exportKw * h;
  }
  const k = socCoefficients(s.battery, h);
  const stepped = i.socPercentStart === null ? null : nextSocKwh(percentToKwh(s.battery, i.socPercentStart), chargeKwh / h, dischargeKwh / h, k);
  const socInferred = m.socPercentEnd === null && stepped !== null;
  const socPercentEnd = m.socPercentEnd ?? (stepped === null ? null : kwhToPercent(s.battery, stepped));
  const residual = m.socPercentEnd !== null && stepped !== null ? percentToKwh(s.battery, m.socPercentEnd) - stepped : null;
  return { actual: { chargeKwh, dischargeKwh, gridImportKwh, gridExportKwh, socPercentEnd, socInferred }, residual };
}

/** Reconciles one interval. */
export function reconcileInterval(i: IntervalToReconcile, s: ReconcileSettings): IntervalReconciliation {
  const planned = i.planned ? plannedEnergy(i.planned, s) : null;
  const measured = measuredActual(i, s);
  const actual = measured?.actual ?? null;
  const price = i.settledPriceUsdPerMwh;
  const h = s.intervalHours;
  const plannedUsd = planned && i.planned && price !== null
    ? batteryValueUsd(i.planned.gridImportKw - i.planned.gridExportKw - i.planned.chargeKw + i.planned.dischargeKw, i.planned.chargeKw, i.planned.dischargeKw, price, s)
    : null;
  const netLoadKw = i.measured && i.measured.consumptionWh !== null && i.measured.productionWh !== null ? (i.measured.consumptionWh - i.measured.productionWh) / 1000 / h : null;
  const realisedUsd = actual && price !== null && netLoadKw !== null ? batteryValueUsd(netLoadKw, actual.chargeKwh / h, actual.dischargeKwh / h, price, s) : null;
  const { outcome, note } = classifyOutcome(i, planned, actual, s);
  return {
    intervalStartMs: i.intervalStartMs,
    planId: i.planId,
    commandId: i.command?.commandId ?? null,
    planned,
    actual,
    settledPriceUsdPerMwh: price,
    plannedUsd,
    realisedUsd,
    outcome,
    note: price === null && actual ? `${note}; settled price not yet known` : note,
    socResidualKwh: measured?.residual ?? null,
  };
}

type Actual = IntervalReconciliation['actual'];

/** What the command in force achieved in this interval, and why. */
export function classifyOutcome(i: IntervalToReconcile, planned: EnergyKwh | null, actual: Actual, s: ReconcileSettings): { outcome: CommandOutcome; note: string } {
  if (!actual) return { outcome: 'not_yet_known', note: 'telemetry not yet received' };
  const cmd = i.command;
  const mode = cmd?.mode === 'charge' || cmd?.mode === 'discharge' ? cmd.mode : null;
  if (!cmd || !mode) return { outcome: 'no_command', note: cmd ? `command ${cmd.mode}: battery left to itself` : 'no command in force' };
  if (cmd.overridden || i.stormGuardActive) return { outcome: 'overridden_storm_guard', note: `${mode} command overridden by Storm Guard` };
  const wanted = planned ? (mode === 'charge' ? planned.chargeKwh : planned.dischargeKwh) : null;
  const got = mode === 'charge' ? actual.chargeKwh : actual.dischargeKwh;
  if (wanted === null || wanted <= 1e-6) {
    return got > 1e-6 ? { outcome: 'effective', note: `${mode}d ${got.toFixed(2)} kWh (no energy planned for this interval)` } : { outcome: 'effective', note: `${mode} window, nothing planned for this interval` };
  }
  const ratio = got / wanted;
  const share = `${got.toFixed(2)} of ${wanted.toFixed(2)} kWh planned`;
  if (ratio >= (s.effectiveRatio ?? 0.9)) return { outcome: 'effective', note: `${mode}d ${share}` };
  if (targetReached(i, actual, mode, cmd.targetReservePercent, s)) {
    return { outcome: 'reverted_early', note: `${mode}d ${share}: target ${cmd.targetReservePercent} % reached, battery reverted` };
  }
  if (ratio <= (s.noEffectRatio ?? 0.1)) return { outcome: 'no_effect', note: `${mode}d ${share}: no effect` };
  return { outcome: 'partial', note: `${mode}d ${share}` };
}

function targetReached(i: IntervalToReconcile, actual: NonNullable<Actual>, mode: 'charge' | 'discharge', target: number | null, s: ReconcileSettings): boolean {
  if (target === null) return false;
  const tol = s.targetTolerancePercent ?? 1;
  const socs = [i.socPercentStart, actual.socPercentEnd].filter((v): v is number => v !== null);
  return mode === 'charge' ? socs.some((soc) => soc >= target - tol) : socs.some((soc) => soc <= target + tol);
}
