/**
 * The database's table types (one `Database` interface for kysely). Instants are `timestamptz` columns, read as
 * `Date` and written as `Date` (or ISO strings); repositories map them to UTC epoch milliseconds for the domain.
 * No int8/numeric columns are selected anywhere: both drivers would hand them back as strings/bigints.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { CommandLifecycleState, DispatchMode, SiteDispatchStatusKind } from '../domain/dispatch/lifecycle.js';

/** A timestamptz column: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz column with a default of now(). */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column: read as parsed JSON, written as a JSON string (see `json()` in json.ts). */
export type Json<T = unknown> = ColumnType<T, string, string>;
export type NullableJson<T = unknown> = ColumnType<T | null, string | null | undefined, string | null>;

export type Market = 'rt15' | 'dam' | 'sced';
export const MARKETS: readonly Market[] = ['rt15', 'dam', 'sced'];

export interface SettlementPointsTable {
  name: string;
  kind: string | null;
  description: string | null;
  created_at: CreatedAt;
}

export interface PricesTable {
  market: Market;
  settlement_point: string;
  interval_start: Timestamp;
  interval_minutes: number;
  price_usd_per_mwh: number;
  source: string;
  fetched_at: Timestamp;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revision: ColumnType<number, number | undefined, number>;
  updated_at: CreatedAt;
}

export interface PriceRevisionsTable {
  id: Generated<number>;
  market: Market;
  settlement_point: string;
  interval_start: Timestamp;
  revision: number;
  price_usd_per_mwh: number;
  source: string;
  fetched_at: Timestamp;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  superseded_at: CreatedAt;
}

export type SiteStatus = 'active' | 'paused' | 'needs_reauth' | 'disabled';

