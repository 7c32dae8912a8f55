/**
 * Control commands with a state machine: planned → sent → accepted → active → completed, and from any non-final
 * state to expired | superseded | failed | cancelled. The idempotency key is unique and written before the send.
 * `transitionCommand` changes state with a conditional UPDATE (current state must allow it), so two processes
 * cannot both move the same command.
 */
import { sql } from 'kysely';
import type { Executor } from './database.js';
import { jsonOrNull } from './database.js';
import { IllegalCommandTransition, NotFound } from './errors.js';
import { msOrNull, toDate } from './mappers.js';
import type { CommandRow, CommandState } from './schema.js';

export type { CommandState };

const ENDINGS: CommandState[] = ['expired', 'superseded', 'failed', 'cancelled'];

/** Allowed next states per state. */
export const COMMAND_TRANSITIONS: Readonly<Record<CommandState, readonly CommandState[]>> = Object.freeze({
  planned: ['sent', ...ENDINGS],
  sent: ['accepted', ...ENDINGS],
  accepted: ['active', 'completed', ...ENDINGS],
  active: ['completed', ...ENDINGS],
  completed: [],
  expired: [],
  superseded: [],
  failed: [],
  cancelled: [],
});

export function canTransition(from: CommandState, to: CommandState): boolean {
  return COMMAND_TRANSITIONS[from].includes(to);
}

export interface NewCommand {
  siteId: string;
  planId?: string | null;
  idempotencyKey: string;
  channel: string;
  mode: string;
  targetReservePercent?: number | null;
  windowStartMs: number;
  windowEndMs: number;
}

export interface Command {
  commandId: string;
  siteId: string;
  planId: string | null;
  idempotencyKey: string;
  channel: string;
  mode: string;
  targetReservePercent: number | null;
  windowStartMs: number;
  windowEndMs: number;
  state: CommandState;
  plannedAtMs: number;
  sentAtMs: number | null;
  acceptedAtMs: number | null;
  activeAtMs: number | null;
  finishedAtMs: number | null;
  stateChangedAtMs: number;
  channelResponse: unknown;
  error: string | null;
}

export function commandFromRow(r: CommandRow): Command {
  return {
    commandId: r.command_id,
    siteId: r.site_id,
    planId: r.plan_id,
    idempotencyKey: r.idempotency_key,
    channel: r.channel,
    mode: r.mode,
    targetReservePercent: r.target_reserve_percent,
    windowStartMs: r.window_start.getTime(),
    windowEndMs: r.window_end.getTime(),
    state: r.state,
    plannedAtMs: r.planned_at.getTime(),
    sentAtMs: msOrNull(r.sent_at),
    acceptedAtMs: msOrNull(r.accepted_at),
    activeAtMs: msOrNull(r.active_at),
    finishedAtMs: msOrNull(r.finished_at),
    stateChangedAtMs: r.state_changed_at.getTime(),
    channelResponse: r.channel_response ?? null,
    error: r.error,
  };
}

/**
 * Records a planned command. If the idempotency key exists already, returns the existing command with
 * `created: false` (never a second row).
 */
export async function insertCommand(db: Executor, command: NewCommand): Promise<{ command: Command; created: boolean }> {
  const row = await db
    .insertInto('commands')
    .values({
      site_id: command.siteId,
      plan_id: command.planId ?? null,
      idempotency_key: command.idempotencyKey,
      channel: command.channel,
      mode: command.mode,
      target_reserve_percent: command.targetReservePercent ?? null,
      window_start: toDate(command.windowStartMs),
      window_end: toDate(command.windowEndMs),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row) return { command: commandFromRow(row), created: true };
  const existing = await getCommandByKey(db, command.idempotencyKey);
  if (!existing) throw new NotFound(`command ${command.idempotencyKey}`);
  return { command: existing, created: false };
}

export async function getCommand(db: Executor, commandId: string): Promise<Command | null> {
  const row = await db.selectFrom('commands').selectAll().where('command_id', '=', commandId).executeTakeFirst();
  return row ? commandFromRow(row) : null;
}

export async function getCommandByKey(db: Executor, idempotencyKey: string): Promise<Command | null> {
  const row = await db.selectFrom('commands').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
  return row ? commandFromRow(row) : null;
}

/** A site's commands overlapping [startMs, endMs), optionally in some states, by window start. */
export async function listCommands(
  db: Executor,
  siteId: string,
  filter: { startMs?: number; endMs?: number; states?: readonly CommandState[] } = {},
): Promise<Command[]> {
  let q = db.selectFrom('commands').selectAll().where('site_id', '=', siteId).orderBy('window_start').orderBy('planned_at');
  if (filter.endMs !== undefined) q = q.where('window_start', '<', toDate(filter.endMs));
  if (filter.startMs !== undefined) q = q.where('window_end', '>', toDate(filter.startMs));
  if (filter.states?.length) q = q.where('state', 'in', [...filter.states]);
  return (await q.execute()).map(commandFromRow);
}

const STAMP: Partial<Record<CommandState, 'sent_at' | 'accepted_at' | 'active_at' | 'finished_at'>> = {
  sent: 'sent_at',
  accepted: 'accepted_at',
  active: 'active_at',
  completed: 'finished_at',
  expired: 'finished_at',
  superseded: 'finished_at',
  failed: 'finished_at',
  cancelled: 'finished_at',
};

/**
 * Moves a command to `to` if its current state allows it (and, with `from`, only if it is in that state);
 * records the time and the channel's response/error. Throws IllegalCommandTransition otherwise, NotFound if absent.
 */
export async function transitionCommand(
  db: Executor,
  commandId: string,
  to: CommandState,
  details: { from?: CommandState; atMs?: number; channelResponse?: unknown; error?: string | null } = {},
): Promise<Command> {
  const allowedFrom = (Object.keys(COMMAND_TRANSITIONS) as CommandState[]).filter((s) => canTransition(s, to) && (!details.from || s === details.from));
  const at = details.atMs !== undefined ? toDate(details.atMs) : (sql<Date>`now()` as unknown as Date);
  const stamp = STAMP[to];
  const set: Record<string, unknown> = { state: to, state_changed_at: at };
  if (stamp) set[stamp] = at;
  if (details.channelResponse !== undefined) set.channel_response = jsonOrNull(details.channelResponse);
  if (details.error !== undefined) set.error = details.error;
  const row = allowedFrom.length
    ? await db
        .updateTable('commands')
        .set(set)
        .where('command_id', '=', commandId)
        .where('state', 'in', allowedFrom)
        .returningAll()
        .executeTakeFirst()
    : undefined;
  if (row) return commandFromRow(row);
  const current = await getCommand(db, commandId);
  if (!current) throw new NotFound(`command ${commandId}`);
  throw new IllegalCommandTransition(commandId, current.state, to);
}
