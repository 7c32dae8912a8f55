/**
 * A plan's per-interval outputs move from 96 `plan_intervals` rows onto the plan row itself: one array column per
 * quantity, element i for interval i (`interval_starts` timestamptz[], the others float8[]; a price element may be
 * null). Storing a plan was one heap row and one index entry per interval (96 per site per cycle, most of the dispatch
 * tick on the embedded store); now it is one row. Readers unnest the arrays in SQL
 * (`cross join lateral unnest(p.interval_starts, p.charge_kw, …) as pi(interval_start, charge_kw, …)`), so the
 * planned-vs-actual, fleet and day-plan queries keep their shape. Stored plans are migrated (arrays in
 * interval order); down puts them back into a `plan_intervals` table.
 */
import { sql, type Kysely } from 'kysely';

const ARRAYS = ['charge_kw', 'discharge_kw', 'grid_import_kw', 'grid_export_kw', 'soc_kwh_end', 'price_usd_per_mwh'] as const;
const SAME_LENGTH = ARRAYS.map((c) => `cardinality(${c}) = cardinality(interval_starts)`).join(' and ');

const UP = [
  `alter table plans add column interval_starts timestamptz[] not null default '{}', ${ARRAYS.map((c) => `add column ${c} double precision[] not null default '{}'`).join(', ')}`,
  `update plans p set interval_starts = x.interval_starts, ${ARRAYS.map((c) => `${c} = x.${c}`).join(', ')}
    from (select plan_id, array_agg(interval_start order by interval_start) as interval_starts,
            ${ARRAYS.map((c) => `array_agg(${c} order by interval_start) as ${c}`).join(', ')}
          from plan_intervals group by plan_id) x
    where x.plan_id = p.plan_id`,
  `alter table plans add constraint plans_interval_arrays_same_length check (${SAME_LENGTH})`,
  'drop table plan_intervals',
];

const DOWN = [
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
  `insert into plan_intervals (plan_id, interval_start, ${ARRAYS.join(', ')})
    select p.plan_id, pi.interval_start, ${ARRAYS.map((c) => `pi.${c}`).join(', ')}
    from plans p cross join lateral unnest(p.interval_starts, ${ARRAYS.map((c) => `p.${c}`).join(', ')}) as pi(interval_start, ${ARRAYS.join(', ')})`,
  'alter table plans drop constraint plans_interval_arrays_same_length',
  `alter table plans drop column interval_starts, ${ARRAYS.map((c) => `drop column ${c}`).join(', ')}`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
