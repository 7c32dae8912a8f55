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

  /**
   * `calls` units (default 1) from the minute and the month, or BudgetExhausted and nothing counted: ONE statement of
   * two conditional upserts (`on conflict … do update … where calls + n <= limit and not blocked`; the row lock of
   * the update serialises concurrent reservers, in every process, and the where is re-checked on the newest row).
   * The minute goes first and the month only when the minute granted, so a refusal by the minute (the usual one)
   * counts nothing; a refusal by the month after the minute granted leaves those units counted in the minute
   * (never more calls than the limits, at worst a few fewer). One round trip where a transaction took three.
   */
  async reserve(nowMs: number, calls = 1): Promise<void> {
    const now = new Date(nowMs);
    const minuteStart = new Date(minuteStartMs(nowMs));
    const monthStart = new Date(monthStartMs(nowMs));
    const { perMinute, perMonth } = this.limits;
    const r = await sql<{ minute_calls: number | null; month_calls: number | null; month_blocked: Date | null; minute_blocked: Date | null }>`
      with month_row as (
        select calls, blocked_until from enphase_api_usage where account_key = ${this.accountKey} and period = 'month' and period_start = ${monthStart}::timestamptz
      ), month_ok as (
        select not exists (select 1 from month_row where calls + ${calls}::int > ${perMonth}::int or blocked_until > ${now}::timestamptz) and ${calls}::int <= ${perMonth}::int as ok
      ), minute as (
        insert into enphase_api_usage (account_key, period, period_start, calls)
        select ${this.accountKey}, 'minute', ${minuteStart}::timestamptz, ${calls}::int where ${calls}::int <= ${perMinute}::int and (select ok from month_ok)
        on conflict (account_key, period, period_start) do update set calls = enphase_api_usage.calls + ${calls}::int
        where enphase_api_usage.calls + ${calls}::int <= ${perMinute}::int and (enphase_api_usage.blocked_until is null or enphase_api_usage.blocked_until <= ${now}::timestamptz)
        returning calls
      ), month as (
        insert into enphase_api_usage (account_key, period, period_start, calls)
        select ${this.accountKey}, 'month', ${monthStart}::timestamptz, ${calls}::int where exists (select 1 from minute)
        on conflict (account_key, period, period_start) do update set calls = enphase_api_usage.calls + ${calls}::int
        where enphase_api_usage.calls + ${calls}::int <= ${perMonth}::int and (enphase_api_usage.blocked_until is null or enphase_api_usage.blocked_until <= ${now}::timestamptz)
        returning calls
      )
      select (select calls from minute) as minute_calls, (select calls from month) as month_calls,
        (select max(blocked_until) from enphase_api_usage where account_key = ${this.accountKey} and period = 'month' and blocked_until > ${now}::timestamptz) as month_blocked,
        (select max(blocked_until) from enphase_api_usage where account_key = ${this.accountKey} and period = 'minute' and blocked_until > ${now}::timestamptz) as minute_blocked`.execute(this.db);
    const row = r.rows[0]!;
    if (row.month_calls !== null && row.minute_calls !== null) return;
    const blocked = (v: Date | string | null) => (v === null ? null : new Date(v).getTime());
    const monthBlocked = blocked(row.month_blocked);
    if (monthBlocked !== null) throw new BudgetExhausted('month', monthBlocked);
    if (row.minute_calls !== null) throw new BudgetExhausted('month', nextMonthStartMs(nowMs)); // the minute granted, the month refused
    const minuteBlocked = blocked(row.minute_blocked);
    if (minuteBlocked !== null) throw new BudgetExhausted('minute', minuteBlocked);
    // The minute refused: because the month is used up (its check came first), or the minute itself.
    const month = await budgetUsage(this.db, this.accountKey, this.limits, nowMs);
    if (month.monthCalls + calls > perMonth) throw new BudgetExhausted('month', nextMonthStartMs(nowMs));
    throw new BudgetExhausted('minute', minuteStartMs(nowMs) + 60_000);
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

/**
 * A process's share of an account's budget taken in blocks: one statement per block of up to `blockCalls` calls
 * within a UTC minute instead of one per site (the fleet worker's Enphase client; `blockCalls` is a small fraction of
 * the per-minute limit, so a block that does not fit falls back to exactly the calls asked). Calls left in the block
 * when the minute ends are not used: they stay counted, so all processes together never pass the limits, at worst
 * they send `blockCalls` fewer per process and minute. A 429 from the server empties the block.
 */
export class BlockBudget implements CallBudget {
  /** Calls left per minute start: this minute's, and the next one's (near a minute's end calls count in both). */
  private stock = new Map<number, number>();
  constructor(private readonly inner: AccountBudget, readonly blockCalls: number) {}

  async reserve(nowMs: number, calls = 1): Promise<void> {
    const minute = minuteStartMs(nowMs);
    for (const m of this.stock.keys()) if (m < minute - 60_000) this.stock.delete(m);
    const left = this.stock.get(minute) ?? 0;
    if (left >= calls) {
      this.stock.set(minute, left - calls);
      return;
    }
    if (this.blockCalls > calls) {
      try {
        await this.inner.reserve(nowMs, this.blockCalls);
        this.stock.set(minute, (this.stock.get(minute) ?? 0) + this.blockCalls - calls);
        return;
      } catch (error) {
        if (!(error instanceof BudgetExhausted)) throw error;
      }
    }
    await this.inner.reserve(nowMs, calls);
  }

  async throttled(period: string, periodEndMs: number): Promise<void> {
    this.stock.clear();
    await this.inner.throttled(period, periodEndMs);
  }
}

/** The block a fleet worker takes at once: 2 % of the per-minute limit, at most 120 calls (below 2 calls: none). */
export function blockCallsFor(limits: BudgetLimits): number {
  return Math.min(120, Math.floor(limits.perMinute / 50));
}
