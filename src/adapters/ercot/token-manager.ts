/**
 * ERCOT's Azure B2C password (ROPC) flow: an id_token valid one hour that cannot be refreshed. The manager fetches
 * a new one shortly before expiry, exactly once even when many requests wait (single flight). Credentials are
 * kept in memory only and never appear in logs or error messages.
 */
import { request } from 'undici';
import { PermanentError, RetryableError } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import { systemClock } from '../../app/system-clock.js';
import { parseJsonBody, parseWith, tokenResponseSchema } from './wire.js';

export const ERCOT_B2C_CLIENT_ID = 'fec253ea-0d06-4272-a5e6-b478baeecd70';

export interface ErcotCredentials {
  username: string;
  password: string;
  subscriptionKey: string;
}

export interface TokenManagerOptions {
  tokenUrl: string;
  credentials: ErcotCredentials;
  clock?: Clock;
  /** Fetch a new token this long before the old one expires (default 5 min). */
  marginMs?: number;
  timeoutMs?: number;
}

export class ErcotTokenManager {
  private token?: { value: string; renewAtMs: number };
  private inFlight?: Promise<string>;
  private readonly clock: Clock;
  private readonly marginMs: number;
  /** Number of tokens fetched (for tests and run reports). */
  fetches = 0;

  constructor(private readonly options: TokenManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.marginMs = options.marginMs ?? 5 * 60_000;
  }

  /** A valid id_token; fetches one (once for all concurrent callers) when none is valid for at least the margin. */
  async idToken(): Promise<string> {
    if (this.token && this.clock.nowMs() < this.token.renewAtMs) return this.token.value;
    this.inFlight ??= this.fetchToken().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The server refused our token (401): forget it so the next call fetches a new one. */
  invalidate(rejected: string): void {
    if (this.token?.value === rejected) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { username, password } = this.options.credentials;
    const form = new URLSearchParams({
      grant_type: 'password',
      username,
      password,
      response_type: 'id_token',
      scope: `openid ${ERCOT_B2C_CLIENT_ID} offline_access`,
      client_id: ERCOT_B2C_CLIENT_ID,
    });
    const startedMs = this.clock.nowMs();
    let status: number;
    let body: string;
    try {
      const res = await request(this.options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        headersTimeout: this.options.timeoutMs ?? 30_000,
        bodyTimeout: this.options.timeoutMs ?? 30_000,
      });
      status = res.statusCode;
      body = await res.body.text();
    } catch (error) {
      throw new RetryableError(`ERCOT token request failed: ${(error as Error).message}`);
    }
    this.fetches++;
    if (status === 400 || status === 401 || status === 403) {
      throw new PermanentError(`ERCOT token request refused (HTTP ${status}): check ERCOT_API_USERNAME and ERCOT_API_PASSWORD`);
    }
    if (status !== 200) throw new RetryableError(`ERCOT token request failed with HTTP ${status}`);
    const parsed = parseWith(tokenResponseSchema, parseJsonBody(body, 'ERCOT token response'), 'ERCOT token response');
    const value = parsed.id_token ?? parsed.access_token;
    if (!value) throw new PermanentError('ERCOT token response carries no id_token');
    const lifetimeS = Number(parsed.id_token_expires_in ?? parsed.expires_in ?? 3600);
    const lifetimeMs = (Number.isFinite(lifetimeS) && lifetimeS > 0 ? lifetimeS : 3600) * 1000;
    // Renew a margin before expiry (at most a quarter of the lifetime, for short-lived tokens).
    this.token = { value, renewAtMs: startedMs + lifetimeMs - Math.min(this.marginMs, lifetimeMs / 4) };
    return value;
  }
}
