/**
 * Enphase support (additive): quarantined telemetry intervals with their reason, the latest battery settings /
 * Storm Guard / grid status per site, and per-account API call counters for the call budget.
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table telemetry_quarantine (
    id integer generated always as identity primary key,
    site_id text not null references sites (site_id) on delete cascade,
    product text not null,
    interval_end timestamptz,
    reason text not null,
    raw jsonb,
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    times_seen integer not null default 1
  )`,
  `create unique index telemetry_quarantine_key on telemetry_quarantine (site_id, product, interval_end, reason)`,
  `create table enphase_site_state (
    site_id text primary key references sites (site_id) on delete cascade,
    has_battery boolean not null default true,
    battery_mode text,
    battery_mode_raw text,
    reserve_soc double precision,
    charge_from_grid boolean,
    storm_guard_enabled boolean,
    storm_alert boolean,
    grid_state text,
    settings_fetched_at timestamptz,
    storm_guard_fetched_at timestamptz,
    grid_fetched_at timestamptz,
    updated_at timestamptz not null default now()
  )`,
  `create table enphase_api_usage (
    account_key text not null,
    period text not null check (period in ('minute', 'month')),
    period_start timestamptz not null,
    calls integer not null default 0,
    blocked_until timestamptz,
    primary key (account_key, period, period_start)
  )`,
];

const DOWN = ['drop table enphase_api_usage', 'drop table enphase_site_state', 'drop table telemetry_quarantine'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
