/**
 * The initial schema. Plain SQL statements (one per execute: PGlite's extended protocol takes one at a time), the
 * same on PGlite and PostgreSQL. Tables are created unqualified, so they land in the connection's search_path
 * schema (tests use one schema per file).
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table settlement_points (
    name text primary key,
    kind text,
    description text,
    created_at timestamptz not null default now()
  )`,
  // Key columns use the "C" collation: byte-order comparisons make the primary-key index (and so bulk loads) about
  // twice as fast, on PGlite especially. No foreign key to settlement_points (a per-row check on 700k-row loads);
  // upsertPrices registers new points itself.
  `create table prices (
    market text collate "C" not null check (market in ('rt15', 'dam', 'sced')),
    settlement_point text collate "C" not null,
    interval_start timestamptz not null,
    interval_minutes smallint not null check (interval_minutes > 0),
    price_usd_per_mwh double precision not null,
    source text not null,
    fetched_at timestamptz not null,
    published_at timestamptz,
    revision integer not null default 0,
    updated_at timestamptz not null default now(),
    primary key (market, settlement_point, interval_start)
  )`,
  `create table price_revisions (
    id integer generated always as identity primary key,
    market text collate "C" not null,
    settlement_point text collate "C" not null,
    interval_start timestamptz not null,
    revision integer not null,
    price_usd_per_mwh double precision not null,
    source text not null,
    fetched_at timestamptz not null,
    published_at timestamptz,
    superseded_at timestamptz not null default now()
  )`,
  `create index price_revisions_key on price_revisions (market, settlement_point, interval_start)`,
  // A corrected price keeps its old value: the trigger copies the old row whenever the price changes.
  `create function keep_price_revision() returns trigger language plpgsql as $$
  begin
    insert into price_revisions (market, settlement_point, interval_start, revision, price_usd_per_mwh, source, fetched_at, published_at)
    values (old.market, old.settlement_point, old.interval_start, old.revision, old.price_usd_per_mwh, old.source, old.fetched_at, old.published_at);
    return null;
  end
  $$`,
  `create trigger prices_keep_revision after update on prices for each row
    when (old.price_usd_per_mwh is distinct from new.price_usd_per_mwh)
    execute function keep_price_revision()`,
  `create table sites (
    site_id text primary key,
    enphase_system_id text unique,
    name text not null,
    time_zone text not null default 'America/Chicago',
    settlement_point text not null,
    battery jsonb not null,
    reserve_percent double precision not null check (reserve_percent >= 0 and reserve_percent <= 100),
    tariff jsonb,
    control_channel text not null,
    control_settings jsonb,
    grid_services_enrolled boolean not null default false,
    status text not null default 'active' check (status in ('active', 'paused', 'needs_reauth', 'disabled')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table credentials (
    id integer generated always as identity primary key,
    owner_key text not null,
    site_id text references sites (site_id) on delete cascade,
    account_key text,
    kind text not null,
    label text,
    ciphertext text not null,
    expires_at timestamptz,
    metadata jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (owner_key, kind),
    check ((site_id is null) <> (account_key is null))
  )`,
  `create table locks (
    lock_key text primary key,
    created_at timestamptz not null default now()
  )`,
  `create table telemetry (
    site_id text not null references sites (site_id) on delete cascade,
    interval_end timestamptz not null,
    soc_percent double precision,
    charge_wh double precision,
    discharge_wh double precision,
    consumption_wh double precision,
    production_wh double precision,
    devices_reporting integer,
    received_at timestamptz not null default now(),
    primary key (site_id, interval_end)
  )`,
  `create table plans (
    plan_id uuid primary key default gen_random_uuid(),
    site_id text not null references sites (site_id) on delete cascade,
    created_at timestamptz not null default now(),
    horizon_start timestamptz not null,
    horizon_end timestamptz not null,
    interval_minutes smallint not null default 15,
    solver text not null,
    status text not null,
    objective_usd double precision,
    inputs jsonb not null,
    verification jsonb,
    state text not null default 'draft' check (state in ('draft', 'approved', 'active', 'superseded', 'rejected'))
  )`,
  `create index plans_site_created on plans (site_id, created_at desc)`,
  `create table plan_intervals (
    plan_id uuid not null references plans (plan_id) on delete cascade,
    interval_start timestamptz not null,
    charge_kw double precision not null,
    discharge_kw double precision not null,
    grid_import_kw double precision not null,
    grid_export_kw double precision not null,
    soc_kwh_end double precision not null,
    price_usd_per_mwh double precision,
    primary key (plan_id, interval_start)
  )`,
  `create table commands (
    command_id uuid primary key default gen_random_uuid(),
    site_id text not null references sites (site_id) on delete cascade,
    plan_id uuid references plans (plan_id) on delete set null,
    idempotency_key text not null unique,
    channel text not null,
    mode text not null,
    target_reserve_percent double precision,
    window_start timestamptz not null,
    window_end timestamptz not null,
    state text not null default 'planned'
      check (state in ('planned', 'sent', 'accepted', 'active', 'completed', 'expired', 'superseded', 'failed', 'cancelled')),
    planned_at timestamptz not null default now(),
    sent_at timestamptz,
    accepted_at timestamptz,
    active_at timestamptz,
    finished_at timestamptz,
    state_changed_at timestamptz not null default now(),
    channel_response jsonb,
    error text,
    check (window_end > window_start)
  )`,
  `create index commands_site_window on commands (site_id, window_start)`,
  `create table reconciliations (
    site_id text not null references sites (site_id) on delete cascade,
    interval_start timestamptz not null,
    plan_id uuid references plans (plan_id) on delete set null,
    command_id uuid references commands (command_id) on delete set null,
    planned_charge_kwh double precision,
    actual_charge_kwh double precision,
    planned_discharge_kwh double precision,
    actual_discharge_kwh double precision,
    planned_soc_percent double precision,
    actual_soc_percent double precision,
    planned_usd double precision,
    realised_usd double precision,
    command_outcome text,
    details jsonb,
    created_at timestamptz not null default now(),
    primary key (site_id, interval_start)
  )`,
  `create table job_runs (
    id integer generated always as identity primary key,
    job_name text not null,
    scheduled_for timestamptz not null,
    claimed_by text not null,
    claimed_at timestamptz not null default now(),
    started_at timestamptz,
    finished_at timestamptz,
    outcome text check (outcome in ('succeeded', 'failed', 'skipped')),
    error text,
    details jsonb,
    unique (job_name, scheduled_for)
  )`,
  `create table replay_runs (
    replay_run_id uuid primary key default gen_random_uuid(),
    scenario_name text not null,
    scenario_hash text not null,
    strategy text not null,
    report jsonb not null,
    created_at timestamptz not null default now()
  )`,
  `create index replay_runs_scenario on replay_runs (scenario_name, created_at desc)`,
];

const DOWN = [
  'drop table replay_runs',
  'drop table job_runs',
  'drop table reconciliations',
  'drop table commands',
  'drop table plan_intervals',
  'drop table plans',
  'drop table telemetry',
  'drop table locks',
  'drop table credentials',
  'drop table sites',
  'drop trigger prices_keep_revision on prices',
  'drop function keep_price_revision()',
  'drop table price_revisions',
  'drop table prices',
  'drop table settlement_points',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
