/**
 * Apply a decision (I/O). The command row, with its unique idempotency key and the exact request, is written BEFORE
 * the channel is called; `planned → sending` is the claim (a conditional update: one process sends). The response
 * is recorded after. Errors by class: permanent → failed (the site's status says why); auth → back to planned, the
 * site needs re-authorisation (the next decision stands aside); throttled → back to planned until the stated time;
 * transient → retried with backoff, never past the command's last send time; unknown outcome → stays `sending`
 * and is resolved by asking the channel (findSent) — never sent twice.
 */
import type { RawBuilder } from 'kysely';
import type { Decision } from '../../domain/dispatch/decide.js';
import { lifecycleStateFor } from '../../domain/dispatch/lifecycle.js';
import { ChannelError, type ChannelCommandRequest, type ChannelCommandState, type ChannelCommandStatus, type ControlChannel } from '../../domain/ports/control-channel.js';
import { MINUTE_MS } from '../../domain/time/interval.js';
import { type Command, type CommandState, type TransitionDetails } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { IllegalCommandTransition } from '../../store/errors.js';
import { storeSiteCommands, type SiteCommands } from './site-commands.js';

export interface ApplyContext {
  db: Executor;
  channel: ControlChannel;
  siteId: string;
  /** The channel's id for the site. */
  siteRef: string;
  nowMs: number;
  leadMs: number;
  /** In-cycle retries of a transient send error (default 3 attempts). */
  maxAttempts: number;
  /** Injected wait (tests: no-op); backoff 1 s, 2 s, 4 s … */
  sleep: (ms: number) => Promise<void>;
  /** Set when the site must not be called until then (throttled). */
  throttledUntilMs: number | null;
  /** The site's commands as the cycle holds them (one read per cycle); default: straight to the store. */
  commands?: SiteCommands;
  /**
   * When given, the channel's reply to a send is not written at once but added here as a statement, which the cycle
   * runs with the site's status record (one round trip fewer per send). The row stays `sending` in the store until
   * then: a crash in between is a crash after the send, resolved by findSent, never by sending again.
   */
  deferredWrites?: RawBuilder<unknown>[];
}

/** The site's commands for a context: the cycle's snapshot, or the store. */
export function commandsOf(ctx: { db: Executor; siteId?: string; commands?: SiteCommands }, siteId?: string): SiteCommands {
  return ctx.commands ?? storeSiteCommands(ctx.db, siteId ?? ctx.siteId ?? '');
}

export interface ApplyOutcome {
  sent: number;
  /** Channel writes (sends and cancels), for the read-back after writes. */
  writes: number;
  problems: string[];
  authFailed: boolean;
  throttledUntilMs: number | null;
}

