/** Reconciliations: per site and interval, what was planned vs. what happened, and the money. Upsert by (site, interval). */
import type { Executor } from './database.js';
import { jsonOrNull } from './database.js';
import { toDate } from './mappers.js';

export interface Reconciliation {
  siteId: string;
  intervalStartMs: number;
  planId: string | null;
  commandId: string | null;
  plannedChargeKwh: number | null;
  actualChargeKwh: number | null;
  plannedDischargeKwh: number | null;
  actualDischargeKwh: number | null;
  plannedSocPercent: number | null;
  actualSocPercent: number | null;
  plannedUsd: number | null;
  realisedUsd: number | null;
  /** E.g. 'followed', 'not_sent', 'overridden', 'failed'. */
  commandOutcome: string | null;
  details: unknown;
}

export async function upsertReconciliations(db: Executor, records: readonly Reconciliation[]): Promise<number> {
  if (!records.length) return 0;
  let n = 0;
  for (let i = 0; i < records.length; i += 1_000) {
    const rows = records.slice(i, i + 1_000).map((r) => ({
      site_id: r.siteId,
      interval_start: toDate(r.intervalStartMs),
      plan_id: r.planId,
      command_id: r.commandId,
      planned_charge_kwh: r.plannedChargeKwh,
      actual_charge_kwh: r.actualChargeKwh,
      planned_discharge_kwh: r.plannedDischargeKwh,
      actual_discharge_kwh: r.actualDischargeKwh,
      planned_soc_percent: r.plannedSocPercent,
      actual_soc_percent: r.actualSocPercent,
      planned_usd: r.plannedUsd,
      realised_usd: r.realisedUsd,
      command_outcome: r.commandOutcome,
      details: jsonOrNull(r.details),
    }));
    const res = await db
      .insertInto('reconciliations')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['site_id', 'interval_start']).doUpdateSet((eb) => ({
          plan_id: eb.ref('excluded.plan_id'),
          command_id: eb.ref('excluded.command_id'),
          planned_charge_kwh: eb.ref('excluded.planned_charge_kwh'),
          actual_charge_kwh: eb.ref('excluded.actual_charge_kwh'),
          planned_discharge_kwh: eb.ref('excluded.planned_discharge_kwh'),
          actual_discharge_kwh: eb.ref('excluded.actual_discharge_kwh'),
          planned_soc_percent: eb.ref('excluded.planned_soc_percent'),
          actual_soc_percent: eb.ref('excluded.actual_soc_percent'),
          planned_usd: eb.ref('excluded.planned_usd'),
          realised_usd: eb.ref('excluded.realised_usd'),
          command_outcome: eb.ref('excluded.command_outcome'),
          details: eb.ref('excluded.details'),
        })),
      )
      .executeTakeFirst();
    n += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return n;
}

/** Reconciliations with startMs ≤ interval start < endMs, in time order. */
export async function getReconciliations(db: Executor, siteId: string, startMs: number, endMs: number): Promise<Reconciliation[]> {
  const rows = await db
    .selectFrom('reconciliations')
    .selectAll()
    .where('site_id', '=', siteId)
    .where('interval_start', '>=', toDate(startMs))
    .where('interval_start', '<', toDate(endMs))
    .orderBy('interval_start')
    .execute();
  return rows.map((r) => ({
    siteId: r.site_id,
    intervalStartMs: r.interval_start.getTime(),
    planId: r.plan_id,
    commandId: r.command_id,
    plannedChargeKwh: r.planned_charge_kwh,
    actualChargeKwh: r.actual_charge_kwh,
    plannedDischargeKwh: r.planned_discharge_kwh,
    actualDischargeKwh: r.actual_discharge_kwh,
    plannedSocPercent: r.planned_soc_percent,
    actualSocPercent: r.actual_soc_percent,
    plannedUsd: r.planned_usd,
    realisedUsd: r.realised_usd,
    commandOutcome: r.command_outcome,
    details: r.details ?? null,
  }));
}
