/**
 * `fleet status`: live workers (heartbeat within 2 tick periods), queue depth per job kind, the current slot's site
 * runs (done / running / failed / not started), lag of `site.cycle` (slot start -> finished, p50/max) and the sites
 * behind schedule (no finished run for the slot `behindAfterMs` after it started).
 */
import { sql, type Executor } from '../../store/database.js';

export interface FleetStatus {
  slotMs: number;
  workers: { workerId: string; host: string; pid: number; concurrency: number; heartbeatAgeMs: number; jobsDone: number; live: boolean }[];
  queue: Record<string, number>;
  runs: { done: number; running: number; failed: number; notStarted: number };
  lagMs: { [kind: string]: { p50: number | null; max: number | null } };
  behindSchedule: string[];
}

export async function fleetStatus(db: Executor, pending: () => Promise<Record<string, number>>, o: { nowMs: number; slotMs: number; liveWithinMs?: number; behindAfterMs?: number }): Promise<FleetStatus> {
  const w = await sql<{ worker_id: string; host: string; pid: number; concurrency: number; heartbeat_at_ms: string; jobs_done: number }>`
    select worker_id, host, pid, concurrency, heartbeat_at_ms::text, jobs_done from fleet_workers order by worker_id`.execute(db);
  const live = o.liveWithinMs ?? 60_000;
  const workers = w.rows.map((r) => {
    const age = o.nowMs - Number(r.heartbeat_at_ms);
    return { workerId: r.worker_id, host: r.host, pid: r.pid, concurrency: r.concurrency, heartbeatAgeMs: age, jobsDone: r.jobs_done, live: age <= live };
  });
  const runs = await sql<{ status: string | null; n: number }>`
    select r.status, count(*)::int as n from sites s left join fleet_site_runs r on r.site_id = s.site_id and r.slot_ms = ${o.slotMs}
    where s.status <> 'disabled' group by r.status`.execute(db);
  const count = (s: string | null): number => runs.rows.find((r) => r.status === s)?.n ?? 0;
  const lag = await sql<{ p50: number | null; max: number | null }>`
    select percentile_cont(0.5) within group (order by finished_at_ms - slot_ms)::float8 as p50, max(finished_at_ms - slot_ms)::float8 as max
    from fleet_site_runs where slot_ms = ${o.slotMs} and status = 'done'`.execute(db);
  const behind = o.nowMs - o.slotMs > (o.behindAfterMs ?? 5 * 60_000)
    ? (await sql<{ site_id: string }>`select s.site_id from sites s left join fleet_site_runs r on r.site_id = s.site_id and r.slot_ms = ${o.slotMs}
        where s.status <> 'disabled' and (r.status is null or r.status <> 'done') order by s.site_id limit 50`.execute(db)).rows.map((r) => r.site_id)
    : [];
  return {
    slotMs: o.slotMs, workers, queue: await pending(),
    runs: { done: count('done'), running: count('running'), failed: count('failed'), notStarted: count(null) },
    lagMs: { 'site.cycle': { p50: lag.rows[0]?.p50 ?? null, max: lag.rows[0]?.max ?? null } },
    behindSchedule: behind,
  };
}
