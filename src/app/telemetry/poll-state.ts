/**
 * What one site's poll reads before it calls Enphase, in ONE statement: the site's Enphase state (battery or not,
 * when the settings were read) and the newest stored interval per product (where the poll starts). Replaces a state
 * read and one newest-interval read per product (4 round trips per site).
 */
import { sql } from 'kysely';
import type { TelemetryProduct } from '../../adapters/enphase/normalise.js';
import type { Executor } from '../../store/database.js';
import { siteStateFromRow, type EnphaseSiteStateTable, type SiteState } from './enphase-tables.js';
import type { Selectable } from 'kysely';

export interface SitePollState {
  state: SiteState | null;
  newestEndMs: Record<TelemetryProduct, number | null>;
}

const DATES = ['settings_fetched_at', 'storm_guard_fetched_at', 'grid_fetched_at', 'updated_at'] as const;

export async function sitePollState(db: Executor, siteId: string): Promise<SitePollState> {
  const r = await sql<{ state: Record<string, unknown> | null; battery: number | null; consumption: number | null; production: number | null }>`
    select (select to_jsonb(e) from enphase_site_state e where e.site_id = ${siteId}) as state,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and soc_percent is not null)::float8 as battery,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and consumption_wh is not null)::float8 as consumption,
      (select extract(epoch from max(interval_end)) * 1000 from telemetry where site_id = ${siteId} and production_wh is not null)::float8 as production`.execute(db);
  const row = r.rows[0]!;
  let state: SiteState | null = null;
  if (row.state) {
    for (const c of DATES) if (typeof row.state[c] === 'string') row.state[c] = new Date(row.state[c] as string);
    state = siteStateFromRow(row.state as unknown as Selectable<EnphaseSiteStateTable>);
  }
  const ms = (v: number | null): number | null => (v === null ? null : Math.round(Number(v)));
  return { state, newestEndMs: { battery: ms(row.battery), consumption: ms(row.consumption), production: ms(row.production) } };
}
