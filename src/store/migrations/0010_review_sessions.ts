/**
 * The review web application's sessions in the store (so a restart of `serve`/`run` keeps traders logged in, and
 * several processes share them): only a SHA-256 hash of the session id is stored (the cookie holds the id), with
 * the trader's name, the session's own CSRF token and its expiry. And the power of a per-window mode override
 * (charge/discharge at this many kW; null for idle).
 */
import { sql, type Kysely } from 'kysely';

const UP = [
  `create table review_sessions (
    session_hash text primary key,
    user_name text not null,
    csrf_token text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
  )`,
  `create index review_sessions_expiry on review_sessions (expires_at)`,
  `alter table window_overrides add column power_kw double precision check (power_kw is null or power_kw > 0)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('alter table window_overrides drop column power_kw').execute(db);
  await sql.raw('drop table review_sessions').execute(db);
}
