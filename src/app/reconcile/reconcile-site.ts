/**
 * Reconciles a site over a range of intervals: reads plan, commands, telemetry and settled prices, runs the pure
 * `reconcileInterval` per interval that has ended, and saves the results (a changed interval keeps its earlier
 * result as a revision). Run again whenever late telemetry or a price correction may have arrived: unchanged
 * intervals write nothing.
 */
import type { BatterySpec } from '../../domain/battery/battery.js';
import type { Tariff } from '../../domain/economics/site-cost.js';
import { reconcileInterval, type IntervalReconciliation, type IntervalToReconcile, type ReconcileSettings } from '../../domain/reconcile/reconcile-interval.js';
import { INTERVAL_HOURS, INTERVAL_MS, intervalCeil, intervalFloor } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { saveReconciliationResults, type ReconciliationResult, type SaveCounts } from '../../store/reconcile-repo.js';
import { listSites, requireSite, type Site } from '../../store/sites-repo.js';
import type { Logger } from '../logger.js';
import { commandInForceAt, readReconcileInputs, type ReconcileReadings } from './inputs.js';

export const DEFAULT_TARIFF: Tariff = { importAdderUsdPerKwh: 0, exportFactor: 1 };

export function siteBattery(site: Site): BatterySpec {
  return { ...site.battery, minReservePercent: Math.max(site.battery.minReservePercent ?? 0, site.reservePercent) };
}

export function reconcileSettings(site: Site): ReconcileSettings {
  return { battery: siteBattery(site), tariff: site.tariff ?? DEFAULT_TARIFF, intervalHours: INTERVAL_HOURS };
}

function intervalInput(r: ReconcileReadings, startMs: number): IntervalToReconcile {
  const plan = r.plans.get(startMs) ?? null;
  const t = r.telemetry.get(startMs + INTERVAL_MS);
  const before = r.telemetry.get(startMs);
  return {
    intervalStartMs: startMs,
    planId: plan?.planId ?? null,
    planned: plan,
    measured: t ? { chargeWh: t.chargeWh, dischargeWh: t.dischargeWh, consumptionWh: t.consumptionWh, productionWh: t.productionWh, socPercentEnd: t.socPercent } : null,
    socPercentStart: before?.socPercent ?? null,
    settledPriceUsdPerMwh: r.prices.get(startMs) ?? null,
    command: commandInForceAt(r.commands, startMs),
  };
}

export function toResult(siteId: string, r: IntervalReconciliation): ReconciliationResult {
  return {
    siteId,
    intervalStartMs: r.intervalStartMs,
    planId: r.planId,
    commandId: r.commandId,
    plannedChargeKwh: r.planned?.chargeKwh ?? null,
    actualChargeKwh: r.actual?.chargeKwh ?? null,
    plannedDischargeKwh: r.planned?.dischargeKwh ?? null,
    actualDischargeKwh: r.actual?.dischargeKwh ?? null,
    plannedGridImportKwh: r.planned?.gridImportKwh ?? null,
    actualGridImportKwh: r.actual?.gridImportKwh ?? null,
    plannedGridExportKwh: r.planned?.gridExportKwh ?? null,
    actualGridExportKwh: r.actual?.gridExportKwh ?? null,
    plannedSocPercent: r.planned?.socPercentEnd ?? null,
    actualSocPercent: r.actual?.socPercentEnd ?? null,
    settledPriceUsdPerMwh: r.settledPriceUsdPerMwh,
    plannedUsd: r.plannedUsd,
    realisedUsd: r.realisedUsd,
    commandOutcome: r.outcome,
    details: { note: r.note, socInferred: r.actual?.socInferred ?? false, socResidualKwh: r.socResidualKwh },
  };
}

export interface ReconcileRange {
  fromMs: number;
  /** Exclusive; intervals that have not ended by nowMs are left out. */
  toMs: number;
  nowMs: number;
}

export interface SiteReconcileReport extends SaveCounts {
  siteId: string;
  intervals: number;
  notYetKnown: number;
}

export async function reconcileSite(db: Executor, siteId: string, range: ReconcileRange): Promise<SiteReconcileReport> {
  const site = await requireSite(db, siteId);
  const startMs = intervalFloor(range.fromMs);
  const endMs = Math.min(intervalCeil(range.toMs), intervalFloor(range.nowMs));
  if (endMs <= startMs) return { siteId, intervals: 0, notYetKnown: 0, created: 0, revised: 0, unchanged: 0 };
  const readings = await readReconcileInputs(db, site, startMs, endMs);
  const settings = reconcileSettings(site);
  const results: ReconciliationResult[] = [];
  for (let t = startMs; t < endMs; t += INTERVAL_MS) results.push(toResult(siteId, reconcileInterval(intervalInput(readings, t), settings)));
  // An interval with neither plan, command nor telemetry says nothing: not stored.
  const worth = results.filter((r) => r.planId !== null || r.commandId !== null || r.commandOutcome !== 'not_yet_known');
  const counts = await saveReconciliationResults(db, siteId, worth, range.nowMs);
  return { siteId, intervals: worth.length, notYetKnown: worth.filter((r) => r.commandOutcome === 'not_yet_known').length, ...counts };
}

/** Every site not disabled (paused ones too: their telemetry still explains what happened), or the given ones; one site's failure is reported and the others go on. */
export async function reconcileSites(db: Executor, range: ReconcileRange, options: { siteIds?: readonly string[]; logger?: Logger } = {}): Promise<{ sites: SiteReconcileReport[]; failed: { siteId: string; error: string }[] }> {
  const siteIds = options.siteIds ?? (await listSites(db)).filter((s) => s.status !== 'disabled').map((s) => s.siteId);
  const sites: SiteReconcileReport[] = [];
  const failed: { siteId: string; error: string }[] = [];
  for (const siteId of siteIds) {
    try {
      sites.push(await reconcileSite(db, siteId, range));
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      options.logger?.warn({ siteId, err: { message } }, 'reconcile failed for site');
      failed.push({ siteId, error: message });
    }
  }
  return { sites, failed };
}
