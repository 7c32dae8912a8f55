/**
 * A site's commands as one dispatch cycle sees them. The cycle used to read the site's commands from the store eight
 * times (sending, open, refused, opted out, committed, planned, live …); `cachedSiteCommands` holds the rows read once
 * at the start of the cycle (every open command, and every command whose window ends after `coveredFromMs`) and keeps
 * them current with what each write returns, so the cycle's later reads cost no round trip. A read the snapshot cannot
 * answer (a window starting before `coveredFromMs`, a final state without a window bound) goes to the store.
 *
 * Writes always go to the store, with the same conditional updates (a transition only from the states that allow it),
 * so another process moving a command in between is caught exactly as before: the update matches nothing and the
 * row is read again.
 */
import type { RawBuilder } from 'kysely';
import {
  deferredTransition,
  getCommand,
  insertCommand,
  listCommands,
  noteCommand,
  OPEN_COMMAND_STATES,
  transitionCommand,
  type Command,
  type CommandState,
  type NewCommand,
  type TransitionDetails,
} from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';

export interface CommandFilter {
  startMs?: number;
  endMs?: number;
  states?: readonly CommandState[];
}

/** The command operations a dispatch cycle uses, for one site. */
export interface SiteCommands {
  list(filter?: CommandFilter): Promise<Command[]>;
  get(commandId: string): Promise<Command | null>;
  /** `also`: statements to run with the insert (insertCommand). */
  insert(command: NewCommand, also?: readonly RawBuilder<unknown>[]): Promise<{ command: Command; created: boolean }>;
  transition(commandId: string, to: CommandState, details?: TransitionDetails): Promise<Command>;
  note(commandId: string, details: { channelResponse?: unknown; error?: string | null; externalId?: string }): Promise<void>;
  /**
   * The snapshot only: the transition as a statement for the caller to run later (with the site's status record),
   * the snapshot showing its result at once; null when the row is not in the snapshot (then transition now).
   */
  deferTransition?(commandId: string, to: CommandState, details: TransitionDetails & { from: CommandState; atMs: number }): RawBuilder<unknown> | null;
}

/** Straight to the store (every call a round trip): status jobs and callers without a snapshot. */
export function storeSiteCommands(db: Executor, siteId: string): SiteCommands {
  return {
    list: (filter = {}) => listCommands(db, siteId, filter),
    get: (id) => getCommand(db, id),
    insert: (c, also) => insertCommand(db, c, also),
    transition: (id, to, details) => transitionCommand(db, id, to, details),
    note: (id, details) => noteCommand(db, id, details),
  };
}

const OPEN: ReadonlySet<CommandState> = new Set(OPEN_COMMAND_STATES);

/** What the JSON column of a write would read back as (undefined fields dropped). */
function asStored(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}

/**
 * The snapshot: `rows` must be every command of the site that is open or whose window ends after `coveredFromMs`,
 * ordered by window start and planned time (as the store orders them).
 */
export function cachedSiteCommands(db: Executor, siteId: string, rows: readonly Command[], coveredFromMs: number): SiteCommands & { rows(): readonly Command[] } {
  const byId = new Map<string, Command>();
  let order: Command[] = [...rows];
  for (const c of order) byId.set(c.commandId, c);
  const put = (c: Command): void => {
    const old = byId.get(c.commandId);
    byId.set(c.commandId, c);
    if (old) order[order.indexOf(old)] = c;
    else {
      order.push(c);
      // stable: rows planned at the same millisecond keep the order they were written in
      order = order.map((x, i) => [x, i] as const).sort((a, b) => a[0].windowStartMs - b[0].windowStartMs || a[0].plannedAtMs - b[0].plannedAtMs || a[1] - b[1]).map(([x]) => x);
    }
  };
  const answerable = (f: CommandFilter): boolean =>
    f.startMs !== undefined ? f.startMs >= coveredFromMs : f.states !== undefined && f.states.length > 0 && f.states.every((s) => OPEN.has(s));
  return {
    rows: () => order,
    async list(filter = {}) {
      if (!answerable(filter)) return listCommands(db, siteId, filter);
      const states = filter.states?.length ? new Set(filter.states) : null;
      return order.filter((c) => (filter.endMs === undefined || c.windowStartMs < filter.endMs) && (filter.startMs === undefined || c.windowEndMs > filter.startMs) && (!states || states.has(c.state)));
    },
    async get(id) {
      return byId.get(id) ?? getCommand(db, id);
    },
    async insert(command, also) {
      const r = await insertCommand(db, command, also);
      put(r.command);
      return r;
    },
    async transition(id, to, details) {
      try {
        const c = await transitionCommand(db, id, to, details);
        put(c);
        return c;
      } catch (e) {
        // Moved by someone else meanwhile: take the store's row.
        const now = await getCommand(db, id);
        if (now) put(now);
        throw e;
      }
    },
    deferTransition(id, to, details) {
      const c = byId.get(id);
      if (!c || c.state !== details.from) return null;
      const { statement, after } = deferredTransition(c, to, details);
      put(after);
      return statement;
    },
    async note(id, details) {
      await noteCommand(db, id, details);
      const c = byId.get(id);
      if (!c) return;
      const next = { ...c };
      if (details.channelResponse !== undefined) next.channelResponse = asStored(details.channelResponse);
      if (details.error !== undefined) next.error = details.error;
      if (details.externalId !== undefined) next.externalId = details.externalId;
      put(next);
    },
  };
}
