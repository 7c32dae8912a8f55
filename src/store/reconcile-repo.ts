/**
 * Reconciliation results with revisions (migration 0004). `saveReconciliationResults` writes one row per (site,
 * interval); when a later run computes something different for an interval (late telemetry, a corrected price, a
 * command outcome now known), the earlier row is copied to `reconciliation_revisions` and the current row gets
 * revision + 1. An identical result writes nothing. `site_calibration` holds what the planner uses.
 */
import type { Executor } from './database.js';
import { inTransaction, json, jsonOrNull } from './database.js';
import { msOrNull, toDate } from './mappers.js';
import type { Selectable } from 'kysely';
import type { ReconciliationsTable, SiteCalibrationTable } from './schema.js';

export interface ReconciliationResult {
  siteId: string;
  intervalStartMs: number;
  planId: string | null;
  commandId: string | null;
  plannedChargeKwh: number | null;
  actualChargeKwh: number | null;
  plannedDischargeKwh: number | null;
  actualDischargeKwh: number | null;
  plannedGridImportKwh: number | null;
  actualGridImportKwh: number | null;
  plannedGridExportKwh: number | null;
  actualGridExportKwh: number | null;
  plannedSocPercent: number | null;
  actualSocPercent: number | null;
  settledPriceUsdPerMwh: number | null;
  plannedUsd: number | null;
  realisedUsd: number | null;
  commandOutcome: string | null;
  /** note, socInferred, socResidualKwh, … */
  details: Record<string, unknown> | null;
}

export interface StoredReconciliation extends ReconciliationResult {
  revision: number;
  updatedAtMs: number;
}

export interface ReconciliationRevision {
  revision: number;
  supersededAtMs: number;
  record: ReconciliationResult;
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e9) / 1e9);

/** What decides "changed": every planned/actual/money value (to 1e-9), the outcome, plan and command. */
export function reconciliationFingerprint(r: ReconciliationResult): string {
  return JSON.stringify([
    r.planId, r.commandId, r.commandOutcome,
    ...[r.plannedChargeKwh, r.actualChargeKwh, r.plannedDischargeKwh, r.actualDischargeKwh, r.plannedGridImportKwh, r.actualGridImportKwh,
      r.plannedGridExportKwh, r.actualGridExportKwh, r.plannedSocPercent, r.actualSocPercent, r.settledPriceUsdPerMwh, r.plannedUsd, r.realisedUsd].map(round),
  ]);
}

type Row = Selectable<ReconciliationsTable>;

function fromRow(r: Row): StoredReconciliation {
  return {
    siteId: r.site_id,
    intervalStartMs: r.interval_start.getTime(),
    planId: r.plan_id,
    commandId: r.command_id,
    plannedChargeKwh: r.planned_charge_kwh,
    actualChargeKwh: r.actual_charge_kwh,
    plannedDischargeKwh: r.planned_discharge_kwh,
    actualDischargeKwh: r.actual_discharge_kwh,
    plannedGridImportKwh: r.planned_grid_import_kwh,
    actualGridImportKwh: r.actual_grid_import_kwh,
    plannedGridExportKwh: r.planned_grid_export_kwh,
    actualGridExportKwh: r.actual_grid_export_kwh,
    plannedSocPercent: r.planned_soc_percent,
    actualSocPercent: r.actual_soc_percent,
    settledPriceUsdPerMwh: r.settled_price_usd_per_mwh,
    plannedUsd: r.planned_usd,
    realisedUsd: r.realised_usd,
    commandOutcome: r.command_outcome,
    details: (r.details as Record<string, unknown> | null) ?? null,
    revision: r.revision,
    updatedAtMs: r.updated_at.getTime(),
  };
}

function toRow(r: ReconciliationResult, revision: number, nowMs: number) {
  return {
    site_id: r.siteId,
    interval_start: toDate(r.intervalStartMs),
    plan_id: r.planId,
    command_id: r.commandId,
    planned_charge_kwh: r.plannedChargeKwh,
    actual_charge_kwh: r.actualChargeKwh,
    planned_discharge_kwh: r.plannedDischargeKwh,
    actual_discharge_kwh: r.actualDischargeKwh,
    planned_grid_import_kwh: r.plannedGridImportKwh,
    actual_grid_import_kwh: r.actualGridImportKwh,
    planned_grid_export_kwh: r.plannedGridExportKwh,
    actual_grid_export_kwh: r.actualGridExportKwh,
    planned_soc_percent: r.plannedSocPercent,
    actual_soc_percent: r.actualSocPercent,
    settled_price_usd_per_mwh: r.settledPriceUsdPerMwh,
    planned_usd: r.plannedUsd,
    realised_usd: r.realisedUsd,
    command_outcome: r.commandOutcome,
    details: jsonOrNull(r.details),
    revision,
    fingerprint: reconciliationFingerprint(r),
    updated_at: toDate(nowMs),
  };
}

function withoutRevision(s: StoredReconciliation): ReconciliationResult {
  const { revision: _r, updatedAtMs: _u, ...rest } = s;
  return rest;
}

export interface SaveCounts {
  created: number;
  revised: number;
  unchanged: number;
}

