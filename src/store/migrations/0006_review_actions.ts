/**
 * The trader review web application (docs/web.md): every action a person takes there (approve, hold, resume,
 * override a window's mode) with who and when, and the per-window mode overrides themselves.
 * Hold/resume act through sites.status ('paused' makes the dispatcher stand aside and cancel what is pending);
 * approvals go to the dispatcher's approvals table; this table is the audit trail across all of them.
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table review_actions (
    action_id integer generated always as identity primary key,
    site_id text references sites (site_id) on delete cascade,
    action text not null check (action in ('approve', 'approve_fleet', 'hold', 'resume', 'override', 'clear_override')),
    plan_version integer,
    window_start timestamptz,
    window_end timestamptz,
    detail text,
    acted_by text not null,
    acted_at timestamptz not null default now()
  )`,
  `create index review_actions_site on review_actions (site_id, acted_at)`,
  `create table window_overrides (
    site_id text not null references sites (site_id) on delete cascade,
    window_start timestamptz not null,
    window_end timestamptz not null,
    mode text not null check (mode in ('idle', 'charge', 'discharge')),
    set_by text not null,
    set_at timestamptz not null default now(),
    primary key (site_id, window_start)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop table window_overrides').execute(db);
  await sql.raw('drop table review_actions').execute(db);
}
