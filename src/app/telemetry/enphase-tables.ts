/**
 * Queries on the Enphase tables of migration 0002_enphase_telemetry (quarantine, site state, API usage). The core
 * tables (sites, credentials, telemetry) are used only through the store's repositories.
 */
import { sql, type ColumnType, type RawBuilder, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Executor } from '../../store/database.js';
import type { Database } from '../../store/schema.js';

type Ts = ColumnType<Date, Date | string, Date | string>;
type TsNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TelemetryQuarantineTable {
  id: Generated<number>;
  site_id: string;
  product: string;
  interval_end: TsNull;
  reason: string;
  raw: ColumnType<unknown, string | null, string | null>;
  first_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  times_seen: ColumnType<number, number | undefined, number>;
}

export interface EnphaseSiteStateTable {
  site_id: string;
  has_battery: ColumnType<boolean, boolean | undefined, boolean>;
  battery_mode: string | null;
  battery_mode_raw: string | null;
  reserve_soc: number | null;
  charge_from_grid: boolean | null;
  storm_guard_enabled: boolean | null;
  storm_alert: boolean | null;
  grid_state: string | null;
  settings_fetched_at: TsNull;
  storm_guard_fetched_at: TsNull;
  grid_fetched_at: TsNull;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface EnphaseApiUsageTable {
  account_key: string;
  period: 'minute' | 'month';
  period_start: Ts;
  calls: ColumnType<number, number | undefined, number>;
  blocked_until: TsNull;
}

export interface EnphaseDatabase extends Database {
  telemetry_quarantine: TelemetryQuarantineTable;
  enphase_site_state: EnphaseSiteStateTable;
  enphase_api_usage: EnphaseApiUsageTable;
}

export type EnphaseExecutor = Kysely<EnphaseDatabase> | Transaction<EnphaseDatabase>;

/** The same connection, typed with the Enphase tables too. */
export function enphaseDb(db: Executor): EnphaseExecutor {
  return db as unknown as EnphaseExecutor;
}

export interface QuarantineEntry {
  siteId: string;
  product: string;
  intervalEndMs: number | null;
  reason: string;
  raw: unknown;
}

/** Records quarantined intervals; the same (site, product, interval, reason) seen again only bumps its counter. */
export async function recordQuarantine(db: Executor, entries: readonly QuarantineEntry[], nowMs: number): Promise<void> {
  const e = enphaseDb(db);
  for (const q of entries) {
    const end = q.intervalEndMs === null ? null : new Date(q.intervalEndMs);
    const now = new Date(nowMs);
    const existing = await e.selectFrom('telemetry_quarantine').select('id').where('site_id', '=', q.siteId).where('product', '=', q.product)
      .where('reason', '=', q.reason).where((w) => (end === null ? w('interval_end', 'is', null) : w('interval_end', '=', end))).executeTakeFirst();
    if (existing) {
      await e.updateTable('telemetry_quarantine').set({ last_seen_at: now, times_seen: sql<number>`times_seen + 1` as unknown as number, raw: JSON.stringify(q.raw ?? null) })
        .where('id', '=', existing.id).execute();
    } else {
      await e.insertInto('telemetry_quarantine').values({
        site_id: q.siteId, product: q.product, interval_end: end, reason: q.reason, raw: JSON.stringify(q.raw ?? null), first_seen_at: now, last_seen_at: now,
      }).execute();
    }
  }
}

export interface StoredQuarantine extends QuarantineEntry {
  timesSeen: number;
  lastSeenAtMs: number;
}

export async function listQuarantine(db: Executor, siteId?: string): Promise<StoredQuarantine[]> {
  let q = enphaseDb(db).selectFrom('telemetry_quarantine').selectAll().orderBy('site_id').orderBy('interval_end').orderBy('product');
  if (siteId) q = q.where('site_id', '=', siteId);
  return (await q.execute()).map((r) => ({
    siteId: r.site_id, product: r.product, intervalEndMs: r.interval_end ? r.interval_end.getTime() : null, reason: r.reason, raw: r.raw,
    timesSeen: r.times_seen, lastSeenAtMs: r.last_seen_at.getTime(),
  }));
}

export interface SiteState {
  siteId: string;
  hasBattery: boolean;
  batteryMode: string | null;
  batteryModeRaw: string | null;
  reserveSoc: number | null;
  chargeFromGrid: boolean | null;
  stormGuardEnabled: boolean | null;
  stormAlert: boolean | null;
  gridState: string | null;
  settingsFetchedAtMs: number | null;
  stormGuardFetchedAtMs: number | null;
  gridFetchedAtMs: number | null;
}

export async function getSiteState(db: Executor, siteId: string): Promise<SiteState | null> {
  const r = await enphaseDb(db).selectFrom('enphase_site_state').selectAll().where('site_id', '=', siteId).executeTakeFirst();
  return r ? siteStateFromRow(r) : null;
}

export function siteStateFromRow(r: Selectable<EnphaseSiteStateTable>): SiteState {
  return {
    siteId: r.site_id, hasBattery: r.has_battery, batteryMode: r.battery_mode, batteryModeRaw: r.battery_mode_raw, reserveSoc: r.reserve_soc,
    chargeFromGrid: r.charge_from_grid, stormGuardEnabled: r.storm_guard_enabled, stormAlert: r.storm_alert, gridState: r.grid_state,
    settingsFetchedAtMs: r.settings_fetched_at?.getTime() ?? null, stormGuardFetchedAtMs: r.storm_guard_fetched_at?.getTime() ?? null,
    gridFetchedAtMs: r.grid_fetched_at?.getTime() ?? null,
  };
}

export type SiteStatePatch = Partial<Omit<SiteState, 'siteId' | 'settingsFetchedAtMs' | 'stormGuardFetchedAtMs' | 'gridFetchedAtMs'>> & {
  settingsFetchedAtMs?: number;
  stormGuardFetchedAtMs?: number;
  gridFetchedAtMs?: number;
};

export async function patchSiteState(db: Executor, siteId: string, patch: SiteStatePatch): Promise<void> {
  await patchSiteStateSql(siteId, patch).execute(db);
}

/** The patch as one upsert statement returning the row as stored, to run on its own or inside another (the poll's telemetry write). */
export function patchSiteStateSql(siteId: string, patch: SiteStatePatch): RawBuilder<unknown> {
  const cols: Record<string, unknown> = {};
  if (patch.hasBattery !== undefined) cols.has_battery = patch.hasBattery;
  if (patch.batteryMode !== undefined) cols.battery_mode = patch.batteryMode;
  if (patch.batteryModeRaw !== undefined) cols.battery_mode_raw = patch.batteryModeRaw;
  if (patch.reserveSoc !== undefined) cols.reserve_soc = patch.reserveSoc;
  if (patch.chargeFromGrid !== undefined) cols.charge_from_grid = patch.chargeFromGrid;
  if (patch.stormGuardEnabled !== undefined) cols.storm_guard_enabled = patch.stormGuardEnabled;
  if (patch.stormAlert !== undefined) cols.storm_alert = patch.stormAlert;
  if (patch.gridState !== undefined) cols.grid_state = patch.gridState;
  if (patch.settingsFetchedAtMs !== undefined) cols.settings_fetched_at = new Date(patch.settingsFetchedAtMs);
  if (patch.stormGuardFetchedAtMs !== undefined) cols.storm_guard_fetched_at = new Date(patch.stormGuardFetchedAtMs);
  if (patch.gridFetchedAtMs !== undefined) cols.grid_fetched_at = new Date(patch.gridFetchedAtMs);
  cols.updated_at = new Date();
  const names = Object.keys(cols);
  return sql`insert into enphase_site_state (site_id, ${sql.join(names.map((c) => sql.ref(c)))})
    values (${siteId}, ${sql.join(names.map((c) => sql`${cols[c]}`))})
    on conflict (site_id) do update set ${sql.join(names.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}
    returning *`;
}