export interface SitesTable {
  site_id: string;
  enphase_system_id: string | null;
  name: string;
  time_zone: string;
  settlement_point: string;
  battery: Json<Record<string, unknown>>;
  reserve_percent: number;
  tariff: NullableJson<Record<string, unknown>>;
  control_channel: string;
  control_settings: NullableJson<Record<string, unknown>>;
  grid_services_enrolled: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<SiteStatus, SiteStatus | undefined, SiteStatus>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface CredentialsTable {
  id: Generated<number>;
  owner_key: string;
  site_id: string | null;
  account_key: string | null;
  kind: string;
  label: string | null;
  ciphertext: string;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  metadata: NullableJson<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface LocksTable {
  lock_key: string;
  created_at: CreatedAt;
}

export interface TelemetryTable {
  site_id: string;
  interval_end: Timestamp;
  soc_percent: number | null;
  charge_wh: number | null;
  discharge_wh: number | null;
  consumption_wh: number | null;
  production_wh: number | null;
  devices_reporting: number | null;
  received_at: CreatedAt;
}

export interface PlansTable {
  plan_id: Generated<string>;
  site_id: string;
  created_at: CreatedAt;
  horizon_start: Timestamp;
  horizon_end: Timestamp;
  interval_minutes: number;
  solver: string;
  status: string;
  objective_usd: number | null;
  inputs: Json<unknown>;
  verification: NullableJson<unknown>;
  state: ColumnType<PlanState, PlanState | undefined, PlanState>;
  /** Per site, 1, 2, ... (migration 0003); null for plans stored before. */
  plan_version: ColumnType<number | null, number | null | undefined, number | null>;
  /** The exact optimizer outputs (arrays), for bit-for-bit replay. */
  outputs: NullableJson<unknown>;
  /** The command windows decided from this plan, with their reasons. */
  windows: NullableJson<unknown>;
  /**
   * Migration 0011: the per-interval outputs, element i for interval i (they were the plan_intervals rows). Read them
   * in SQL with `unnest(p.interval_starts, p.charge_kw, …)`.
   */
  interval_starts: PlanArray<Date>;
  charge_kw: PlanArray<number>;
  discharge_kw: PlanArray<number>;
  grid_import_kw: PlanArray<number>;
  grid_export_kw: PlanArray<number>;
  /** State of charge at the end of each interval. */
  soc_kwh_end: PlanArray<number>;
  price_usd_per_mwh: PlanArray<number | null>;
}

type PlanArray<T> = ColumnType<T[], T[] | undefined, T[]>;

export type PlanState = 'draft' | 'approved' | 'active' | 'superseded' | 'rejected';

/** The command life cycle (src/domain/dispatch/lifecycle.ts, docs/dispatch.md). Migration 0003 replaced 'sent' with 'sending'. */
export type CommandState = CommandLifecycleState;

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface CommandsTable {
  command_id: Generated<string>;
  site_id: string;
  plan_id: string | null;
  idempotency_key: string;
  channel: string;
  mode: string;
  target_reserve_percent: number | null;
  window_start: Timestamp;
  window_end: Timestamp;
  state: ColumnType<CommandState, CommandState | undefined, CommandState>;
  planned_at: CreatedAt;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  accepted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  active_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  state_changed_at: CreatedAt;
  channel_response: NullableJson<unknown>;
  /** The last error (the command's own, or the last failed attempt). */
  error: string | null;
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  plan_version: ColumnType<number | null, number | null | undefined, number | null>;
  /** The window's reason, for people (e.g. "charge: 4 h before the 19:00-20:00 peak forecast at $180/MWh"). */
  reason: ColumnType<string | null, string | null | undefined, string | null>;
  power_kw: ColumnType<number | null, number | null | undefined, number | null>;
  send_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTimestamp;
  scheduled_at: NullableTimestamp;
}

export type { DispatchMode };
export type SiteDispatchStatus = SiteDispatchStatusKind;

export interface DispatchSettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: CreatedAt;
}

export interface SiteDispatchTable {
  site_id: string;
  /** null: the fleet default. */
  dispatch_mode: ColumnType<DispatchMode | null, DispatchMode | null | undefined, DispatchMode | null>;
  status: ColumnType<SiteDispatchStatus, SiteDispatchStatus | undefined, SiteDispatchStatus>;
  reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The device profile the engine expects (first reading), for manual-change detection. */
  expected_profile: ColumnType<string | null, string | null | undefined, string | null>;
  /** Consecutive readings that disagree with what the engine set (a manual change is declared after a few). */
  suspect_reads: ColumnType<number, number | undefined, number>;
  throttled_until: NullableTimestamp;
  paused_at: NullableTimestamp;
  updated_at: CreatedAt;
}

export interface ApprovalsTable {
  approval_id: Generated<number>;
  scope: 'site' | 'fleet';
  site_id: string;
  plan_id: string | null;
  plan_version: number;
  approved_by: string;
  approved_at: CreatedAt;
  note: string | null;
}

export interface ReconciliationsTable {
  site_id: string;
  interval_start: Timestamp;
  plan_id: string | null;
  command_id: string | null;
  planned_charge_kwh: number | null;
  actual_charge_kwh: number | null;
  planned_discharge_kwh: number | null;
  actual_discharge_kwh: number | null;
  planned_soc_percent: number | null;
  actual_soc_percent: number | null;
  planned_usd: number | null;
  realised_usd: number | null;
  command_outcome: string | null;
  details: NullableJson<unknown>;
  created_at: CreatedAt;
  /** 0004: 1 for the first result; +1 each time late data changed the interval (earlier ones in reconciliation_revisions). */
  revision: ColumnType<number, number | undefined, number>;
  planned_grid_import_kwh: ColumnType<number | null, number | null | undefined, number | null>;
  actual_grid_import_kwh: ColumnType<number | null, number | null | undefined, number | null>;
  planned_grid_export_kwh: ColumnType<number | null, number | null | undefined, number | null>;
  actual_grid_export_kwh: ColumnType<number | null, number | null | undefined, number | null>;
  settled_price_usd_per_mwh: ColumnType<number | null, number | null | undefined, number | null>;
  fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: CreatedAt;
}

export interface ReconciliationRevisionsTable {
  id: Generated<number>;
  site_id: string;
  interval_start: Timestamp;
  revision: number;
  record: Json<unknown>;
  superseded_at: CreatedAt;
}

export interface SiteCalibrationTable {
  site_id: string;
  round_trip_efficiency: number | null;
  rte_throughput_kwh: ColumnType<number, number | undefined, number>;
  command_latency_ms: number | null;
  latency_samples: ColumnType<number, number | undefined, number>;
  window_start: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  window_end: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  details: NullableJson<unknown>;
  updated_at: CreatedAt;
}

export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

export interface JobRunsTable {
  id: Generated<number>;
  job_name: string;
  scheduled_for: Timestamp;
  claimed_by: string;
  claimed_at: CreatedAt;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  outcome: JobOutcome | null;
  error: string | null;
  details: NullableJson<unknown>;
}

export interface ReplayRunsTable {
  replay_run_id: Generated<string>;
  scenario_name: string;
  scenario_hash: string;
  strategy: string;
  report: Json<unknown>;
  created_at: CreatedAt;
}

export type ReviewActionKind = 'approve' | 'approve_fleet' | 'hold' | 'resume' | 'override' | 'clear_override';

/** Migration 0006: the review web application's audit trail (who did what, when). */
export interface ReviewActionsTable {
  action_id: Generated<number>;
  site_id: string | null;
  action: ReviewActionKind;
  plan_version: number | null;
  window_start: NullableTimestamp;
  window_end: NullableTimestamp;
  detail: string | null;
  acted_by: string;
  acted_at: CreatedAt;
}

/** Migration 0006: a person's mode for one command window of a site (idle = do not run this window). */
export interface WindowOverridesTable {
  site_id: string;
  window_start: Timestamp;
  window_end: Timestamp;
  mode: 'idle' | 'charge' | 'discharge';
  /** Migration 0010: the power of a charge/discharge override, kW (null for idle). */
  power_kw: ColumnType<number | null, number | null | undefined, number | null>;
  set_by: string;
  set_at: CreatedAt;
}

/** Migration 0009: ERCOT system forecasts as published (every posting kept). */
export interface SystemForecastsTable {
  kind: 'load' | 'wind' | 'solar';
  region: string;
  delivery_start: Timestamp;
  posted_at: Timestamp;
  value_mw: number;
  model: string | null;
  source: string;
  fetched_at: Timestamp;
}

/** Migration 0010: review web sessions (only a hash of the cookie's session id is stored). */
export interface ReviewSessionsTable {
  session_hash: string;
  user_name: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** 0012: hourly sums of home load and solar per site, kept by triggers on `telemetry` (never written by the code). */
export interface TelemetryHourlyTable {
  site_id: string;
  /** floor((epoch(interval_end) - 900) / 3600): the intervals ending in (h:00, h+1:00]. */
  hour: EpochMs;
  load_wh_sum: number;
  load_n: number;
  solar_wh_sum: number;
  solar_n: number;
}

export interface Database {
  settlement_points: SettlementPointsTable;
  prices: PricesTable;
  price_revisions: PriceRevisionsTable;
  sites: SitesTable;
  credentials: CredentialsTable;
  locks: LocksTable;
  telemetry: TelemetryTable;
  telemetry_hourly: TelemetryHourlyTable;
  plans: PlansTable;
  commands: CommandsTable;
  reconciliations: ReconciliationsTable;
  reconciliation_revisions: ReconciliationRevisionsTable;
  site_calibration: SiteCalibrationTable;
  job_runs: JobRunsTable;
  replay_runs: ReplayRunsTable;
  dispatch_settings: DispatchSettingsTable;
  site_dispatch: SiteDispatchTable;
  approvals: ApprovalsTable;
  review_actions: ReviewActionsTable;
  window_overrides: WindowOverridesTable;
  review_sessions: ReviewSessionsTable;
  fleet_site_runs: FleetSiteRunsTable;
  fleet_slots: FleetSlotsTable;
  fleet_workers: FleetWorkersTable;
  rate_counters: RateCountersTable;
  rate_grants: RateGrantsTable;
  system_forecasts: SystemForecastsTable;
}

export type PriceRow = Selectable<PricesTable>;
export type SiteRow = Selectable<SitesTable>;
export type TelemetryRow = Selectable<TelemetryTable>;
export type CommandRow = Selectable<CommandsTable>;
export type JobRunRow = Selectable<JobRunsTable>;

/** 0007: a bigint epoch-ms column: pg hands it back as a string, PGlite as a number; read it with Number(). */
export type EpochMs = ColumnType<number | string, number, number>;

/** 0007: a site's cycle claimed for one 15-minute slot (exactly once per slot; lease for crashed workers). */
export interface FleetSiteRunsTable {
  site_id: string;
  slot_ms: EpochMs;
  status: 'running' | 'done' | 'failed';
  worker_id: string;
  lease_until_ms: EpochMs;
  attempts: Generated<number>;
  started_at_ms: EpochMs;
  finished_at_ms: EpochMs | null;
  error: string | null;
}

/** 0007: a slot fanned out into site jobs. */
export interface FleetSlotsTable {
  slot_ms: EpochMs;
  fanned_out_at_ms: EpochMs;
}

/** 0007: one row per fleet worker process, refreshed by its heartbeat. */
export interface FleetWorkersTable {
  worker_id: string;
  host: string;
  pid: number;
  concurrency: number;
  started_at_ms: EpochMs;
  heartbeat_at_ms: EpochMs;
  jobs_done: Generated<number>;
}

/** 0007: fixed-window rate counters shared by every process. */
export interface RateCountersTable {
  bucket: string;
  window_start_ms: EpochMs;
  count: number;
}

/** 0007: one row per granted request of a sliding-window limit (pruned by `db prune`). */
export interface RateGrantsTable {
  bucket: string;
  granted_at_ms: EpochMs;
}
