/**
 * Control commands and their life cycle (docs/dispatch.md):
 *
 *   planned → awaiting_approval → planned (approved) → sending → accepted → scheduled → active →
 *   completed | reverted_early | superseded | cancelled | expired | failed | rejected | overridden | lost
 *
 * The idempotency key is unique and written before the send; `planned → sending` is the claim that lets exactly one
 * process call the channel. `transitionCommand` changes state with a conditional UPDATE (the current state must
 * allow it), so two processes cannot both move the same command.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from './database.js';
import { json, jsonOrNull } from './database.js';
import { IllegalCommandTransition, NotFound } from './errors.js';
import { msOrNull, toDate } from './mappers.js';
import type { CommandRow, CommandState } from './schema.js';

export type { CommandState };

export const FINAL_COMMAND_STATES: readonly CommandState[] = ['completed', 'reverted_early', 'superseded', 'cancelled', 'expired', 'failed', 'rejected', 'overridden', 'lost'];
/** Not final: the dispatcher still owns these. */
export const OPEN_COMMAND_STATES: readonly CommandState[] = ['planned', 'awaiting_approval', 'sending', 'accepted', 'scheduled', 'active'];
/** On the channel (or possibly, for `sending`): what a new plan must supersede rather than simply drop. */
export const ON_CHANNEL_STATES: readonly CommandState[] = ['sending', 'accepted', 'scheduled', 'active'];

const DELIVERED_ENDINGS: CommandState[] = ['completed', 'reverted_early', 'superseded', 'cancelled', 'failed', 'rejected', 'overridden'];

/** Allowed next states per state. */
export const COMMAND_TRANSITIONS: Readonly<Record<CommandState, readonly CommandState[]>> = Object.freeze({
  planned: ['awaiting_approval', 'sending', 'superseded', 'cancelled', 'expired', 'failed'],
  awaiting_approval: ['planned', 'superseded', 'cancelled', 'expired'],
  // sending → planned: the channel definitely did not take it (transient/throttled error): retry later.
  sending: ['planned', 'accepted', 'scheduled', 'active', 'expired', 'lost', ...DELIVERED_ENDINGS],
  accepted: ['scheduled', 'active', ...DELIVERED_ENDINGS],
  scheduled: ['active', ...DELIVERED_ENDINGS],
  active: ['completed', 'reverted_early', 'superseded', 'cancelled', 'failed', 'overridden'],
  completed: [],
  reverted_early: [],
  superseded: [],
  cancelled: [],
  expired: [],
  failed: [],
  rejected: [],
  overridden: [],
  lost: [],
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
  planVersion?: number | null;
  reason?: string | null;
  powerKw?: number | null;
  /** When it should be sent (window start − lead). */
  sendAtMs?: number | null;
  /** Default planned; awaiting_approval in review mode. */
  state?: 'planned' | 'awaiting_approval';
  /**
   * Written already claimed for sending (state `sending`, as `planned → sending` would leave it: sent_at, one attempt,
   * the request): one statement instead of two when the row is sent in the same cycle. Still written before the call.
   */
  sending?: { atMs: number; request: unknown };
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
  externalId: string | null;
  planVersion: number | null;
  reason: string | null;
  powerKw: number | null;
  sendAtMs: number | null;
  attempts: number;
  nextAttemptAtMs: number | null;
  scheduledAtMs: number | null;
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
    externalId: r.external_id,
    planVersion: r.plan_version,
    reason: r.reason,
    powerKw: r.power_kw,
    sendAtMs: msOrNull(r.send_at),
    attempts: r.attempts,
    nextAttemptAtMs: msOrNull(r.next_attempt_at),
    scheduledAtMs: msOrNull(r.scheduled_at),
  };
}

/**
 * Records a planned command. If the idempotency key exists already, returns the existing command with
 * `created: false` (never a second row).
 */