export function newOutcome(throttledUntilMs: number | null = null): ApplyOutcome {
  return { sent: 0, writes: 0, problems: [], authFailed: false, throttledUntilMs };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function tryTransition(cmds: SiteCommands, id: string, to: CommandState, details: TransitionDetails): Promise<Command | null> {
  try {
    return await cmds.transition(id, to, details);
  } catch (e) {
    if (e instanceof IllegalCommandTransition) return null;
    throw e;
  }
}

export async function applyDecision(ctx: ApplyContext, decision: Decision, plan: { planId: string; channel: string } | null, out: ApplyOutcome): Promise<void> {
  const cmds = commandsOf(ctx);
  for (const s of decision.stop) await stopCommand(ctx, s.commandId, s.to, s.onChannel, s.reason, out);
  for (const id of decision.release) await tryTransition(cmds, id, 'planned', { from: 'awaiting_approval', atMs: ctx.nowMs });
  const claimed: { command: Command; request: ChannelCommandRequest }[] = [];
  const caps = ctx.channel.capabilities();
  for (const c of decision.create) {
    // A row sent in this same pass is written already claimed (one statement, still before the channel call).
    const startMs = c.state === 'planned' && !out.authFailed && !(ctx.throttledUntilMs !== null && ctx.nowMs < ctx.throttledUntilMs) ? dueStartMs(ctx, caps, { sendAtMs: c.sendAtMs, nextAttemptAtMs: null, windowStartMs: c.startMs, windowEndMs: c.endMs }) : null;
    const request: ChannelCommandRequest | null = typeof startMs === 'number'
      ? { idempotencyKey: c.idempotencyKey, siteRef: ctx.siteRef, mode: c.mode as ChannelCommandRequest['mode'], powerKw: c.powerKw ?? 0, targetReservePercent: c.targetReservePercent ?? 10, startMs, endMs: c.endMs, supersede: true }
      : null;
    // What the cycle has not written yet (its plan row) goes with the first row: one round trip fewer.
    const r = await cmds.insert({
      ...(request ? { sending: { atMs: ctx.nowMs, request } } : {}),
      siteId: ctx.siteId,
      planId: c.planId,
      idempotencyKey: c.idempotencyKey,
      channel: plan?.channel ?? ctx.channel.name,
      mode: c.mode,
      targetReservePercent: c.targetReservePercent,
      windowStartMs: request ? request.startMs : c.startMs, // a row sent late keeps the start it is sent with
      windowEndMs: c.endMs,
      planVersion: c.planVersion,
      reason: c.reason,
      powerKw: c.powerKw,
      sendAtMs: c.sendAtMs,
      state: c.state,
    }, ctx.deferredWrites?.splice(0));
    if (request && r.created) {
      claimed.push({ command: r.command, request });
      inFlight.add(r.command.commandId); // `sending` from its insert: a status refresh beside us leaves it alone
    }
  }
  for (const e of decision.end) await stopCommand(ctx, e.commandId, 'completed', true, e.reason, out);
  try {
    await sendDueCommands(ctx, out, claimed);
  } finally {
    for (const x of claimed) inFlight.delete(x.command.commandId);
  }
}

/** Ends a command: locally for unsent rows; on the channel (cancel) for sent ones. A failed cancel leaves it open. */
async function stopCommand(ctx: ApplyContext, commandId: string, to: CommandState, onChannel: boolean, reason: string, out: ApplyOutcome): Promise<void> {
  const cmds = commandsOf(ctx);
  const c = await cmds.get(commandId);
  if (!c) return;
  if (!onChannel || !c.externalId) {
    if (onChannel && !c.externalId && c.state !== 'planned' && c.state !== 'awaiting_approval') return;
    await tryTransition(cmds, commandId, to, { from: c.state, atMs: ctx.nowMs, error: reason });
    return;
  }
  if (to === 'completed' && !ctx.channel.capabilities().duration && (await replacedOnDevice(ctx, c))) {
    // Its window is over and a later command already took over the device (sent between cycles by the status
    // refresh): a `reset` now would end that successor, not this one.
    await tryTransition(cmds, commandId, to, { from: c.state, atMs: ctx.nowMs, error: `${reason}; already replaced on the device by a later command` });
    return;
  }
  if (ctx.throttledUntilMs !== null && ctx.nowMs < ctx.throttledUntilMs) return;
  try {
    const state = await ctx.channel.cancel(ctx.siteRef, c.externalId);
    out.writes++;
    await tryTransition(cmds, commandId, to, { from: c.state, atMs: ctx.nowMs, channelResponse: state.raw ?? state, error: reason });
  } catch (e) {
    noteError(ctx, out, e, `cancel ${c.mode} ${new Date(c.windowStartMs).toISOString()}`);
    await cmds.note(commandId, { error: `cancel failed: ${errorText(e)}` });
  }
}

/**
 * Channels without a duration (Texture): ends the commands on the channel whose window ends within the lead time, as
 * decide() does in the plan-dispatch cycle, so a window without a successor ends at its end (the `reset` sent one
 * lead before it takes effect at the end) rather than at the next cycle up to 8 minutes later. A window whose
 * successor already holds the device (sent just before, by sendDueCommands) is completed without a `reset`.
 * Run after sendDueCommands. Returns how many windows it ended.
 */
export async function endDueWindows(ctx: ApplyContext, out: ApplyOutcome): Promise<number> {
  if (ctx.channel.capabilities().duration) return 0;
  const cmds = commandsOf(ctx);
  let ended = 0;
  for (const c of await cmds.list({ states: ['accepted', 'scheduled', 'active'] })) {
    if (ctx.nowMs < c.windowEndMs - ctx.leadMs) continue;
    await stopCommand(ctx, c.commandId, 'completed', true, 'window over: the engine ends it (the channel has no duration)', out);
    if ((await cmds.get(c.commandId))?.state === 'completed') ended++;
  }
  return ended;
}

/** On a channel without duration the newest command holds the device: was one sent after `c`? */
async function replacedOnDevice(ctx: ApplyContext, c: Command): Promise<boolean> {
  if (c.sentAtMs === null) return false;
  const later = await commandsOf(ctx).list({ startMs: c.windowStartMs });
  return later.some((o) => o.commandId !== c.commandId && o.externalId !== null && o.sentAtMs !== null && o.sentAtMs > c.sentAtMs!);
}

function noteError(ctx: ApplyContext, out: ApplyOutcome, e: unknown, what: string): void {
  if (e instanceof ChannelError && e.kind === 'auth') out.authFailed = true;
  if (e instanceof ChannelError && e.kind === 'throttled') {
    out.throttledUntilMs = ctx.nowMs + (e.retryAfterMs ?? MINUTE_MS);
    ctx.throttledUntilMs = out.throttledUntilMs;
  }
  out.problems.push(`${what}: ${errorText(e)}`);
}

/** The request a row stands for, as it was (or will be) sent. */
export function requestFor(c: Command, siteRef: string, startMs: number): ChannelCommandRequest {
  const stored = (c.channelResponse as { request?: ChannelCommandRequest } | null)?.request;
  if (stored) return stored;
  return {
    idempotencyKey: c.idempotencyKey,
    siteRef,
    mode: c.mode as ChannelCommandRequest['mode'],
    powerKw: c.powerKw ?? 0,
    targetReservePercent: c.targetReservePercent ?? 10,
    startMs,
    endMs: c.windowEndMs,
    supersede: true,
  };
}

/**
 * The start a row can be sent with now: never earlier than the lead time after the send (a command takes effect at
 * the earliest one lead after it is sent). A scheduled start is on a whole minute (a VPP event's start_time); a
 * channel without one (Texture) takes effect on receipt, so its start is simply now + lead. Later than the row's
 * start when its lead passed before it could be sent (a send time between two runs of the jobs that send, or a
 * retry): the window then starts later, or expires when too little of it is left.
 */
export function sendStartMs(c: Pick<Command, 'windowStartMs'>, nowMs: number, leadMs: number, scheduledStart: boolean): number {
  const earliestMs = scheduledStart ? Math.ceil((nowMs + leadMs) / MINUTE_MS) * MINUTE_MS : nowMs + leadMs;
  return Math.max(c.windowStartMs, earliestMs);
}

/** When a planned row would be sent now: its start on the channel; 'wait' (not yet) or 'expire' (its lead passed). */
function dueStartMs(ctx: ApplyContext, caps: ReturnType<ControlChannel['capabilities']>, c: Pick<Command, 'sendAtMs' | 'nextAttemptAtMs' | 'windowStartMs' | 'windowEndMs'>): number | 'wait' | 'expire' {
  if (c.nextAttemptAtMs !== null && c.nextAttemptAtMs > ctx.nowMs) return 'wait';
  // Without a scheduled start the command acts on receipt: not before its send time (window start − lead).
  if (!caps.scheduledStart && ctx.nowMs < Math.max(c.sendAtMs ?? -Infinity, c.windowStartMs - ctx.leadMs)) return 'wait';
  const startMs = sendStartMs(c, ctx.nowMs, ctx.leadMs, caps.scheduledStart);
  if (c.windowEndMs - startMs < caps.minDurationMs || startMs >= c.windowEndMs) return 'expire';
  return startMs;
}

/**
 * Sends every planned row whose time has come, in start order, and the rows `claimed` when they were written (already
 * `sending`, with their request); a claimed row the pass cannot send (throttled, auth failed) goes back to planned.
 */
export async function sendDueCommands(ctx: ApplyContext, out: ApplyOutcome, claimed: readonly { command: Command; request: ChannelCommandRequest }[] = []): Promise<void> {
  const caps = ctx.channel.capabilities();
  const cmds = commandsOf(ctx);
  const rows: { c: Command; request: ChannelCommandRequest | null }[] = (await cmds.list({ states: ['planned'] })).map((c) => ({ c, request: null }));
  if (claimed.length) {
    rows.push(...claimed.map((x) => ({ c: x.command, request: x.request })));
    rows.sort((a, b) => a.c.windowStartMs - b.c.windowStartMs || a.c.plannedAtMs - b.c.plannedAtMs);
  }
  let stopped = false;
  for (const { c, request } of rows) {
    if (!stopped && ((ctx.throttledUntilMs !== null && ctx.nowMs < ctx.throttledUntilMs) || out.authFailed)) stopped = true;
    if (stopped) {
      if (request) await tryTransition(cmds, c.commandId, 'planned', { from: 'sending', atMs: ctx.nowMs, error: out.authFailed ? 'not sent: the channel refused our credentials' : 'not sent: the channel is throttled', nextAttemptAtMs: out.authFailed ? null : ctx.throttledUntilMs });
      continue;
    }
    if (request) {
      await sendClaimed(ctx, c, request, out);
      continue;
    }
    const startMs = dueStartMs(ctx, caps, c);
    if (startMs === 'wait') continue;
    if (startMs === 'expire') {
      await tryTransition(cmds, c.commandId, 'expired', { from: 'planned', atMs: ctx.nowMs, error: 'its lead time passed before it could be sent' });
      continue;
    }
    await sendOne(ctx, c, { ...requestFor(c, ctx.siteRef, startMs), startMs }, out);
  }
}

/**
 * Rows this process is sending right now. A `sending` row's age is measured on the cycle's clock (its start), so a
 * long cycle's call can look older than the grace to a status refresh running beside it in the same daemon (the
 * scheduler runs jobs side by side; the Texture webhook resolves too): such a row is never resolved, let alone
 * re-sent, while its call is in flight here.
 */
const inFlight = new Set<string>();

export function sendInFlight(commandId: string): boolean {
  return inFlight.has(commandId);
}

/** Runs `fn` with the row marked in flight in this process (a status refresh beside it leaves the row alone). */
async function whileInFlight(commandId: string, fn: () => Promise<void>): Promise<void> {
  inFlight.add(commandId);
  try {
    await fn();
  } finally {
    inFlight.delete(commandId);
  }
}

/** Claims a planned row (planned → sending, recording the start it is sent with) and calls the channel. */
function sendOne(ctx: ApplyContext, c: Command, request: ChannelCommandRequest, out: ApplyOutcome): Promise<void> {
  return whileInFlight(c.commandId, async () => {
    // A row sent late records the later start it is sent with (the start it stood for never happened).
    const windowStartMs = request.startMs !== c.windowStartMs ? request.startMs : undefined;
    const claimed = await tryTransition(commandsOf(ctx), c.commandId, 'sending', { from: 'planned', atMs: ctx.nowMs, channelResponse: { request }, countAttempt: true, windowStartMs });
    if (claimed) await callChannel(ctx, c, request, out);
  });
}

/** Calls the channel for a row this process holds in `sending`, with in-cycle retries of transient errors. */
function sendClaimed(ctx: ApplyContext, c: Command, request: ChannelCommandRequest, out: ApplyOutcome): Promise<void> {
  return whileInFlight(c.commandId, () => callChannel(ctx, c, request, out));
}

async function callChannel(ctx: ApplyContext, c: Command, request: ChannelCommandRequest, out: ApplyOutcome): Promise<void> {
  await debugPause('before-send');
  for (let attempt = 1; ; attempt++) {
    try {
      const state = await ctx.channel.send(request);
      out.sent++;
      out.writes++;
      await debugPause('after-send');
      await recordSent(ctx, c.commandId, request, state);
      return;
    } catch (e) {
      const retry = await handleSendError(ctx, c, request, e, attempt, out);
      if (!retry) return;
    }
  }
}

/**
 * The crash-safety test's hook (test/app/daemon/crash-safety.suite.ts): with ERCOT_ARB_DEBUG_PAUSE_AT=before-send
 * (the row is `sending`, the channel not called yet) or =after-send (the channel answered, the reply not recorded),
 * the process says so on stderr and waits there for a minute, so that the test's SIGKILL lands exactly in that
 * window. Unset (always, outside that test), it does nothing.
 */
async function debugPause(point: 'before-send' | 'after-send'): Promise<void> {
  if (process.env.ERCOT_ARB_DEBUG_PAUSE_AT !== point) return;
  process.stderr.write(`debug-pause ${point}\n`);
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}

/** The state a fresh send reply puts a `sending` row in. */
export function stateAfterSend(status: ChannelCommandStatus): CommandState {
  return lifecycleStateFor(status, 'sending') ?? 'accepted';
}

/** Records the channel's reply: sending → accepted | scheduled | active … with the channel's id. */
export async function recordSent(ctx: Pick<ApplyContext, 'db' | 'nowMs' | 'commands' | 'deferredWrites'> & { siteId?: string }, commandId: string, request: ChannelCommandRequest, state: ChannelCommandState): Promise<void> {
  const to = stateAfterSend(state.status);
  const details = { from: 'sending' as const, atMs: ctx.nowMs, externalId: state.externalId, channelResponse: { request, reply: state.raw ?? state }, error: to === 'failed' || to === 'rejected' ? (state.detail ?? state.status) : null };
  const cmds = commandsOf(ctx);
  const later = ctx.deferredWrites && cmds.deferTransition ? cmds.deferTransition(commandId, to, details) : null;
  if (later) ctx.deferredWrites!.push(later);
  else await cmds.transition(commandId, to, details);
}

/** true: try again now (after the backoff wait). */
async function handleSendError(ctx: ApplyContext, c: Command, request: ChannelCommandRequest, e: unknown, attempt: number, out: ApplyOutcome): Promise<boolean> {
  const what = `send ${c.mode} ${new Date(request.startMs).toISOString()}`;
  const kind = e instanceof ChannelError ? e.kind : 'unknown-outcome';
  if (kind === 'unknown-outcome') {
    // The channel may have it: resolve by asking, never by sending again.
    await commandsOf(ctx).note(c.commandId, { error: `outcome unknown: ${errorText(e)}` });
    out.problems.push(`${what}: outcome unknown (${errorText(e)}); resolving by lookup`);
    await resolveOne(ctx, { ...c, state: 'sending', channelResponse: { request } }, { allowLost: false });
    return false;
  }
  if (kind === 'transient') {
    const waitMs = 1000 * 2 ** (attempt - 1);
    const lastSendMs = request.startMs - ctx.leadMs;
    if (attempt < ctx.maxAttempts && ctx.nowMs + waitMs <= lastSendMs) {
      await ctx.sleep(waitMs);
      return true;
    }
    await tryTransition(commandsOf(ctx), c.commandId, 'planned', { from: 'sending', atMs: ctx.nowMs, error: `${errorText(e)} (attempt ${attempt})`, nextAttemptAtMs: ctx.nowMs + waitMs });
    out.problems.push(`${what}: ${errorText(e)}; will retry`);
    return false;
  }
  noteError(ctx, out, e, what);
  if (kind === 'throttled' || kind === 'auth') {
    await tryTransition(commandsOf(ctx), c.commandId, 'planned', { from: 'sending', atMs: ctx.nowMs, error: errorText(e), nextAttemptAtMs: kind === 'throttled' ? out.throttledUntilMs : null });
    return false;
  }
  await tryTransition(commandsOf(ctx), c.commandId, 'failed', { from: 'sending', atMs: ctx.nowMs, error: `${kind}: ${errorText(e)}` });
  return false;
}

/**
 * Resolves a row left in `sending` (a crash between the row and the reply, or a lost reply) by asking the channel.
 * Found → its state and id; no trace (only when allowed: not straight after the send) → back to `planned` while it
 * can still be sent in time (the crash came before the call), else lost.
 */
export async function resolveOne(ctx: Pick<ApplyContext, 'db' | 'channel' | 'siteRef' | 'nowMs' | 'commands'> & { siteId?: string }, c: Command, options: { allowLost: boolean }): Promise<'found' | 'resend' | 'lost' | 'unresolved'> {
  const request = requestFor(c, ctx.siteRef, c.windowStartMs);
  let found: ChannelCommandState | null;
  try {
    found = await ctx.channel.findSent(request);
  } catch (e) {
    await commandsOf(ctx, c.siteId).note(c.commandId, { error: `lookup failed: ${errorText(e)}` });
    return 'unresolved';
  }
  if (found) {
    await recordSent({ ...ctx, siteId: c.siteId }, c.commandId, request, found);
    return 'found';
  }
  if (!options.allowLost) return 'unresolved';
  const cmds = commandsOf(ctx, c.siteId);
  if (stillSendable(ctx.channel, c, ctx.nowMs)) {
    // Never reached the channel (a crash between the claim and the call): send it again while its lead time allows
    // (sendDueCommands does, in this job or the next; it expires the row once that time has passed).
    const back = await tryTransition(cmds, c.commandId, 'planned', { from: 'sending', atMs: ctx.nowMs, error: 'the channel has no trace of it; sent again while its lead time allows' });
    if (back) return 'resend';
  }
  await tryTransition(cmds, c.commandId, 'lost', { from: 'sending', atMs: ctx.nowMs, error: 'the channel has no trace of it' });
  return 'lost';
}

/** Could the row still be sent now, as sendDueCommands would send it (its start moved on by the lead if need be)? */
function stillSendable(channel: ControlChannel, c: Command, nowMs: number): boolean {
  const caps = channel.capabilities();
  const leadMs = Math.max(MINUTE_MS, caps.minLeadMs);
  const startMs = sendStartMs(c, nowMs, leadMs, caps.scheduledStart);
  return startMs < c.windowEndMs && c.windowEndMs - startMs >= caps.minDurationMs;
}
