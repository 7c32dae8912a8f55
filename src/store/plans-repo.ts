/**
 * Plans and their intervals: a plan stores its exact inputs (JSON snapshot) and outputs (one row per interval), so
 * a trader can inspect it and an analyst can replay it bit for bit.
 */
import { sql } from 'kysely';
import type { Executor } from './database.js';
import { inTransaction, json, jsonOrNull } from './database.js';
import { NotFound } from './errors.js';
import { toDate } from './mappers.js';
import type { PlanState } from './schema.js';

export type { PlanState };

export interface PlanIntervalRecord {
  intervalStartMs: number;
  chargeKw: number;
  dischargeKw: number;
  gridImportKw: number;
  gridExportKw: number;
  /** State of charge at the end of the interval. */
  socKwhEnd: number;
  priceUsdPerMwh: number | null;
}

export interface NewPlan {
  siteId: string;
  horizonStartMs: number;
  /** Exclusive. */
  horizonEndMs: number;
  intervalMinutes?: number;
  solver: string;
  /** The optimizer's status (optimal, feasible-recovery, ...). */
  status: string;
  objectiveUsd: number | null;
  /** The exact optimizer inputs (typed arrays converted to plain arrays by the caller). */
  inputs: unknown;
  verification?: unknown;
  state?: PlanState;
  intervals: PlanIntervalRecord[];
}

export interface StoredPlan extends Omit<NewPlan, 'intervals' | 'intervalMinutes' | 'state' | 'verification'> {
  planId: string;
  createdAtMs: number;
  intervalMinutes: number;
  verification: unknown;
  state: PlanState;
}

export interface StoredPlanWithIntervals extends StoredPlan {
  intervals: PlanIntervalRecord[];
}

type PlanRow = {
  plan_id: string;
  site_id: string;
  created_at: Date;
  horizon_start: Date;
  horizon_end: Date;
  interval_minutes: number;
  solver: string;
  status: string;
  objective_usd: number | null;
  inputs: unknown;
  verification: unknown;
  state: PlanState;
};

function planFromRow(r: PlanRow): StoredPlan {
  return {
    planId: r.plan_id,
    siteId: r.site_id,
    createdAtMs: r.created_at.getTime(),
    horizonStartMs: r.horizon_start.getTime(),
    horizonEndMs: r.horizon_end.getTime(),
    intervalMinutes: r.interval_minutes,
    solver: r.solver,
    status: r.status,
    objectiveUsd: r.objective_usd,
    inputs: r.inputs,
    verification: r.verification ?? null,
    state: r.state,
  };
}

/** Stores a plan and its intervals atomically; returns the new plan id. */
export async function insertPlan(db: Executor, plan: NewPlan): Promise<string> {
  return inTransaction(db, async (trx) => {
    const { plan_id } = await trx
      .insertInto('plans')
      .values({
        site_id: plan.siteId,
        horizon_start: toDate(plan.horizonStartMs),
        horizon_end: toDate(plan.horizonEndMs),
        interval_minutes: plan.intervalMinutes ?? 15,
        solver: plan.solver,
        status: plan.status,
        objective_usd: plan.objectiveUsd,
        inputs: json(plan.inputs),
        verification: jsonOrNull(plan.verification),
        state: plan.state ?? 'draft',
      })
      .returning('plan_id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < plan.intervals.length; i += 2_000) {
      const payload = JSON.stringify(
        plan.intervals.slice(i, i + 2_000).map((p) => [
          new Date(p.intervalStartMs).toISOString(), p.chargeKw, p.dischargeKw, p.gridImportKw, p.gridExportKw, p.socKwhEnd, p.priceUsdPerMwh,
        ]),
      );
      await sql`insert into plan_intervals (plan_id, interval_start, charge_kw, discharge_kw, grid_import_kw, grid_export_kw, soc_kwh_end, price_usd_per_mwh)
        select ${plan_id}::uuid, (e->>0)::timestamptz, (e->>1)::float8, (e->>2)::float8, (e->>3)::float8, (e->>4)::float8, (e->>5)::float8, (e->>6)::float8
        from json_array_elements(${payload}::json) as e`.execute(trx);
    }
    return plan_id;
  });
}

export async function getPlan(db: Executor, planId: string): Promise<StoredPlanWithIntervals | null> {
  const row = await db.selectFrom('plans').selectAll().where('plan_id', '=', planId).executeTakeFirst();
  if (!row) return null;
  const intervals = await db.selectFrom('plan_intervals').selectAll().where('plan_id', '=', planId).orderBy('interval_start').execute();
  return {
    ...planFromRow(row as PlanRow),
    intervals: intervals.map((r) => ({
      intervalStartMs: r.interval_start.getTime(),
      chargeKw: r.charge_kw,
      dischargeKw: r.discharge_kw,
      gridImportKw: r.grid_import_kw,
      gridExportKw: r.grid_export_kw,
      socKwhEnd: r.soc_kwh_end,
      priceUsdPerMwh: r.price_usd_per_mwh,
    })),
  };
}

/** A site's plans, newest first (without intervals). */
export async function listPlans(db: Executor, siteId: string, options: { limit?: number; state?: PlanState } = {}): Promise<StoredPlan[]> {
  let q = db.selectFrom('plans').selectAll().where('site_id', '=', siteId).orderBy('created_at', 'desc').limit(options.limit ?? 50);
  if (options.state) q = q.where('state', '=', options.state);
  return (await q.execute()).map((r) => planFromRow(r as PlanRow));
}

export async function latestPlan(db: Executor, siteId: string, state?: PlanState): Promise<StoredPlan | null> {
  return (await listPlans(db, siteId, { limit: 1, state }))[0] ?? null;
}

export async function setPlanState(db: Executor, planId: string, state: PlanState): Promise<void> {
  const res = await db.updateTable('plans').set({ state }).where('plan_id', '=', planId).executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new NotFound(`plan ${planId}`);
}
