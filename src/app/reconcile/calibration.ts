/**
 * Per-site calibration kept up to date by the reconciler, and what the planner asks for:
 *   updateSiteCalibration(db, siteId, nowMs)  re-estimates round-trip efficiency (measured telemetry) and command
 *                                             latency (first interval of each reconciled command) over a window
 *   plannerCalibration(db, siteId)            the battery spec to plan with (calibrated efficiency once it rests on
 *                                             enough throughput) and the measured command latency
 */
import type { BatterySpec } from '../../domain/battery/battery.js';
import { percentToKwh } from '../../domain/battery/battery.js';
import { calibratedBattery, estimateCommandLatencyMs, estimateRoundTripEfficiency, type CommandStartSample, type EfficiencySample } from '../../domain/reconcile/calibration.js';
import { HOUR_MS, INTERVAL_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { getSiteCalibration, listReconciliationResults, upsertSiteCalibration, type StoredSiteCalibration } from '../../store/reconcile-repo.js';
import { requireSite } from '../../store/sites-repo.js';
import { getTelemetry } from '../../store/telemetry-repo.js';
import { listCommands } from '../../store/commands-repo.js';
import { siteBattery } from './reconcile-site.js';

export interface CalibrationOptions {
  /** Days looked back (default 14). */
  windowDays?: number;
}

function efficiencySamples(battery: BatterySpec, rows: Awaited<ReturnType<typeof getTelemetry>>): EfficiencySample[] {
  const out: EfficiencySample[] = [];
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1];
    const cur = rows[i];
    if (cur.intervalEndMs - prev.intervalEndMs !== INTERVAL_MS) continue;
    if (prev.socPercent === null || cur.socPercent === null || cur.chargeWh === null || cur.dischargeWh === null) continue;
    out.push({ socStartKwh: percentToKwh(battery, prev.socPercent), socEndKwh: percentToKwh(battery, cur.socPercent), chargeKwh: cur.chargeWh / 1000, dischargeKwh: cur.dischargeWh / 1000 });
  }
  return out;
}

/** The first reconciled interval of each command (outcomes that say something about latency only). */
function commandStartSamples(rows: Awaited<ReturnType<typeof listReconciliationResults>>, commandStartMs: ReadonlyMap<string, number>): CommandStartSample[] {
  const firsts = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (r.commandId && !firsts.has(r.commandId)) firsts.set(r.commandId, r);
  const out: CommandStartSample[] = [];
  for (const r of firsts.values()) {
    if (!['effective', 'partial', 'no_effect'].includes(r.commandOutcome ?? '')) continue;
    const charge = (r.plannedChargeKwh ?? 0) >= (r.plannedDischargeKwh ?? 0);
    const plannedKwh = (charge ? r.plannedChargeKwh : r.plannedDischargeKwh) ?? 0;
    const actualKwh = (charge ? r.actualChargeKwh : r.actualDischargeKwh) ?? 0;
    const startMs = commandStartMs.get(r.commandId!);
    out.push({ plannedKwh, actualKwh, intervalMs: INTERVAL_MS, leadInMs: startMs === undefined ? 0 : Math.max(0, r.intervalStartMs - startMs) });
  }
  return out;
}

export async function updateSiteCalibration(db: Executor, siteId: string, nowMs: number, options: CalibrationOptions = {}): Promise<StoredSiteCalibration> {
  const site = await requireSite(db, siteId);
  const battery = siteBattery(site);
  const windowStartMs = nowMs - (options.windowDays ?? 14) * 24 * HOUR_MS;
  const [telemetry, reconciled, commands] = await Promise.all([getTelemetry(db, siteId, windowStartMs, nowMs), listReconciliationResults(db, siteId, windowStartMs, nowMs), listCommands(db, siteId, { startMs: windowStartMs })]);
  const rte = estimateRoundTripEfficiency(efficiencySamples(battery, telemetry), battery);
  const latency = estimateCommandLatencyMs(commandStartSamples(reconciled, new Map(commands.map((c) => [c.commandId, c.windowStartMs]))));
  const calibration = {
    siteId,
    roundTripEfficiency: rte?.roundTripEfficiency ?? null,
    rteThroughputKwh: rte?.throughputKwh ?? 0,
    commandLatencyMs: latency?.latencyMs ?? null,
    latencySamples: latency?.samples ?? 0,
    windowStartMs,
    windowEndMs: nowMs,
    details: { rteClamped: rte?.clamped ?? null, nominalRoundTripEfficiency: battery.roundTripEfficiency },
  };
  await upsertSiteCalibration(db, calibration, nowMs);
  return { ...calibration, updatedAtMs: nowMs };
}

export interface PlannerCalibration {
  /** The site's battery with the calibrated round-trip efficiency when it is trustworthy. */
  battery: BatterySpec;
  /** Measured command latency (ms), null until measured. */
  commandLatencyMs: number | null;
  calibration: StoredSiteCalibration | null;
}

/** What the planner uses for a site: call it when building the plan input. */
export async function plannerCalibration(db: Executor, siteId: string, options: { minThroughputKwh?: number } = {}): Promise<PlannerCalibration> {
  const [site, calibration] = await Promise.all([requireSite(db, siteId), getSiteCalibration(db, siteId)]);
  return {
    battery: calibratedBattery(siteBattery(site), calibration, options.minThroughputKwh),
    commandLatencyMs: calibration?.commandLatencyMs ?? null,
    calibration,
  };
}
