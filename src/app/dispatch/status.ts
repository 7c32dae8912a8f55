/**
 * Status refresh: rows left in `sending` are resolved by asking the channel (findSent); open commands on the
 * channel are polled (`status`) and moved along the life cycle. Channels without status lookup move by the clock
 * (scheduled → active at the start, → completed at the end).
 */
import { lifecycleStateFor } from '../../domain/dispatch/lifecycle.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import { type Command, type CommandState } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { IllegalCommandTransition } from '../../store/errors.js';
import { commandsOf, resolveOne, sendInFlight } from './apply.js';
import type { SiteCommands } from './site-commands.js';

/**
 * How old a `sending` row must be before a status refresh resolves it (asks the channel, then re-sends or records it
 * lost). Its age is counted from its cycle's start (`nowMs`), and another process (a second daemon, a fleet worker)
 * may still be in the call: a channel request may take 30 s for the headers plus 30 s for the body
 * (`adapters/control/http.ts`), and the planning before it some seconds. So: 60 s + 30 s margin. Only a crash leaves
 * a row `sending` longer, and the refresh runs every 5 minutes, so the wait costs nothing in practice.
 */
export const SENDING_GRACE_MS = 90_000;

export interface RefreshContext {
  db: Executor;
  channel: ControlChannel;
  siteId: string;
  siteRef: string;
  nowMs: number;
  /** A `sending` row younger than this is left alone (its send may still be in flight). */
  sendingGraceMs: number;
  /** The site's commands as the cycle holds them; default: straight to the store. */
  commands?: SiteCommands;
}

export interface RefreshOutcome {
  resolved: number;
  lost: number;
  /** No trace on the channel, still in time: back to `planned`, to be sent again. */
  resent: number;
  moved: number;
  problems: string[];
}

/** Resolves rows left in `sending` (crash or lost reply): found → recorded; no trace → re-sent while in time, else lost. */
export async function resolveSending(ctx: RefreshContext): Promise<RefreshOutcome> {
  const out: RefreshOutcome = { resolved: 0, lost: 0, resent: 0, moved: 0, problems: [] };
  for (const c of await commandsOf(ctx).list({ states: ['sending'] })) {
    const since = c.sentAtMs ?? c.stateChangedAtMs;
    if (ctx.nowMs - since < ctx.sendingGraceMs) continue;
    if (sendInFlight(c.commandId)) continue; // this process is still waiting for the channel's answer
    const r = await resolveOne(ctx, c, { allowLost: true });
    if (r === 'found') out.resolved++;
    else if (r === 'lost') out.lost++;
    else if (r === 'resend') out.resent++;
    else out.problems.push(`command ${c.idempotencyKey}: could not ask the channel yet`);
  }
  return out;
}

/** Polls open commands on the channel and moves them along the life cycle. */
export async function refreshStatuses(ctx: RefreshContext): Promise<RefreshOutcome> {
  const out: RefreshOutcome = { resolved: 0, lost: 0, resent: 0, moved: 0, problems: [] };
  const caps = ctx.channel.capabilities();
  const cmds = commandsOf(ctx);
  for (const c of await cmds.list({ states: ['accepted', 'scheduled', 'active'] })) {
    const to = caps.statusLookup && c.externalId ? await polledState(ctx, c, out) : clockState(c, ctx.nowMs, caps.duration);
    if (to && to !== c.state) {
      try {
        await cmds.transition(c.commandId, to, { from: c.state, atMs: ctx.nowMs });
        out.moved++;
      } catch (e) {
        if (!(e instanceof IllegalCommandTransition)) throw e;
      }
    }
  }
  return out;
}

async function polledState(ctx: RefreshContext, c: Command, out: RefreshOutcome): Promise<CommandState | null> {
  try {
    const s = await ctx.channel.status(ctx.siteRef, c.externalId!);
    const to = lifecycleStateFor(s.status, c.state);
    if (to) await commandsOf(ctx).note(c.commandId, { channelResponse: { request: (c.channelResponse as { request?: unknown } | null)?.request, reply: s.raw ?? s }, error: s.status === 'opted-out' ? 'opted-out: the homeowner opted out' : undefined });
    return to;
  } catch (e) {
    out.problems.push(`status of ${c.idempotencyKey}: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/** Without a duration on the channel a command runs until the engine ends it (decide), so the clock never completes it. */
function clockState(c: Command, nowMs: number, channelEnds: boolean): CommandState | null {
  if (nowMs >= c.windowEndMs && channelEnds) return 'completed';
  if (nowMs >= c.windowStartMs) return 'active';
  return null;
}
