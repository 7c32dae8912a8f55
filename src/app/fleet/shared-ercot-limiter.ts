/**
 * ERCOT's 30 requests per minute per subscription, held across every process on one database: the in-process
 * sliding-window TokenBucket first (callers in arrival order), then a grant in `rate_grants` taken under a
 * transaction-scoped advisory lock on the bucket, so N processes together never send more than `limit` requests in
 * any window of `periodMs` (not only per fixed minute). Pass it as the ERCOT client's `limiter`.
 */
import { createHash } from 'node:crypto';
import { TokenBucket, realSleep, type RateLimiterOptions, type Sleep } from '../../adapters/ercot/rate-limiter.js';
import type { Clock } from '../../domain/time/clock.js';
import { systemClock } from '../system-clock.js';
import { inTransaction, sql, type Executor } from '../../store/database.js';

export type SlidingTake = { ok: true } | { ok: false; retryAtMs: number };

export async function takeSlidingGrant(db: Executor, bucket: string, limit: number, periodMs: number, nowMs: number): Promise<SlidingTake> {
  return inTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${bucket}))`.execute(trx);
    const r = await sql<{ n: number; oldest: string | null }>`select count(*)::int as n, min(granted_at_ms)::text as oldest from rate_grants
      where bucket = ${bucket} and granted_at_ms > ${nowMs - periodMs}`.execute(trx);
    const { n, oldest } = r.rows[0]!;
    if (n >= limit) return { ok: false, retryAtMs: Number(oldest) + periodMs };
    await sql`insert into rate_grants (bucket, granted_at_ms) values (${bucket}, ${nowMs})`.execute(trx);
    return { ok: true };
  });
}

export class SharedErcotRateLimiter extends TokenBucket {
  private readonly db: Executor;
  private readonly bucket: string;
  private readonly sharedClock: Clock;
  private readonly sharedSleep: Sleep;

  constructor(db: Executor, subscription: string, options: RateLimiterOptions = {}) {
    super(options);
    this.db = db;
    this.bucket = `ercot:subscription:${subscription}`;
    this.sharedClock = options.clock ?? systemClock;
    this.sharedSleep = options.sleep ?? realSleep;
  }

  override async acquire(): Promise<void> {
    await super.acquire();
    for (;;) {
      const t = await takeSlidingGrant(this.db, this.bucket, this.limit, this.periodMs, this.sharedClock.nowMs());
      if (t.ok) return;
      const waitMs = Math.max(1, t.retryAtMs - this.sharedClock.nowMs() + 1);
      this.waitedMs += waitMs;
      await this.sharedSleep(waitMs);
    }
  }
}

/**
 * The ERCOT client's limiter: on PostgreSQL (where several processes and machines share one subscription) the shared
 * one, keyed by a hash of the subscription key (the key itself never reaches the database); on the embedded store,
 * one process holds the store, so the client's in-process limiter is enough (undefined).
 */
export function ercotLimiterFor(db: Executor, databaseUrl: string | undefined, subscriptionKey: string, options: RateLimiterOptions = {}): TokenBucket | undefined {
  if (!databaseUrl) return undefined;
  return new SharedErcotRateLimiter(db, createHash('sha256').update(subscriptionKey).digest('hex').slice(0, 16), options);
}
