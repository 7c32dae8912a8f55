/**
 * Live dispatch: the full command life cycle (planned → awaiting_approval → sending → accepted → scheduled → active →
 * completed | reverted_early | superseded | cancelled | expired | failed | rejected | overridden | lost) with the
 * channel's id, the plan version and window reason that produced a command, attempts and the next attempt time;
 * plans numbered per site (plan_version) with their exact outputs and decided windows (inputs already stored);
 * per-site dispatch mode/status (site_dispatch), the fleet default (dispatch_settings) and approvals.
 * Rows left in the old 'sent' state become 'sending': the dispatcher resolves them by asking the channel.
 */
import { sql, type Kysely } from 'kysely';

const STATES = [
  'planned', 'awaiting_approval', 'sending', 'accepted', 'scheduled', 'active',
  'completed', 'reverted_early', 'superseded', 'cancelled', 'expired', 'failed', 'rejected', 'overridden', 'lost',
];
const OLD_STATES = ['planned', 'sent', 'accepted', 'active', 'completed', 'expired', 'superseded', 'failed', 'cancelled'];

const list = (states: string[]): string => states.map((s) => `'${s}'`).join(', ');

const UP = [
  `alter table commands drop constraint commands_state_check`,
  `update commands set state = 'sending' where state = 'sent'`,
  `alter table commands add constraint commands_state_check check (state in (${list(STATES)}))`,
  `alter table commands add column external_id text`,
  `alter table commands add column plan_version integer`,
  `alter table commands add column reason text`,
  `alter table commands add column power_kw double precision`,
  `alter table commands add column send_at timestamptz`,
  `alter table commands add column attempts integer not null default 0`,
  `alter table commands add column next_attempt_at timestamptz`,
  `alter table commands add column scheduled_at timestamptz`,
  `create index commands_open on commands (site_id, state) where state in ('planned', 'awaiting_approval', 'sending', 'accepted', 'scheduled', 'active')`,
  `create index commands_external on commands (channel, external_id) where external_id is not null`,
  `alter table plans add column plan_version integer`,
  `alter table plans add column outputs jsonb`,
  `alter table plans add column windows jsonb`,
  `create unique index plans_site_version on plans (site_id, plan_version) where plan_version is not null`,
  `create table dispatch_settings (
    key text primary key,
    value jsonb not null,
    updated_at timestamptz not null default now()
  )`,
  `create table site_dispatch (
    site_id text primary key references sites (site_id) on delete cascade,
    dispatch_mode text check (dispatch_mode in ('auto', 'review')),
    status text not null default 'idle'
      check (status in ('idle', 'dispatching', 'awaiting_approval', 'standing_aside', 'paused_manual_change', 'needs_reauth')),
    reason text,
    expected_profile text,
    suspect_reads integer not null default 0,
    throttled_until timestamptz,
    paused_at timestamptz,
    updated_at timestamptz not null default now()
  )`,
  `create table approvals (
    approval_id integer generated always as identity primary key,
    scope text not null check (scope in ('site', 'fleet')),
    site_id text not null references sites (site_id) on delete cascade,
    plan_id uuid references plans (plan_id) on delete set null,
    plan_version integer not null,
    approved_by text not null,
    approved_at timestamptz not null default now(),
    note text
  )`,
  `create index approvals_site_version on approvals (site_id, plan_version)`,
];

const DOWN = [
  'drop table approvals',
  'drop table site_dispatch',
  'drop table dispatch_settings',
  'drop index plans_site_version',
  'alter table plans drop column windows',
  'alter table plans drop column outputs',
  'alter table plans drop column plan_version',
  'drop index commands_external',
  'drop index commands_open',
  ...['scheduled_at', 'next_attempt_at', 'attempts', 'send_at', 'power_kw', 'reason', 'plan_version', 'external_id'].map((c) => `alter table commands drop column ${c}`),
  `alter table commands drop constraint commands_state_check`,
  `update commands set state = 'sent' where state = 'sending'`,
  `update commands set state = 'accepted' where state = 'scheduled'`,
  `update commands set state = 'completed' where state = 'reverted_early'`,
  `update commands set state = 'cancelled' where state in ('awaiting_approval', 'rejected', 'overridden', 'lost')`,
  `alter table commands add constraint commands_state_check check (state in (${list(OLD_STATES)}))`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of DOWN) await sql.raw(statement).execute(db);
}
