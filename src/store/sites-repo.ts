/** Sites: one home battery system each (Enphase system, settlement point, battery, tariff, control channel). */
import type { BatterySpec } from '../domain/battery/battery.js';
import type { Tariff } from '../domain/economics/site-cost.js';
import type { Executor } from './database.js';
import { json, jsonOrNull } from './database.js';
import { NotFound } from './errors.js';
import { ensureSettlementPoints } from './prices-repo.js';
import type { SiteRow, SiteStatus } from './schema.js';
import { sql } from 'kysely';

export type { SiteStatus };

export interface SiteInput {
  siteId: string;
  enphaseSystemId?: string | null;
  name: string;
  /** IANA zone; default America/Chicago. */
  timeZone?: string;
  settlementPoint: string;
  battery: BatterySpec;
  reservePercent: number;
  tariff?: Tariff | null;
  /** E.g. 'enphase-tou', 'enphase-grid-services', 'none'. */
  controlChannel: string;
  controlSettings?: Record<string, unknown> | null;
  gridServicesEnrolled?: boolean;
  status?: SiteStatus;
}

export interface Site extends Required<Omit<SiteInput, 'enphaseSystemId' | 'tariff' | 'controlSettings'>> {
  enphaseSystemId: string | null;
  tariff: Tariff | null;
  controlSettings: Record<string, unknown> | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export function siteFromRow(row: SiteRow): Site {
  return {
    siteId: row.site_id,
    enphaseSystemId: row.enphase_system_id,
    name: row.name,
    timeZone: row.time_zone,
    settlementPoint: row.settlement_point,
    battery: row.battery as unknown as BatterySpec,
    reservePercent: row.reserve_percent,
    tariff: (row.tariff as unknown as Tariff | null) ?? null,
    controlChannel: row.control_channel,
    controlSettings: row.control_settings ?? null,
    gridServicesEnrolled: row.grid_services_enrolled,
    status: row.status,
    createdAtMs: row.created_at.getTime(),
    updatedAtMs: row.updated_at.getTime(),
  };
}

/** Creates or replaces a site (by siteId); its settlement point is registered if new. */
export async function upsertSite(db: Executor, site: SiteInput): Promise<Site> {
  await ensureSettlementPoints(db, [site.settlementPoint]);
  const values = {
    site_id: site.siteId,
    enphase_system_id: site.enphaseSystemId ?? null,
    name: site.name,
    time_zone: site.timeZone ?? 'America/Chicago',
    settlement_point: site.settlementPoint,
    battery: json(site.battery),
    reserve_percent: site.reservePercent,
    tariff: jsonOrNull(site.tariff),
    control_channel: site.controlChannel,
    control_settings: jsonOrNull(site.controlSettings),
    grid_services_enrolled: site.gridServicesEnrolled ?? false,
    status: site.status ?? 'active',
  };
  const { site_id: _id, ...update } = values;
  const row = await db
    .insertInto('sites')
    .values(values)
    .onConflict((oc) => oc.column('site_id').doUpdateSet({ ...update, updated_at: sql<Date>`now()` as unknown as Date }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return siteFromRow(row);
}

export async function getSite(db: Executor, siteId: string): Promise<Site | null> {
  const row = await db.selectFrom('sites').selectAll().where('site_id', '=', siteId).executeTakeFirst();
  return row ? siteFromRow(row) : null;
}

export async function getSiteByEnphaseSystemId(db: Executor, systemId: string): Promise<Site | null> {
  const row = await db.selectFrom('sites').selectAll().where('enphase_system_id', '=', systemId).executeTakeFirst();
  return row ? siteFromRow(row) : null;
}

export async function listSites(db: Executor, filter: { status?: SiteStatus } = {}): Promise<Site[]> {
  let q = db.selectFrom('sites').selectAll().orderBy('site_id');
  if (filter.status) q = q.where('status', '=', filter.status);
  return (await q.execute()).map(siteFromRow);
}

/** E.g. 'needs_reauth' when the Enphase refresh token is rejected. Throws NotFound for an unknown site. */
export async function setSiteStatus(db: Executor, siteId: string, status: SiteStatus): Promise<void> {
  const res = await db
    .updateTable('sites')
    .set({ status, updated_at: sql<Date>`now()` as unknown as Date })
    .where('site_id', '=', siteId)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new NotFound(`site ${siteId}`);
}
