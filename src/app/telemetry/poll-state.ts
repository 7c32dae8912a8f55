/**
 * What one site's poll reads before it calls Enphase, in ONE statement: the site's Enphase state (battery or not,
 * when the settings were read) and the newest stored interval per product (where the poll starts). Replaces a state
 * read and one newest-interval read per product (4 round trips per site); the fleet, which has only the site's id,
 * gets the site row in it too.
 */
import { sql, type RawBuilder } from 'kysely';
import type { TelemetryProduct } from '../../adapters/enphase/normalise.js';
import type { Executor } from '../../store/database.js';
import { siteStateFromRow, type EnphaseSiteStateTable, type SiteState } from './enphase-tables.js';
import type { Selectable } from 'kysely';
import { siteFromRow, type Site } from '../../store/sites-repo.js';

export interface SitePollState {
  /** The site itself (null when it does not exist); read in the same statement for callers that only have its id. */
  site: Site | null;
  state: SiteState | null;
  newestEndMs: Record<TelemetryProduct, number | null>;
}

const DATES = ['settings_fetched_at', 'storm_guard_fetched_at', 'grid_fetched_at', 'updated_at'] as const;

export async function sitePollState(db: Executor, siteId: string): Promise<SitePollState> {
  const r = await sitePollStateSql(siteId).execute(db);
  return sitePollStateFromRow(r.rows[0]!);
}

export interface SitePollStateRow {
  site: Record<string, unknown> | null;
  state: Record<string, unknown> | null;
  battery: number | null;
  consumption: number | null;
  production: number | null;
}

/** The read as a statement of its own, or to run inside another (the fleet's claim of the site's run). */
export function sitePollStateSql(siteId: string): RawBuilder<SitePollStateRow> {
  return sql<SitePollStateRow>`
    select (select to_jsonb(s) from sites s where s.site_id = ${siteId}) as site,
      (select to_jsonb(e) from enphase_site_state e where e.site_id = ${siteId}) as state,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and soc_percent is not null)::float8 as battery,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and consumption_wh is not null)::float8 as consumption,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and production_wh is not null)::float8 as production`;
}

export function sitePollStateFromRow(row: SitePollStateRow): SitePollState {
  let state: SiteState | null = null;
  if (row.state) {
    for (const c of DATES) if (typeof row.state[c] === 'string') row.state[c] = new Date(row.state[c] as string);
    state = siteStateFromRow(row.state as unknown as Selectable<EnphaseSiteStateTable>);
  }
  let site: Site | null = null;
  if (row.site) {
    for (const c of ['created_at', 'updated_at']) if (typeof row.site[c] === 'string') row.site[c] = new Date(row.site[c] as string);
    site = siteFromRow(row.site as unknown as Parameters<typeof siteFromRow>[0]);
  }
  const ms = (v: number | null): number | null => (v === null ? null : Math.round(Number(v)));
  return { site, state, newestEndMs: { battery: ms(row.battery), consumption: ms(row.consumption), production: ms(row.production) } };
}
