/**
 * The per-account Enphase call budget, kept in the database (table enphase_api_usage) so every process and the
 * `telemetry status` command see the same counts. Each API call takes one unit from the current minute and the
 * current month (UTC calendar month); when either is used up, or the server answered 429 with a `period_end`
 * still in the future, `reserve` throws BudgetExhausted without sending anything. `prepaid` takes a piece of work's
 * calls (one site's poll) in one statement instead of one transaction per call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'kysely';
import type { CallBudget } from '../../adapters/enphase/client.js';
import { BudgetExhausted } from '../../adapters/enphase/errors.js';
import type { Executor } from '../../store/database.js';
import { inTransaction } from '../../store/database.js';
import { enphaseDb } from './enphase-tables.js';

export interface BudgetLimits {
  perMinute: number;
  perMonth: number;
}

export interface BudgetUsage {
  minuteCalls: number;
  monthCalls: number;
  limits: BudgetLimits;
  /** Set while the server's 429 (or our own count) blocks calls. */
  blockedUntilMs: number | null;
}

export function minuteStartMs(nowMs: number): number {
  return Math.floor(nowMs / 60_000) * 60_000;
}

export function monthStartMs(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonthStartMs(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Calls taken ahead for one piece of work (AccountBudget.prepaid), good within the minute they were counted in. */
interface Prepaid {
  minuteStartMs: number;
  left: number;
  /** The server answered 429: the rest is not used (and given back). */
  stopped: boolean;
}

export class AccountBudget implements CallBudget {
  /** The prepaid calls of the work running in this async context (several sites may poll at once). */
  private readonly prepaidCalls = new AsyncLocalStorage<Prepaid>();

  constructor(private readonly db: Executor, readonly accountKey: string, readonly limits: BudgetLimits) {}

  /**
   * Takes `calls` units from the month and the minute in one statement (the same all-or-nothing upsert as `reserve`),
   * then runs `fn`, whose `reserve`s draw from them without touching the database while the minute they were counted
   * in lasts; the units left when `fn` ends (or throws, or the minute turned) are given back in one update. When the
   * budget cannot give all `calls` at once (the limit is near, or a 429 block runs), `fn`'s calls reserve one by one
   * exactly as without it. The limits hold across processes as before: every call is counted before it is sent, and
   * a count is only lowered by the units this call itself added and did not use. One site's poll (3 telemetry calls
   * and up to 3 settings reads) costs 3 statements, or 4 with a give-back, instead of 3 per call.
   */
  async prepaid<T>(nowMs: number, calls: number, fn: () => Promise<T>): Promise<T> {
    if (!(await this.take(nowMs, calls, false))) return fn();
    const pool: Prepaid = { minuteStartMs: minuteStartMs(nowMs), left: calls, stopped: false };
    try {
      return await this.prepaidCalls.run(pool, fn);
    } finally {
      const left = pool.left;
      pool.left = 0;
      if (left > 0) await this.giveBack(pool.minuteStartMs, left);
    }
  }

  /** Gives back `calls` units counted in the minute starting `minuteStartMsOf` (and its month). */
  private async giveBack(minuteStartMsOf: number, calls: number): Promise<void> {
    await enphaseDb(this.db).updateTable('enphase_api_usage')
      .set({ calls: sql<number>`greatest(0, calls - ${calls})` as unknown as number })
      .where('account_key', '=', this.accountKey)
      .where((w) => w.or([
        w.and([w('period', '=', 'minute'), w('period_start', '=', new Date(minuteStartMsOf))]),
        w.and([w('period', '=', 'month'), w('period_start', '=', new Date(monthStartMs(minuteStartMsOf)))]),
      ])).execute();
  }

  /**
   * One unit from the month and the minute, or BudgetExhausted and nothing counted: both rows are upserted with
   * calls + 1 in one statement (its row locks serialise concurrent reservers on PostgreSQL) and the transaction is
   * rolled back when either count went past its limit or a 429 block is still running (the month is checked first).
   * Three round trips (begin, upsert, commit) where an insert, select-for-update and update per period took eight.
   * Inside `prepaid`, a unit taken ahead in the same minute is used instead (no database work).
   */
  async reserve(nowMs: number): Promise<void> {
    const pool = this.prepaidCalls.getStore();
    if (pool && !pool.stopped && pool.left > 0 && pool.minuteStartMs === minuteStartMs(nowMs)) {
      pool.left--;
      return;
    }
    await this.take(nowMs, 1, true);
  }

  /** Counts `calls` units in the month and the minute, all or none; false (or BudgetExhausted when `orThrow`) when they do not fit. */
  private async take(nowMs: number, calls: number, orThrow: boolean): Promise<boolean> {
    const monthStart = new Date(monthStartMs(nowMs));
    const minuteStart = new Date(minuteStartMs(nowMs));
    try {
      await inTransaction(this.db, async (trx) => {
        const rows = await enphaseDb(trx).insertInto('enphase_api_usage')
          .values([
            { account_key: this.accountKey, period: 'month', period_start: monthStart, calls },
            { account_key: this.accountKey, period: 'minute', period_start: minuteStart, calls },
          ])
          .onConflict((oc) => oc.columns(['account_key', 'period', 'period_start']).doUpdateSet({ calls: sql<number>`enphase_api_usage.calls + excluded.calls` as unknown as number }))
          .returning(['period', 'calls', 'blocked_until']).execute();
        for (const period of ['month', 'minute'] as const) {
          const row = rows.find((r) => r.period === period);
          if (!row) throw new Error(`enphase_api_usage: no ${period} row after the upsert`);
          const limit = period === 'month' ? this.limits.perMonth : this.limits.perMinute;
          const until = period === 'month' ? nextMonthStartMs(nowMs) : minuteStartMs(nowMs) + 60_000;
          if (row.blocked_until && row.blocked_until.getTime() > nowMs) throw new BudgetExhausted(period, row.blocked_until.getTime());
          if (row.calls > limit) throw new BudgetExhausted(period, until);
        }
      });
      return true;
    } catch (error) {
      if (!orThrow && error instanceof BudgetExhausted) return false;
      throw error;
    }
  }

  async throttled(period: string, periodEndMs: number): Promise<void> {
    // The server refuses: calls taken ahead are not used any more (they are given back when the work ends).
    const pool = this.prepaidCalls.getStore();
    if (pool) pool.stopped = true;
    const p = period === 'month' ? 'month' : 'minute';
    // The period the server means is the one that ends at period_end; its start is one period earlier.
    const start = new Date(p === 'month' ? monthStartMs(periodEndMs - 1) : minuteStartMs(periodEndMs - 1));
    await enphaseDb(this.db).insertInto('enphase_api_usage').values({ account_key: this.accountKey, period: p, period_start: start, calls: 0, blocked_until: new Date(periodEndMs) })
      .onConflict((oc) => oc.columns(['account_key', 'period', 'period_start']).doUpdateSet({ blocked_until: new Date(periodEndMs) })).execute();
  }

  async usage(nowMs: number): Promise<BudgetUsage> {
    return budgetUsage(this.db, this.accountKey, this.limits, nowMs);
  }
}

export async function budgetUsage(db: Executor, accountKey: string, limits: BudgetLimits, nowMs: number): Promise<BudgetUsage> {
  const rows = await enphaseDb(db).selectFrom('enphase_api_usage').select(['period', 'period_start', 'calls', 'blocked_until'])
    .where('account_key', '=', accountKey)
    .where((w) => w.or([
      w.and([w('period', '=', 'minute'), w('period_start', '=', new Date(minuteStartMs(nowMs)))]),
      w.and([w('period', '=', 'month'), w('period_start', '=', new Date(monthStartMs(nowMs)))]),
      w('blocked_until', '>', new Date(nowMs)),
    ])).execute();
  let minuteCalls = 0;
  let monthCalls = 0;
  let blockedUntilMs: number | null = null;
  for (const r of rows) {
    if (r.period === 'minute' && r.period_start.getTime() === minuteStartMs(nowMs)) minuteCalls = r.calls;
    if (r.period === 'month' && r.period_start.getTime() === monthStartMs(nowMs)) monthCalls = r.calls;
    const b = r.blocked_until?.getTime();
    if (b !== undefined && b > nowMs) blockedUntilMs = Math.max(blockedUntilMs ?? 0, b);
  }
  return { minuteCalls, monthCalls, limits, blockedUntilMs };
}
