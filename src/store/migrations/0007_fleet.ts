/**
 * Fleet scale-out: `fleet_site_runs` is the exactly-once-per-slot claim of a site's cycle (the job engine runs a job at
 * least once; a rerun of a done slot is a no-op, a running one is taken over only after its lease expired);
 * `fleet_slots` records that a slot was fanned out (later ticks only re-enqueue failed or expired runs);
 * `fleet_workers` is the heartbeat of each worker process (for `fleet status`); `rate_counters` are fixed-window
 * counters shared by every process (per account / per API), taken with a conditional upsert; `rate_grants` is
 * the sliding-window log for limits that must hold in any window (ERCOT's 30 requests per minute).
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table fleet_site_runs (
    site_id text not null,
    slot_ms bigint not null,
    status text not null check (status in ('running', 'done', 'failed')),
    worker_id text not null,
    lease_until_ms bigint not null,
    attempts integer not null default 1,
    started_at_ms bigint not null,
    finished_at_ms bigint,
    error text,
    primary key (site_id, slot_ms)
  )`,
  `create index fleet_site_runs_slot on fleet_site_runs (slot_ms, status)`,
  `create table fleet_slots (
    slot_ms bigint primary key,
    fanned_out_at_ms bigint not null
  )`,
  `create table fleet_workers (
    worker_id text primary key,
    host text not null,
    pid integer not null,
    concurrency integer not null,
    started_at_ms bigint not null,
    heartbeat_at_ms bigint not null,
    jobs_done integer not null default 0
  )`,
  `create table rate_counters (
    bucket text not null,
    window_start_ms bigint not null,
    count integer not null,
    primary key (bucket, window_start_ms)
  )`,
  `create table rate_grants (
    bucket text not null,
    granted_at_ms bigint not null
  )`,
  `create index rate_grants_bucket on rate_grants (bucket, granted_at_ms)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['rate_grants', 'rate_counters', 'fleet_workers', 'fleet_slots', 'fleet_site_runs']) await sql.raw(`drop table if exists ${t}`).execute(db);
}
