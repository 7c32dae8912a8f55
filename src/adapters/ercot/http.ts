/**
 * One authenticated call to the ERCOT Public API with the rules every call follows: the shared rate limiter,
 * both credentials, 429 → back off and retry, 5xx / timeouts / network errors → jittered exponential backoff up to
 * a bound, then a RetryableError naming what failed (the next scheduled run resumes). 401 → one new token.
 */
import { request } from 'undici';
import { PermanentError, RetryableError } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import { systemClock } from '../../app/system-clock.js';
import { realSleep, sharedErcotRateLimiter, type Sleep, type TokenBucket } from './rate-limiter.js';
import type { ErcotTokenManager } from './token-manager.js';

export interface RetryPolicy {
  /** Attempts for 5xx / timeouts / network errors, including the first (default 6). */
  maxAttempts: number;
  /** First backoff (default 1 s); doubles each attempt up to maxDelayMs, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** 429 responses tolerated per call before giving up (default 10). */
  maxThrottled: number;
  /** Wait after a 429 without Retry-After (default 60 s: a fresh rate window). */
  throttleDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, maxThrottled: 10, throttleDelayMs: 60_000 };

export interface ErcotHttpOptions {
  baseUrl: string;
  subscriptionKey: string;
  tokens: ErcotTokenManager;
  limiter?: TokenBucket;
  clock?: Clock;
  sleep?: Sleep;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  random?: () => number;
  /** Called for each retry, for logging (never receives credentials). */
  onRetry?: (info: { what: string; attempt: number; reason: string; delayMs: number }) => void;
}

export interface HttpStats {
  requests: number;
  throttled: number;
  retries: number;
}

export class ErcotHttp {
  readonly stats: HttpStats = { requests: 0, throttled: 0, retries: 0 };
  private readonly limiter: TokenBucket;
  private readonly sleep: Sleep;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  readonly clock: Clock;

  constructor(private readonly options: ErcotHttpOptions) {
    this.limiter = options.limiter ?? sharedErcotRateLimiter();
    this.sleep = options.sleep ?? realSleep;
    this.clock = options.clock ?? systemClock;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  /** GET path?query → body text. `what` names the request in errors (product, dates, page). */
  async getText(path: string, query: Record<string, string | number | undefined>, what: string): Promise<string> {
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const res = await this.send(url, 'GET', undefined, what);
    return Buffer.from(res).toString('utf8');
  }

  /** POST path with a JSON body → raw bytes (archive downloads). */
  async postForBytes(path: string, json: unknown, what: string): Promise<Uint8Array> {
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    return this.send(url, 'POST', JSON.stringify(json), what);
  }

  private async send(url: URL, method: 'GET' | 'POST', body: string | undefined, what: string): Promise<Uint8Array> {
    let failures = 0;
    let throttled = 0;
    let reauthenticated = false;
    let lastReason = '';
    for (;;) {
      await this.limiter.acquire();
      let token: string;
      try {
        token = await this.options.tokens.idToken();
      } catch (error) {
        // A token request that failed on the way (a connection reset after a long idle gap, a 5xx, a timeout) gets
        // the same backoff as a report request; refused credentials (PermanentError) end the run at once.
        if (!(error instanceof RetryableError)) throw error;
        lastReason = error.message;
        failures++;
        if (failures >= this.retry.maxAttempts) throw new RetryableError(`ERCOT ${what}: ${lastReason} after ${failures} attempts; giving up for this run (the next run resumes here)`);
        await this.backOff(what, failures, lastReason);
        continue;
      }
      this.stats.requests++;
      let status = 0;
      let bytes: Uint8Array | undefined;
      let retryAfterMs: number | undefined;
      try {
        const res = await request(url, {
          method,
          body,
          headers: {
            authorization: `Bearer ${token}`,
            'ocp-apim-subscription-key': this.options.subscriptionKey,
            accept: 'application/json, application/zip',
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          headersTimeout: this.options.timeoutMs ?? 60_000,
          bodyTimeout: this.options.timeoutMs ?? 60_000,
        });
        status = res.statusCode;
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        bytes = new Uint8Array(await res.body.arrayBuffer());
      } catch (error) {
        lastReason = `${(error as Error).name}: ${(error as Error).message}`;
      }
      if (status >= 200 && status < 300 && bytes) return bytes;
      if (status === 429) {
        this.stats.throttled++;
        if (++throttled > this.retry.maxThrottled) {
          throw new RetryableError(`ERCOT ${what}: still throttled (HTTP 429) after ${throttled} tries; the next run resumes here`);
        }
        const text = bytes ? Buffer.from(bytes).toString('utf8') : '';
        const seconds = /try again in (\d+) seconds?/i.exec(text);
        const waitMs = retryAfterMs ?? (seconds ? Number(seconds[1]) * 1000 : this.retry.throttleDelayMs);
        this.limiter.pause(waitMs); // every caller in the process holds back, not just this one
        this.options.onRetry?.({ what, attempt: throttled, reason: 'HTTP 429', delayMs: waitMs });
        continue;
      }
      if (status === 401 && !reauthenticated) {
        reauthenticated = true;
        this.options.tokens.invalidate(token);
        continue;
      }
      if (status === 401 || status === 403) throw new PermanentError(`ERCOT ${what}: HTTP ${status} (check ERCOT_API_SUBSCRIPTION_KEY and credentials)`);
      if (status >= 400 && status < 500) {
        const text = bytes ? Buffer.from(bytes).toString('utf8').slice(0, 200) : '';
        throw new PermanentError(`ERCOT ${what}: HTTP ${status} ${text}`);
      }
      if (status) lastReason = `HTTP ${status}`;
      failures++;
      if (failures >= this.retry.maxAttempts) {
        throw new RetryableError(`ERCOT ${what}: ${lastReason} after ${failures} attempts; giving up for this run (the next run resumes here)`);
      }
      await this.backOff(what, failures, lastReason);
    }
  }

  /** Jittered exponential backoff before retry number `failures`. */
  private async backOff(what: string, failures: number, reason: string): Promise<void> {
    const capMs = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (failures - 1));
    const delayMs = Math.round(capMs / 2 + (this.random() * capMs) / 2);
    this.stats.retries++;
    this.options.onRetry?.({ what, attempt: failures, reason, delayMs });
    await this.sleep(delayMs);
  }
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}
