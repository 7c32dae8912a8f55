/**
 * Everything one site's dispatch cycle reads from the store, in ONE statement: the site, its dispatch row, the newest
 * telemetry SoC, the Enphase site state, the reconciler's calibration, the window overrides, the home load and solar
 * history and the site's commands (every open one, and every one whose window ends after the earliest instant the cycle
 * looks at). It replaces ~14 single-row reads per site and cycle (docs/fleet.md, "Benchmark"); each part is mapped by
 * the same row mapper as its repository's own read.
 */
import { sql } from 'kysely';
import type { WindowOverride } from '../../domain/dispatch/window-overrides.js';
import type { HourlyHomeEnergy } from '../../domain/forecast/home-load.js';
import { HOUR_MS, INTERVAL_HOURS } from '../../domain/time/interval.js';
import { commandFromRow, OPEN_COMMAND_STATES, type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { siteDispatchFromRow, type SiteDispatch } from '../../store/dispatch-repo.js';
import { toDate } from '../../store/mappers.js';
import { calibrationFromRow, type StoredSiteCalibration } from '../../store/reconcile-repo.js';
import { siteFromRow, type Site } from '../../store/sites-repo.js';
import { mergedTelemetryWrite, telemetryFromRow, type MergedTelemetryCounts, type StoredTelemetry } from '../../store/telemetry-repo.js';
import type { PendingPollWrite } from '../telemetry/ingest.js';
import { siteStateFromRow, type SiteState } from '../telemetry/enphase-tables.js';
import { homeHistoryWindow, HOUR_OF_INTERVAL_END } from './plan-knowledge.js';

export interface SiteContext {
  site: Site;
  dispatch: SiteDispatch | null;
  /** The newest telemetry row with a SoC. */
  soc: StoredTelemetry | null;
  siteState: SiteState | null;
  calibration: StoredSiteCalibration | null;
  overrides: WindowOverride[];
  homeHistory: HourlyHomeEnergy[];
  /** Every open command and every command whose window ends after `commandsFromMs`, by window start, planned time. */
  commands: Command[];
  commandsFromMs: number;
  /** The site's newest plan version (null: none yet). */
  latestPlanVersion: number | null;
}

/** How far back the cycle looks at commands: opted-out overrides (`optOutMs`), and an hour before the SoC measurement. */
export interface SiteContextWindow {
  optOutMs: number;
}

const DATE_COLUMNS: Record<string, readonly string[]> = {
  sites: ['created_at', 'updated_at'],
  site_dispatch: ['throttled_until', 'paused_at', 'updated_at'],
  telemetry: ['interval_end', 'received_at'],
  enphase_site_state: ['settings_fetched_at', 'storm_guard_fetched_at', 'grid_fetched_at', 'updated_at'],
  site_calibration: ['window_start', 'window_end', 'updated_at'],
  commands: ['window_start', 'window_end', 'planned_at', 'sent_at', 'accepted_at', 'active_at', 'finished_at', 'state_changed_at', 'send_at', 'next_attempt_at', 'scheduled_at'],
};

/** A row as to_jsonb gives it, with its timestamptz columns back as Date (as the driver reads them). */
function revive<T>(table: string, row: Record<string, unknown> | null): T | null {
  if (!row) return null;
  for (const c of DATE_COLUMNS[table]!) {
    const v = row[c];
    if (typeof v === 'string') row[c] = new Date(v);
  }
  return row as T;
}

/**
 * One round trip; null when the site does not exist. `write`: the site's telemetry poll, written in the same statement
 * (the fleet: one statement per site fewer). A statement does not see its own writes, so the read overlays the rows
 * the write returns (`up`: every row it inserted or changed, as stored) and the Enphase state it returns (`also`) on
 * its snapshot: the context is what a read after the write would return. The write is settled with its counts.
 */
export async function loadSiteContext(db: Executor, siteId: string, nowMs: number, w: SiteContextWindow, write?: PendingPollWrite): Promise<SiteContext | null> {
  const home = homeHistoryWindow(nowMs);
  const optOutFrom = toDate(nowMs - w.optOutMs);
  const homeFrom = toDate(home.fromMs);
  const homeTo = toDate(home.toMs);
  if (write && write.records.some((r) => r.siteId !== siteId)) throw new RangeError(`site ${siteId}: its context read can only write its own telemetry`);
  const pending = write ? mergedTelemetryWrite(write.records, write.also) : null;
  // Without a write: the stored rows. With one: the rows written, and the stored rows it did not rewrite.
  const socSql = pending
    ? sql`select x.* from ((select u.*, 0 as src from up u where u.soc_percent is not null order by u.interval_end desc limit 1)
        union all (select t.*, 1 as src from telemetry t where t.site_id = ${siteId} and t.soc_percent is not null order by t.interval_end desc limit 1)) x
        order by x.interval_end desc, x.src limit 1`
    : sql`select * from telemetry where site_id = ${siteId} and soc_percent is not null order by interval_end desc limit 1`;
  // Home history: the hours lying wholly inside the window from the hourly sums the telemetry triggers keep (migration
  // 0012), the two edge hours and the hours the write touches aggregated from the rows themselves (with the write's
  // rows laid over the snapshot): the same means as aggregating every row of the window, from ~10 rows instead of ~1,350.
  const fromS = home.fromMs / 1000;
  const toS = home.toMs / 1000;
  const hMin = Math.floor((fromS - 900) / 3600) + 1; // the first hour whose intervals all end after the window's start
  const hMax = Math.floor((toS - 4500) / 3600); // the last hour whose intervals all end by the window's end
  const innerFrom = toDate((hMin * 3600 + 900) * 1000);
  const innerTo = toDate((hMax * 3600 + 4500) * 1000);
  const edges = sql`((t.interval_end > ${homeFrom} and t.interval_end < ${innerFrom}) or (t.interval_end >= ${innerTo} and t.interval_end <= ${homeTo})`;
  const homeRows = pending
    ? sql`select interval_end, consumption_wh, production_wh from up where interval_end > ${homeFrom} and interval_end <= ${homeTo}
        union all select t.interval_end, t.consumption_wh, t.production_wh from telemetry t left join touched on true
        where t.site_id = ${siteId} and ${edges} or (t.interval_end >= touched.from_at and t.interval_end < touched.to_at and t.interval_end > ${homeFrom} and t.interval_end <= ${homeTo}))
          and not exists (select 1 from up u where u.interval_end = t.interval_end)`
    : sql`select t.interval_end, t.consumption_wh, t.production_wh from telemetry t where t.site_id = ${siteId} and ${edges})`;
  const homeSums = sql`select hour::float8 as hour, load_wh_sum / nullif(load_n, 0) as load_wh, solar_wh_sum / nullif(solar_n, 0) as solar_wh
    from telemetry_hourly h where h.site_id = ${siteId} and h.hour between ${hMin} and ${hMax}
    ${pending ? sql`and not exists (select 1 from touched where h.hour between touched.lo and touched.hi)` : sql``}`;
  const touched = pending
    ? sql`touched as (select lo, hi, to_timestamp(lo * 3600 + 900) as from_at, to_timestamp(hi * 3600 + 4500) as to_at from (
        select min(${HOUR_OF_INTERVAL_END})::bigint as lo, max(${HOUR_OF_INTERVAL_END})::bigint as hi from up) x
        where lo is not null), `
    : sql``;
  const siteState = pending
    ? sql`coalesce((select to_jsonb(a) from also a), (select to_jsonb(e) from enphase_site_state e where e.site_id = ${siteId}))`
    : sql`(select to_jsonb(e) from enphase_site_state e where e.site_id = ${siteId})`;
  const r = await sql<{
    site: Record<string, unknown> | null;
    dispatch: Record<string, unknown> | null;
    soc: Record<string, unknown> | null;
    site_state: Record<string, unknown> | null;
    calibration: Record<string, unknown> | null;
    overrides: { window_start: string; window_end: string; mode: WindowOverride['mode']; power_kw: number | null; set_by: string }[];
    /** Hours, load Wh, solar Wh: three arrays in hour order (arrays, not one object per hour: less to build and parse). */
    home: [number[], (number | null)[], (number | null)[]];
    commands: Record<string, unknown>[];
    commands_from_ms: number | string;
    latest_plan_version: number | null;
    written: MergedTelemetryCounts | null;
  }>`
    with ${pending ? sql`${pending.ctes}, ` : sql``}${touched}soc as (${socSql}),
    bound as (select least(${optOutFrom}::timestamptz, (select interval_end from soc) - interval '1 hour') as from_at)
    select
      (select to_jsonb(s) from sites s where s.site_id = ${siteId}) as site,
      (select to_jsonb(d) from site_dispatch d where d.site_id = ${siteId}) as dispatch,
      (select to_jsonb(soc) - 'src' from soc) as soc,
      ${siteState} as site_state,
      (select to_jsonb(k) from site_calibration k where k.site_id = ${siteId}) as calibration,
      (select coalesce(jsonb_agg(jsonb_build_object('window_start', o.window_start, 'window_end', o.window_end, 'mode', o.mode, 'power_kw', o.power_kw, 'set_by', o.set_by) order by o.window_start), '[]'::jsonb)
        from window_overrides o where o.site_id = ${siteId} and o.window_start < ${toDate(nowMs + 3 * 24 * HOUR_MS)} and o.window_end > ${toDate(nowMs - 6 * HOUR_MS)}) as overrides,
      (select json_build_array(coalesce(json_agg(h.hour order by h.hour), '[]'), coalesce(json_agg(h.load_wh order by h.hour), '[]'), coalesce(json_agg(h.solar_wh order by h.hour), '[]')) from (
        ${homeSums}
        union all
        select ${HOUR_OF_INTERVAL_END}::float8 as hour, avg(consumption_wh)::float8 as load_wh, avg(production_wh)::float8 as solar_wh
        from (${homeRows}) rows group by 1) h) as home,
      (select coalesce(jsonb_agg(to_jsonb(c) order by c.window_start, c.planned_at), '[]'::jsonb) from commands c
        where c.site_id = ${siteId} and (c.state in (${sql.join([...OPEN_COMMAND_STATES])}) or c.window_end > (select from_at from bound))) as commands,
      (extract(epoch from (select from_at from bound)) * 1000)::float8 as commands_from_ms,
      (select max(plan_version) from plans where site_id = ${siteId}) as latest_plan_version,
      ${pending ? pending.counts : sql`null::jsonb`} as written`.execute(db);
  const row = r.rows[0];
  if (write && row?.written) write.settle(row.written);
  if (!row?.site) return null;
  const kw = (wh: number | null): number | null => (wh === null ? null : wh / 1000 / INTERVAL_HOURS);
  return {
    site: siteFromRow(revive('sites', row.site)!),
    dispatch: row.dispatch ? siteDispatchFromRow(revive('site_dispatch', row.dispatch)!) : null,
    soc: row.soc ? telemetryFromRow(revive('telemetry', row.soc)!) : null,
    siteState: row.site_state ? siteStateFromRow(revive('enphase_site_state', row.site_state)!) : null,
    calibration: row.calibration ? calibrationFromRow(revive('site_calibration', row.calibration)!) : null,
    overrides: row.overrides.map((o) => ({ startMs: Date.parse(o.window_start), endMs: Date.parse(o.window_end), mode: o.mode, powerKw: o.power_kw, setBy: o.set_by })),
    homeHistory: row.home[0].map((hour, i) => ({ hourStartMs: hour * HOUR_MS, loadKw: kw(row.home[1][i] ?? null), solarKw: kw(row.home[2][i] ?? null) })),
    commands: row.commands.map((c) => commandFromRow(revive('commands', c)!)),
    commandsFromMs: Math.ceil(Number(row.commands_from_ms)),
    latestPlanVersion: row.latest_plan_version === null ? null : Number(row.latest_plan_version),
  };
}
