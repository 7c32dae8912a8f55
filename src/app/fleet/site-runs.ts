/**
 * The per-slot claim of a site's cycle (fleet_site_runs): the job engine runs a job at least once, so a site's cycle
 * for a slot runs once because the claim is a conditional upsert: a new row, or a row whose holder's lease expired,
 * or a failed one. A finished run is never claimed again for that slot.
 */
import type { RawBuilder } from 'kysely';
import { sql, type Executor } from '../../store/database.js';

export const SLOT_MS = 15 * 60_000;

export function slotOf(nowMs: number): number {
  return Math.floor(nowMs / SLOT_MS) * SLOT_MS;
}

export interface ClaimRequest {
  siteId: string;
  slotMs: number;
  workerId: string;
  nowMs: number;
  leaseMs: number;
}

/** True when this worker now holds the site's run for the slot. */
export async function claimSiteRun(db: Executor, c: ClaimRequest): Promise<boolean> {
  const r = await claimSql(c).execute(db);
  return r.rows.length === 1;
}

/**
 * The claim and a read of the site in ONE statement (the read runs whether or not the claim is won; it sees the
 * database as it was before the claim). `row` is the read's single row.
 */
export async function claimSiteRunWithRead<T extends object>(db: Executor, c: ClaimRequest, read: RawBuilder<T>): Promise<{ claimed: boolean; row: T }> {
  const r = await sql<T & { claimed__: number }>`with claim as (${claimSql(c)}) select (select count(*) from claim)::int as claimed__, r.* from (${read}) r`.execute(db);
  const { claimed__, ...row } = r.rows[0]!;
  return { claimed: claimed__ === 1, row: row as unknown as T };
}

function claimSql(c: ClaimRequest): RawBuilder<{ site_id: string }> {
  return sql<{ site_id: string }>`
    insert into fleet_site_runs (site_id, slot_ms, status, worker_id, lease_until_ms, started_at_ms)
    values (${c.siteId}, ${c.slotMs}, 'running', ${c.workerId}, ${c.nowMs + c.leaseMs}, ${c.nowMs})
    on conflict (site_id, slot_ms) do update set status = 'running', worker_id = excluded.worker_id,
      lease_until_ms = excluded.lease_until_ms, started_at_ms = excluded.started_at_ms, attempts = fleet_site_runs.attempts + 1,
      finished_at_ms = null, error = null
    where fleet_site_runs.status = 'failed' or (fleet_site_runs.status = 'running' and fleet_site_runs.lease_until_ms < excluded.started_at_ms)
    returning site_id`;
}

/** Records the end of a run this worker still holds (a run taken over by another worker is left alone). */
export async function finishSiteRun(db: Executor, f: FinishRequest): Promise<boolean> {
  const r = await finishSiteRunSql(f).execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

export interface FinishRequest {
  siteId: string;
  slotMs: number;
  workerId: string;
  nowMs: number;
  error?: string;
}

/** The end of a run as a statement of its own, or to run inside another (the site's status record: one commit). */
export function finishSiteRunSql(f: FinishRequest): RawBuilder<unknown> {
  return sql`
    update fleet_site_runs set status = ${f.error ? 'failed' : 'done'}, finished_at_ms = ${f.nowMs}, error = ${f.error ?? null}
    where site_id = ${f.siteId} and slot_ms = ${f.slotMs} and worker_id = ${f.workerId} and status = 'running'`;
}

/**
 * The sites to enqueue for the slot: those whose run failed or lost its holder (lease expired), and, unless the slot
 * was fanned out less than `refanAfterMs` ago, those with no run yet (a later tick does not re-add 10,000 pending jobs).
 */
export async function sitesNeedingRun(db: Executor, slotMs: number, nowMs: number, refanAfterMs = 120_000): Promise<{ siteId: string; attempts: number }[]> {
  const slot = await sql<{ fanned_out_at_ms: string }>`select fanned_out_at_ms::text from fleet_slots where slot_ms = ${slotMs}`.execute(db);
  const fanned = slot.rows[0] ? Number(slot.rows[0].fanned_out_at_ms) : null;
  const includeNew = fanned === null || fanned < nowMs - refanAfterMs;
  const r = await sql<{ site_id: string; attempts: number | null }>`
    select s.site_id, r.attempts from sites s
    left join fleet_site_runs r on r.site_id = s.site_id and r.slot_ms = ${slotMs}
    where s.status <> 'disabled'
      and ((${includeNew} and r.site_id is null) or r.status = 'failed' or (r.status = 'running' and r.lease_until_ms < ${nowMs}))
    order by s.site_id`.execute(db);
  return r.rows.map((x) => ({ siteId: x.site_id, attempts: Number(x.attempts ?? 0) }));
}

/** Records that the slot's sites were enqueued (after the enqueue, so a crash in between re-fans on the next tick). */
export async function markFannedOut(db: Executor, slotMs: number, nowMs: number): Promise<void> {
  await sql`insert into fleet_slots (slot_ms, fanned_out_at_ms) values (${slotMs}, ${nowMs})
    on conflict (slot_ms) do update set fanned_out_at_ms = excluded.fanned_out_at_ms where fleet_slots.fanned_out_at_ms < excluded.fanned_out_at_ms - 60000`.execute(db);
}

/** Sites with commands live on their channel (accepted, scheduled, active) whose cycle for the slot is not running. */
export async function sitesWithLiveCommands(db: Executor, slotMs: number): Promise<string[]> {
  const r = await sql<{ site_id: string }>`
    select distinct c.site_id from commands c
    where c.state in ('accepted', 'scheduled', 'active')
      and not exists (select 1 from fleet_site_runs r where r.site_id = c.site_id and r.slot_ms = ${slotMs} and r.status = 'running')
    order by c.site_id`.execute(db);
  return r.rows.map((x) => x.site_id);
}