export async function insertCommand(db: Executor, command: NewCommand, also: readonly RawBuilder<unknown>[] = []): Promise<{ command: Command; created: boolean }> {
  // `also`: other data-modifying statements run first in the same statement (CTEs), e.g. the plan row the command
  // belongs to (its foreign key is checked at the end of the statement, when that row exists).
  let creator = db as Executor;
  also.forEach((a, i) => (creator = creator.with(`also${i}`, () => sql`(${a})` as never) as unknown as Executor));
  const row = await creator
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
      plan_version: command.planVersion ?? null,
      reason: command.reason ?? null,
      power_kw: command.powerKw ?? null,
      send_at: command.sendAtMs !== undefined && command.sendAtMs !== null ? toDate(command.sendAtMs) : null,
      state: command.sending ? 'sending' : (command.state ?? 'planned'),
      ...(command.sending ? { sent_at: toDate(command.sending.atMs), state_changed_at: toDate(command.sending.atMs), attempts: 1, channel_response: json({ request: command.sending.request }) } : {}),
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

/** A site's (or, with siteId null, every site's) commands overlapping [startMs, endMs), optionally in some states, by window start. */
export async function listCommands(
  db: Executor,
  siteId: string | null,
  filter: { startMs?: number; endMs?: number; states?: readonly CommandState[]; limit?: number } = {},
): Promise<Command[]> {
  let q = db.selectFrom('commands').selectAll().orderBy('window_start').orderBy('planned_at');
  if (siteId !== null) q = q.where('site_id', '=', siteId);
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  if (filter.endMs !== undefined) q = q.where('window_start', '<', toDate(filter.endMs));
  if (filter.startMs !== undefined) q = q.where('window_end', '>', toDate(filter.startMs));
  if (filter.states?.length) q = q.where('state', 'in', [...filter.states]);
  return (await q.execute()).map(commandFromRow);
}

const STAMP: Partial<Record<CommandState, 'sent_at' | 'accepted_at' | 'scheduled_at' | 'active_at' | 'finished_at'>> = {
  sending: 'sent_at',
  accepted: 'accepted_at',
  scheduled: 'scheduled_at',
  active: 'active_at',
  ...Object.fromEntries(FINAL_COMMAND_STATES.map((s) => [s, 'finished_at' as const])),
};

export interface TransitionDetails {
  from?: CommandState;
  atMs?: number;
  channelResponse?: unknown;
  error?: string | null;
  externalId?: string;
  /** Adds one to attempts (a send was tried). */
  countAttempt?: boolean;
  nextAttemptAtMs?: number | null;
  /**
   * The start the command is sent with when its lead time passed before it could be sent (it starts later than
   * planned): the row keeps the start the channel was really asked for, which the reconciler and the latency
   * calibration measure against.
   */
  windowStartMs?: number;
}

/**
 * Moves a command to `to` if its current state allows it (and, with `from`, only if it is in that state);
 * records the time and the channel's response/error. Throws IllegalCommandTransition otherwise, NotFound if absent.
 */
export async function transitionCommand(
  db: Executor,
  commandId: string,
  to: CommandState,
  details: TransitionDetails = {},
): Promise<Command> {
  const allowedFrom = (Object.keys(COMMAND_TRANSITIONS) as CommandState[]).filter((s) => canTransition(s, to) && (!details.from || s === details.from));
  const at = details.atMs !== undefined ? toDate(details.atMs) : (sql<Date>`now()` as unknown as Date);
  const stamp = STAMP[to];
  const set: Record<string, unknown> = { state: to, state_changed_at: at };
  if (stamp) set[stamp] = at;
  if (details.channelResponse !== undefined) set.channel_response = jsonOrNull(details.channelResponse);
  if (details.error !== undefined) set.error = details.error;
  if (details.externalId !== undefined) set.external_id = details.externalId;
  if (details.countAttempt) set.attempts = sql`attempts + 1`;
  if (details.nextAttemptAtMs !== undefined) set.next_attempt_at = details.nextAttemptAtMs === null ? null : toDate(details.nextAttemptAtMs);
  if (details.windowStartMs !== undefined) set.window_start = toDate(details.windowStartMs);
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

/**
 * A transition from one known state as a statement to run later inside another (the cycle writes the channel's reply
 * to a send with the site's status record: one round trip fewer per send), and the row as that statement leaves it.
 * The update only moves a row still in `details.from`; a row moved meanwhile is left alone.
 */
export function deferredTransition(current: Command, to: CommandState, details: TransitionDetails & { from: CommandState; atMs: number }): { statement: RawBuilder<unknown>; after: Command } {
  const at = toDate(details.atMs);
  const stamp = STAMP[to];
  const sets = [sql`state = ${to}`, sql`state_changed_at = ${at}`];
  const after: Command = { ...current, state: to, stateChangedAtMs: details.atMs };
  if (stamp) {
    sets.push(sql`${sql.ref(stamp)} = ${at}`);
    after[STAMP_FIELD[stamp]] = details.atMs;
  }
  if (details.channelResponse !== undefined) {
    sets.push(sql`channel_response = ${jsonOrNull(details.channelResponse)}::jsonb`);
    after.channelResponse = details.channelResponse === null ? null : JSON.parse(JSON.stringify(details.channelResponse));
  }
  if (details.error !== undefined) {
    sets.push(sql`error = ${details.error}`);
    after.error = details.error;
  }
  if (details.externalId !== undefined) {
    sets.push(sql`external_id = ${details.externalId}`);
    after.externalId = details.externalId;
  }
  const statement = sql`update commands set ${sql.join(sets)} where command_id = ${current.commandId} and state = ${details.from}`;
  return { statement, after };
}

const STAMP_FIELD = { sent_at: 'sentAtMs', accepted_at: 'acceptedAtMs', scheduled_at: 'scheduledAtMs', active_at: 'activeAtMs', finished_at: 'finishedAtMs' } as const;

/** Records what the channel said without changing state (e.g. a status poll that found nothing new, or a failed attempt). */
export async function noteCommand(db: Executor, commandId: string, details: { channelResponse?: unknown; error?: string | null; externalId?: string }): Promise<void> {
  const set: Record<string, unknown> = {};
  if (details.channelResponse !== undefined) set.channel_response = jsonOrNull(details.channelResponse);
  if (details.error !== undefined) set.error = details.error;
  if (details.externalId !== undefined) set.external_id = details.externalId;
  if (Object.keys(set).length) await db.updateTable('commands').set(set).where('command_id', '=', commandId).execute();
}

/** Every site's commands in the given states (e.g. the open ones after a restart). */
export async function listCommandsInStates(db: Executor, states: readonly CommandState[], siteIds?: readonly string[]): Promise<Command[]> {
  let q = db.selectFrom('commands').selectAll().where('state', 'in', [...states]).orderBy('site_id').orderBy('window_start');
  if (siteIds?.length) q = q.where('site_id', 'in', [...siteIds]);
  return (await q.execute()).map(commandFromRow);
}
