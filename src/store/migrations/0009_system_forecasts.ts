/**
 * ERCOT system forecasts (load, wind, solar; MW) as published: one row per kind, region, delivery hour and posting.
 * Every posting is kept (not only the latest), so "the latest forecast published at or before instant T" can be
 * answered for any T: the history a forecaster can train on accrues. `posted_at` is ERCOT's posting time,
 * `delivery_start` the UTC start of the delivery hour; `model` is the load forecast model in use (null otherwise).
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table system_forecasts (
    kind text not null check (kind in ('load', 'wind', 'solar')),
    region text not null,
    delivery_start timestamptz not null,
    posted_at timestamptz not null,
    value_mw double precision not null,
    model text,
    source text not null,
    fetched_at timestamptz not null,
    primary key (kind, region, delivery_start, posted_at)
  )`,
  `create index system_forecasts_posted on system_forecasts (kind, posted_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop table if exists system_forecasts').execute(db);
}
