/**
 * The client-side limit for ERCOT's 30 requests/minute, shared by every caller in the process (sharedErcotRateLimiter).
 * Clock and sleep are injected so tests walk through minutes instantly.
 */
import type { Clock } from '../../domain/time/clock.js';
import { systemClock } from '../../app/system-clock.js';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface RateLimiterOptions {
  /** Requests allowed per period (default 30). */
  limit?: number;
  /** Period in ms (default 60 000). */
  periodMs?: number;
  clock?: Clock;
  sleep?: Sleep;
}

/**
 * At most `limit` requests in any window of `periodMs` (a sliding window over the last grants). A classic token
 * bucket refilling 30/min with a burst of 30 could send 60 requests inside one minute and be throttled by ERCOT;
 * this limiter never can. Callers are served in arrival order; one limiter is shared by the whole process.
 */
export class TokenBucket {
  readonly limit: number;
  readonly periodMs: number;
  private readonly grants: number[] = [];
  private blockedUntilMs = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  /** Total ms callers were asked to wait (for reports and tests). */
  waitedMs = 0;

  constructor(options: RateLimiterOptions = {}) {
    this.limit = options.limit ?? 30;
    this.periodMs = options.periodMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Resolves when the caller may send one request. */
  acquire(): Promise<void> {
    const next = this.queue.then(() => this.take());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** After a 429: nobody sends again before `waitMs` has passed. */
  pause(waitMs: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, this.clock.nowMs() + waitMs);
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock.nowMs();
      while (this.grants.length && this.grants[0] <= now - this.periodMs) this.grants.shift();
      let waitMs = this.blockedUntilMs - now;
      if (waitMs <= 0 && this.grants.length < this.limit) {
        this.grants.push(now);
        return;
      }
      if (waitMs <= 0) waitMs = this.grants[0] + this.periodMs - now;
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
    }
  }
}

let shared: TokenBucket | undefined;

/** The process-wide limiter for api.ercot.com (all clients without an explicit limiter use it). */
export function sharedErcotRateLimiter(): TokenBucket {
  shared ??= new TokenBucket();
  return shared;
}
