/**
 * Hourly sums of home load and solar per site (`telemetry_hourly`), kept by triggers on `telemetry`: every insert,
 * update, delete and truncate, by any writer (poll, backfill, import, retention), adds or takes away its rows'
 * readings. The dispatch cycle's context read takes 14 days of hourly means from here (337 rows) instead of
 * aggregating ~1,350 telemetry rows per site and cycle (docs/fleet.md, "Steady state"). Hour h covers the intervals
 * ending in (h:00, h+1:00], as the aggregation it replaces: `hour` = floor((epoch(interval_end) - 900) / 3600).
 * Statement-level triggers with transition tables: one upsert per statement, not one per row. The sums are float8
 * running totals, set back to exactly 0 when an hour's count falls to zero. An hour's row exists while the hour has a
 * telemetry row (with null readings too: its means are then null, as the aggregation's are).
 */
import { sql, type Kysely } from 'kysely';

const HOUR = `floor((extract(epoch from interval_end) - 900) / 3600)::bigint`;

/** Signed readings of a transition table (sign +1 or -1) grouped per site and hour, added to the sums. */
const apply = (parts: string, changedOnly = false): string => `
  with d as (
    select site_id, hour, sum(load_wh) as load_wh, sum(load_n)::int as load_n, sum(solar_wh) as solar_wh, sum(solar_n)::int as solar_n
    from (${parts}) x group by site_id, hour
    ${changedOnly ? 'having sum(load_n) <> 0 or sum(solar_n) <> 0 or coalesce(sum(load_wh), 0) <> 0 or coalesce(sum(solar_wh), 0) <> 0' : ''}
  )
  insert into telemetry_hourly as h (site_id, hour, load_wh_sum, load_n, solar_wh_sum, solar_n)
  select site_id, hour, coalesce(load_wh, 0), load_n, coalesce(solar_wh, 0), solar_n from d
  on conflict (site_id, hour) do update set
    load_wh_sum = case when h.load_n + excluded.load_n = 0 then 0 else h.load_wh_sum + excluded.load_wh_sum end,
    load_n = h.load_n + excluded.load_n,
    solar_wh_sum = case when h.solar_n + excluded.solar_n = 0 then 0 else h.solar_wh_sum + excluded.solar_wh_sum end,
    solar_n = h.solar_n + excluded.solar_n`;

/** After a delete: an hour with no telemetry row left has no sums row either (as the aggregation has no group). */
const DROP_EMPTY = `delete from telemetry_hourly h using (select distinct site_id, ${HOUR} as hour from old_rows) k
  where h.site_id = k.site_id and h.hour = k.hour and not exists (select 1 from telemetry t where t.site_id = k.site_id
    and t.interval_end >= to_timestamp(k.hour * 3600 + 900) and t.interval_end < to_timestamp(k.hour * 3600 + 4500))`;

const signed = (table: string, sign: 1 | -1): string =>
  `select site_id, ${HOUR} as hour, ${sign} * consumption_wh as load_wh, ${sign} * (consumption_wh is not null)::int as load_n,
     ${sign} * production_wh as solar_wh, ${sign} * (production_wh is not null)::int as solar_n from ${table}`;

/** `table`: the transition table whose emptiness means nothing to do (a statement that wrote no row). */
const fn = (name: string, body: string, table?: string): string => `
  create function ${name}() returns trigger language plpgsql as $fn$
  begin
    ${table ? `if not exists (select 1 from ${table}) then return null; end if;` : ''}
    ${body};
    return null;
  end $fn$`;

const UP = [
  `create table telemetry_hourly (
    site_id text not null,
    hour bigint not null,
    load_wh_sum double precision not null,
    load_n integer not null,
    solar_wh_sum double precision not null,
    solar_n integer not null,
    primary key (site_id, hour)
  )`,
  `insert into telemetry_hourly (site_id, hour, load_wh_sum, load_n, solar_wh_sum, solar_n)
    select site_id, ${HOUR}, coalesce(sum(consumption_wh), 0), count(consumption_wh), coalesce(sum(production_wh), 0), count(production_wh)
    from telemetry group by 1, 2`,
  fn('telemetry_hourly_ins', apply(signed('new_rows', 1)), 'new_rows'),
  // An update that leaves an hour's readings as they were (a SoC rewritten) does not touch its row.
  fn('telemetry_hourly_upd', apply(`${signed('new_rows', 1)} union all ${signed('old_rows', -1)}`, true), 'new_rows'),
  fn('telemetry_hourly_del', `${apply(signed('old_rows', -1))};
    ${DROP_EMPTY}`, 'old_rows'),
  fn('telemetry_hourly_trunc', 'delete from telemetry_hourly'),
  // The functions resolve telemetry_hourly in the schema they were created in, whatever the writer's search_path.
  ...['ins', 'upd', 'del', 'trunc'].map((k) => `alter function telemetry_hourly_${k}() set search_path from current`),
  `create trigger telemetry_hourly_ins after insert on telemetry referencing new table as new_rows for each statement execute function telemetry_hourly_ins()`,
  `create trigger telemetry_hourly_upd after update on telemetry referencing old table as old_rows new table as new_rows for each statement execute function telemetry_hourly_upd()`,
  `create trigger telemetry_hourly_del after delete on telemetry referencing old table as old_rows for each statement execute function telemetry_hourly_del()`,
  `create trigger telemetry_hourly_trunc after truncate on telemetry for each statement execute function telemetry_hourly_trunc()`,
];

const DOWN = [
  ...['ins', 'upd', 'del', 'trunc'].map((k) => `drop trigger telemetry_hourly_${k} on telemetry`),
  ...['ins', 'upd', 'del', 'trunc'].map((k) => `drop function telemetry_hourly_${k}()`),
  'drop table telemetry_hourly',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
