/**
 * The per-account Enphase call budget, kept in the database (table enphase_api_usage) so every process and the
 * `telemetry status` command see the same counts. Each API call takes one unit from the current minute and the
 * current month (UTC calendar month); when either is used up, or the server answered 429 with a `period_end`
 * still in the future, `reserve` throws BudgetExhausted without sending anything.
 */
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

export class AccountBudget implements CallBudget {
  constructor(private readonly db: Executor, readonly accountKey: string, readonly limits: BudgetLimits) {}

  async reserve(nowMs: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const e = enphaseDb(trx);
      for (const period of ['month', 'minute'] as const) {
        const start = new Date(period === 'month' ? monthStartMs(nowMs) : minuteStartMs(nowMs));
        const limit = period === 'month' ? this.limits.perMonth : this.limits.perMinute;
        const until = period === 'month' ? nextMonthStartMs(nowMs) : minuteStartMs(nowMs) + 60_000;
        await e.insertInto('enphase_api_usage').values({ account_key: this.accountKey, period, period_start: start, calls: 0 })
          .onConflict((oc) => oc.columns(['account_key', 'period', 'period_start']).doNothing()).execute();
        const row = await e.selectFrom('enphase_api_usage').select(['calls', 'blocked_until'])
          .where('account_key', '=', this.accountKey).where('period', '=', period).where('period_start', '=', start).forUpdate().executeTakeFirstOrThrow();
        if (row.blocked_until && row.blocked_until.getTime() > nowMs) throw new BudgetExhausted(period, row.blocked_until.getTime());
        if (row.calls >= limit) throw new BudgetExhausted(period, until);
        await e.updateTable('enphase_api_usage').set({ calls: sql<number>`calls + 1` as unknown as number })
          .where('account_key', '=', this.accountKey).where('period', '=', period).where('period_start', '=', start).execute();
      }
    });
  }

  async throttled(period: string, periodEndMs: number): Promise<void> {
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
