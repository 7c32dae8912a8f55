/**
 * Rate limits shared by every process on one database: fixed-window counters (rate_counters), taken with a conditional
 * upsert, so N processes together never take more than `limit` tokens in a window (Enphase per minute and per month
 * per account, ERCOT 30 per minute per subscription). A refused take says when the window reopens.
 */
import { sql, type Executor } from '../../store/database.js';

export interface RateLimit {
  /** e.g. `enphase:account:<id>:minute`, `ercot:subscription:<id>:minute`. */
  bucket: string;
  windowMs: number;
  limit: number;
}

export type TakeResult = { ok: true; count: number } | { ok: false; retryAtMs: number };

export async function takeToken(db: Executor, limit: RateLimit, nowMs: number): Promise<TakeResult> {
  const windowStartMs = Math.floor(nowMs / limit.windowMs) * limit.windowMs;
  const r = await sql<{ count: number }>`
    insert into rate_counters (bucket, window_start_ms, count) values (${limit.bucket}, ${windowStartMs}, 1)
    on conflict (bucket, window_start_ms) do update set count = rate_counters.count + 1
    where rate_counters.count < ${limit.limit}
    returning count`.execute(db);
  if (r.rows.length === 1 && limit.limit >= 1) return { ok: true, count: Number(r.rows[0]!.count) };
  return { ok: false, retryAtMs: windowStartMs + limit.windowMs };
}

/** Waits (with `sleep`) until a token is granted in every bucket, in order. */
export async function acquireTokens(db: Executor, limits: readonly RateLimit[], now: () => number, sleep: (ms: number) => Promise<void>): Promise<void> {
  for (const limit of limits) {
    for (;;) {
      const t = await takeToken(db, limit, now());
      if (t.ok) break;
      await sleep(Math.max(50, Math.min(t.retryAtMs - now(), 5_000)));
    }
  }
}