/** Saves results of one site, keeping the earlier result of every changed interval as a revision. */
export async function saveReconciliationResults(db: Executor, siteId: string, results: readonly ReconciliationResult[], nowMs: number): Promise<SaveCounts> {
  const counts: SaveCounts = { created: 0, revised: 0, unchanged: 0 };
  if (!results.length) return counts;
  const starts = results.map((r) => r.intervalStartMs);
  await inTransaction(db, async (trx) => {
    const existing = await trx.selectFrom('reconciliations').selectAll().where('site_id', '=', siteId)
      .where('interval_start', '>=', toDate(Math.min(...starts))).where('interval_start', '<=', toDate(Math.max(...starts))).forUpdate().execute();
    const byStart = new Map(existing.map((row) => [row.interval_start.getTime(), row]));
    const created: ReturnType<typeof toRow>[] = [];
    for (const r of results) {
      if (r.siteId !== siteId) throw new RangeError(`reconciliation for site ${r.siteId} saved under ${siteId}`);
      const old = byStart.get(r.intervalStartMs);
      if (!old) {
        created.push(toRow(r, 1, nowMs));
        continue;
      }
      const oldFingerprint = old.fingerprint ?? reconciliationFingerprint(fromRow(old));
      if (oldFingerprint === reconciliationFingerprint(r)) {
        counts.unchanged++;
        continue;
      }
      await trx.insertInto('reconciliation_revisions').values({
        site_id: siteId, interval_start: old.interval_start, revision: old.revision, record: json(withoutRevision(fromRow(old))), superseded_at: toDate(nowMs),
      }).execute();
      const { site_id: _s, interval_start: _i, ...update } = toRow(r, old.revision + 1, nowMs);
      await trx.updateTable('reconciliations').set(update).where('site_id', '=', siteId).where('interval_start', '=', old.interval_start).execute();
      counts.revised++;
    }
    // A concurrent run (the CLI beside the daemon) may have created some meanwhile: theirs stand, ours are the same.
    for (let i = 0; i < created.length; i += 500) {
      await trx.insertInto('reconciliations').values(created.slice(i, i + 500)).onConflict((oc) => oc.columns(['site_id', 'interval_start']).doNothing()).execute();
    }
    counts.created = created.length;
  });
  return counts;
}

/** Current results with startMs ≤ interval start < endMs, in time order. */
export async function listReconciliationResults(db: Executor, siteId: string, startMs: number, endMs: number): Promise<StoredReconciliation[]> {
  const rows = await db.selectFrom('reconciliations').selectAll().where('site_id', '=', siteId)
    .where('interval_start', '>=', toDate(startMs)).where('interval_start', '<', toDate(endMs)).orderBy('interval_start').execute();
  return rows.map(fromRow);
}

/** Earlier results of one interval, oldest first. */
export async function listReconciliationRevisions(db: Executor, siteId: string, intervalStartMs: number): Promise<ReconciliationRevision[]> {
  const rows = await db.selectFrom('reconciliation_revisions').selectAll().where('site_id', '=', siteId)
    .where('interval_start', '=', toDate(intervalStartMs)).orderBy('revision').execute();
  return rows.map((r) => ({ revision: r.revision, supersededAtMs: r.superseded_at.getTime(), record: r.record as ReconciliationResult }));
}

export interface StoredSiteCalibration {
  siteId: string;
  roundTripEfficiency: number | null;
  rteThroughputKwh: number;
  commandLatencyMs: number | null;
  latencySamples: number;
  windowStartMs: number | null;
  windowEndMs: number | null;
  details: unknown;
  updatedAtMs: number;
}

export async function upsertSiteCalibration(db: Executor, c: Omit<StoredSiteCalibration, 'updatedAtMs'>, nowMs: number): Promise<void> {
  const values = {
    site_id: c.siteId,
    round_trip_efficiency: c.roundTripEfficiency,
    rte_throughput_kwh: c.rteThroughputKwh,
    command_latency_ms: c.commandLatencyMs,
    latency_samples: c.latencySamples,
    window_start: c.windowStartMs === null ? null : toDate(c.windowStartMs),
    window_end: c.windowEndMs === null ? null : toDate(c.windowEndMs),
    details: jsonOrNull(c.details),
    updated_at: toDate(nowMs),
  };
  const { site_id: _s, ...update } = values;
  await db.insertInto('site_calibration').values(values).onConflict((oc) => oc.column('site_id').doUpdateSet(update)).execute();
}

export async function getSiteCalibration(db: Executor, siteId: string): Promise<StoredSiteCalibration | null> {
  const r = await db.selectFrom('site_calibration').selectAll().where('site_id', '=', siteId).executeTakeFirst();
  return r ? calibrationFromRow(r) : null;
}

/** Calibrations of many sites in one read (sites without one are absent). */
export async function getSiteCalibrations(db: Executor, siteIds: readonly string[]): Promise<Map<string, StoredSiteCalibration>> {
  const out = new Map<string, StoredSiteCalibration>();
  if (!siteIds.length) return out;
  for (const r of await db.selectFrom('site_calibration').selectAll().where('site_id', 'in', [...siteIds]).execute()) out.set(r.site_id, calibrationFromRow(r));
  return out;
}

export function calibrationFromRow(r: Selectable<SiteCalibrationTable>): StoredSiteCalibration {
  return {
    siteId: r.site_id,
    roundTripEfficiency: r.round_trip_efficiency,
    rteThroughputKwh: r.rte_throughput_kwh,
    commandLatencyMs: r.command_latency_ms,
    latencySamples: r.latency_samples,
    windowStartMs: msOrNull(r.window_start),
    windowEndMs: msOrNull(r.window_end),
    details: r.details ?? null,
    updatedAtMs: r.updated_at.getTime(),
  };
}
