/**
 * Reconciliation (additive): revisions of per-interval reconciliations (late telemetry or a corrected price changes
 * an interval: the earlier result is kept here), grid import/export and the settled price on the current row, and a
 * per-site calibration of effective round-trip efficiency and command latency that the planner uses.
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `alter table reconciliations
    add column revision integer not null default 1,
    add column planned_grid_import_kwh double precision,
    add column actual_grid_import_kwh double precision,
    add column planned_grid_export_kwh double precision,
    add column actual_grid_export_kwh double precision,
    add column settled_price_usd_per_mwh double precision,
    add column fingerprint text,
    add column updated_at timestamptz not null default now()`,
  `create table reconciliation_revisions (
    id integer generated always as identity primary key,
    site_id text not null references sites (site_id) on delete cascade,
    interval_start timestamptz not null,
    revision integer not null,
    record jsonb not null,
    superseded_at timestamptz not null default now(),
    unique (site_id, interval_start, revision)
  )`,
  `create table site_calibration (
    site_id text primary key references sites (site_id) on delete cascade,
    round_trip_efficiency double precision,
    rte_throughput_kwh double precision not null default 0,
    command_latency_ms double precision,
    latency_samples integer not null default 0,
    window_start timestamptz,
    window_end timestamptz,
    details jsonb,
    updated_at timestamptz not null default now()
  )`,
];

const DOWN = [
  'drop table site_calibration',
  'drop table reconciliation_revisions',
  `alter table reconciliations
    drop column revision, drop column planned_grid_import_kwh, drop column actual_grid_import_kwh,
    drop column planned_grid_export_kwh, drop column actual_grid_export_kwh, drop column settled_price_usd_per_mwh,
    drop column fingerprint, drop column updated_at`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
