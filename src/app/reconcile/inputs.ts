/**
 * What the reconciler reads for one site and a range of intervals: the plan in force per interval, the command in
 * force per interval, telemetry (energies per interval, SoC at interval ends) and settled real-time prices.
 */
import { sql } from 'kysely';
import type { CommandInForce, PlannedInterval } from '../../domain/reconcile/reconcile-interval.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import { listCommands, type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { toDate } from '../../store/mappers.js';
import { getPrices } from '../../store/prices-repo.js';
import { getTelemetry, type StoredTelemetry } from '../../store/telemetry-repo.js';

export interface PlanInForce extends PlannedInterval {
  planId: string;
}

/**
 * Per interval start: the newest plan created at or before the interval started (what the dispatcher acted on),
 * or, for intervals no earlier plan covers, the earliest plan that does. Rejected plans never count.
 */
export async function plansInForce(db: Executor, siteId: string, startMs: number, endMs: number): Promise<Map<number, PlanInForce>> {
  const rows = await sql<{ plan_id: string; interval_start: Date; charge_kw: number; discharge_kw: number; grid_import_kw: number; grid_export_kw: number; soc_kwh_end: number }>`
    select distinct on (pi.interval_start) p.plan_id, pi.interval_start, pi.charge_kw, pi.discharge_kw, pi.grid_import_kw, pi.grid_export_kw, pi.soc_kwh_end
    from plans p cross join lateral unnest(p.interval_starts, p.charge_kw, p.discharge_kw, p.grid_import_kw, p.grid_export_kw, p.soc_kwh_end)
      as pi(interval_start, charge_kw, discharge_kw, grid_import_kw, grid_export_kw, soc_kwh_end)
    where p.site_id = ${siteId} and p.state <> 'rejected'
      and p.horizon_start < ${toDate(endMs)} and p.horizon_end > ${toDate(startMs)}
      and pi.interval_start >= ${toDate(startMs)} and pi.interval_start < ${toDate(endMs)}
    order by pi.interval_start,
      (p.created_at <= pi.interval_start) desc,
      case when p.created_at <= pi.interval_start then -extract(epoch from p.created_at) else extract(epoch from p.created_at) end,
      p.plan_id`.execute(db);
  return new Map(rows.rows.map((r) => [r.interval_start.getTime(), {
    planId: r.plan_id, chargeKw: r.charge_kw, dischargeKw: r.discharge_kw, gridImportKw: r.grid_import_kw, gridExportKw: r.grid_export_kw, socKwhEnd: r.soc_kwh_end,
  }]));
}

/** States in which a command never reached the battery. */
const NEVER_SENT = new Set(['planned', 'awaiting_approval', 'sending', 'rejected', 'lost']);
/** States (of the dispatcher's life cycle) meaning the device or Storm Guard took over. */
const OVERRIDDEN = new Set(['overridden']);

function mentionsStormGuard(c: Command): boolean {
  return /storm/i.test(c.error ?? '') || /storm/i.test(JSON.stringify(c.channelResponse ?? ''));
}

/** The command acting on interval [t, t+15 min): sent, window covers t, not ended before t; the latest planned wins. */
export function commandInForceAt(commands: readonly Command[], intervalStartMs: number): CommandInForce | null {
  let found: Command | null = null;
  for (const c of commands) {
    // A string: the dispatcher's life cycle adds states (overridden, reverted_early, …) to the stored type.
    const state: string = c.state;
    const neverTaken = c.acceptedAtMs === null && c.activeAtMs === null && ['failed', 'expired', 'cancelled', 'superseded'].includes(state);
    if (NEVER_SENT.has(state) || neverTaken) continue;
    if (c.windowStartMs > intervalStartMs || c.windowEndMs <= intervalStartMs) continue;
    const endedEarly = c.finishedAtMs !== null && c.finishedAtMs <= intervalStartMs && !['completed', 'reverted_early', 'overridden'].includes(state);
    if (endedEarly) continue;
    if (!found || c.plannedAtMs >= found.plannedAtMs) found = c;
  }
  if (!found) return null;
  return {
    commandId: found.commandId,
    mode: found.mode,
    targetReservePercent: found.targetReservePercent,
    overridden: OVERRIDDEN.has(found.state) || mentionsStormGuard(found),
  };
}

export interface ReconcileReadings {
  plans: Map<number, PlanInForce>;
  commands: Command[];
  /** Telemetry by interval END. */
  telemetry: Map<number, StoredTelemetry>;
  /** Settled real-time price by interval start. */
  prices: Map<number, number>;
}

export async function readReconcileInputs(db: Executor, site: { siteId: string; settlementPoint: string }, startMs: number, endMs: number): Promise<ReconcileReadings> {
  const [plans, commands, telemetry, prices] = await Promise.all([
    plansInForce(db, site.siteId, startMs, endMs),
    listCommands(db, site.siteId, { startMs, endMs }),
    getTelemetry(db, site.siteId, startMs - INTERVAL_MS, endMs),
    getPrices(db, { market: 'rt15', settlementPoint: site.settlementPoint, startMs, endMs }),
  ]);
  return {
    plans,
    commands,
    telemetry: new Map(telemetry.map((t) => [t.intervalEndMs, t])),
    prices: new Map(prices.map((p) => [p.intervalStartMs, p.priceUsdPerMwh])),
  };
}
