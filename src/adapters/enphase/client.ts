/**
 * The Enphase Monitoring API v4 client (undici). Every call carries the bearer token and the application's API
 * key (`key`), takes one unit from the account's call budget once a token is in hand (a call that cannot be sent
 * for want of a token costs nothing), and classifies failures:
 *  - 429 → waits until `period_end` from the body (injected sleep) and retries once when that is within
 *    `maxThrottleWaitMs`, else throws EnphaseThrottled; the budget learns the period either way;
 *  - 5xx / network → a few retries with backoff, then EnphaseUnavailable (retryable);
 *  - 401 → one forced token refresh, then EnphaseRequestRejected;
 *  - 422 on battery endpoints → SiteWithoutBattery; other 4xx → EnphaseRequestRejected.
 */
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Clock } from '../../domain/time/clock.js';
import type { TelemetrySource } from '../../domain/ports/telemetry-source.js';
import { ENDPOINTS, fillPath, type EndpointName } from './endpoints.js';
import { EnphaseBadResponse, EnphaseRequestRejected, EnphaseThrottled, EnphaseUnavailable, SiteWithoutBattery } from './errors.js';
import {
  batterySettingsSchema, gridStatusSchema, stormGuardSchema, summarySchema, systemsPageSchema, telemetryResponseSchema, throttleBodySchema,
  type WireBatterySettings, type WireGridStatus, type WireStormGuard, type WireSummary, type WireSystem, type WireTelemetry,
} from './wire.js';

export interface AccessTokenSource {
  /** A valid access token; `forceRefresh` after the API answered 401 with the current one. */
  accessToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

/** Per-account call accounting (src/app/telemetry/budget.ts). */
export interface CallBudget {
  /** Takes one call (or `calls` at once) or throws BudgetExhausted. */
  reserve(nowMs: number, calls?: number): Promise<void>;
  /** The server said 429 for `period` until `periodEndMs`. */
  throttled(period: string, periodEndMs: number): Promise<void>;
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const MINUTE_MS = 60_000;
/** How close to a minute's end a reservation of several calls is counted in the next minute too (the calls take ~1 s). */
export const RESERVE_GUARD_MS = 5_000;

export interface EnphaseClientOptions {
  baseUrl: string;
  apiKey: string;
  tokens: AccessTokenSource;
  clock: Clock;
  sleep?: Sleep;
  budget?: CallBudget;
  /** Where the API key goes: `query` (`?key=`, as Enphase's v4 docs show) or `header` (`key:`, as the OpenAPI file says). */
  apiKeyIn?: 'query' | 'header';
  /** Longest wait for a 429's period_end before giving up with EnphaseThrottled (default 90 s: a minute quota). */
  maxThrottleWaitMs?: number;
  /** Retries after a 5xx or network error (default 2), with backoff 1 s, 3 s, … */
  maxRetries?: number;
  dispatcher?: Dispatcher;
  /** Observer for every request sent (tests and the conformance check). */
  onRequest?: (info: { method: string; path: string; query: Record<string, string>; status: number }) => void;
}

/** The writable part of battery_settings (monitoring-v4 spec: PUT /api/v4/systems/config/{system_id}/battery_settings). */
export interface BatterySettingsUpdate {
  battery_mode?: 'Savings Mode' | 'Self-consumption' | 'Full Backup';
  reserve_soc?: number;
  energy_independence?: 'enabled' | 'disabled';
}

export type Granularity = 'day' | 'week' | '15mins' | '5mins';

export class EnphaseClient implements TelemetrySource<WireTelemetry> {
  private readonly sleep: Sleep;
  constructor(private readonly opts: EnphaseClientOptions) {
    this.sleep = opts.sleep ?? realSleep;
  }

  /**
   * Takes `calls` units of the budget at once (one round trip instead of one per call) and answers a client that
   * spends them before it asks the budget again (a retry past them reserves as usual). Throws BudgetExhausted when
   * the budget cannot give them all; units left unspent stay counted (never more calls than the limits).
   */
  async withCallsReserved(calls: number): Promise<EnphaseClient> {
    const budget = this.opts.budget;
    if (!budget || calls <= 0) return this;
    const nowMs = this.opts.clock.nowMs();
    await budget.reserve(nowMs, calls);
    // Calls reserved in one minute but sent after it ends count in the next minute on Enphase's side (it counts
    // arrivals), on top of that minute's own reservations: near a minute's end, several calls are counted in the next
    // minute too (without waiting; refused there, they are not sent).
    const msLeft = MINUTE_MS - (nowMs % MINUTE_MS);
    if (calls > 1 && msLeft <= RESERVE_GUARD_MS) await budget.reserve(nowMs + msLeft, calls);
    return new EnphaseClient({ ...this.opts, budget: new PrepaidCalls(budget, calls) });
  }

  /** All systems of the account (pages of 100). */
  async listSystems(): Promise<WireSystem[]> {
    const out: WireSystem[] = [];
    for (let page = 1; page <= 1000; page++) {
      const body = await this.get('listSystems', {}, { page: String(page), size: '100' }, systemsPageSchema);
      out.push(...body.systems);
      const total = body.total ?? out.length;
      if (body.systems.length === 0 || out.length >= total) break;
    }
    return out;
  }

  summary(systemId: number): Promise<WireSummary> {
    return this.get('summary', { system_id: systemId }, {}, summarySchema);
  }

  /** Up to 96 15-minute intervals from `startAtSec`; an empty list past the last reported interval. */
  batteryTelemetry(systemId: number, startAtSec: number, granularity: Granularity = 'day'): Promise<WireTelemetry> {
    return this.battery(() => this.get('batteryTelemetry', { system_id: systemId }, { start_at: String(startAtSec), granularity }, telemetryResponseSchema), systemId);
  }

  consumptionTelemetry(systemId: number, startAtSec: number, granularity: Granularity = 'day'): Promise<WireTelemetry> {
    return this.get('consumptionTelemetry', { system_id: systemId }, { start_at: String(startAtSec), granularity }, telemetryResponseSchema);
  }

  /** 5-minute intervals at granularity=day (up to 288). */
  productionTelemetry(systemId: number, startAtSec: number, granularity: Granularity = 'day'): Promise<WireTelemetry> {
    return this.get('productionTelemetry', { system_id: systemId }, { start_at: String(startAtSec), granularity }, telemetryResponseSchema);
  }

  batterySettings(systemId: number): Promise<WireBatterySettings> {
    return this.battery(() => this.get('batterySettings', { system_id: systemId }, {}, batterySettingsSchema), systemId);
  }

  /** PUT battery_settings (battery_mode, reserve_soc, energy_independence); answers the settings now in force. */
  updateBatterySettings(systemId: number, body: BatterySettingsUpdate): Promise<WireBatterySettings> {
    return this.battery(() => this.get('updateBatterySettings', { system_id: systemId }, {}, batterySettingsSchema, body), systemId);
  }

  stormGuard(systemId: number): Promise<WireStormGuard> {
    return this.battery(() => this.get('stormGuard', { system_id: systemId }, {}, stormGuardSchema), systemId);
  }

  gridStatus(systemId: number): Promise<WireGridStatus> {
    return this.get('gridStatus', { system_id: systemId }, {}, gridStatusSchema);
  }

  private async battery<T>(call: () => Promise<T>, systemId: number): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EnphaseRequestRejected && error.status === 422 && /encharge|batter/i.test(error.message)) throw new SiteWithoutBattery(systemId);
      throw error;
    }
  }

  private async get<S extends z.ZodType>(name: EndpointName, pathParams: Record<string, number>, query: Record<string, string>, schema: S, body?: unknown): Promise<z.infer<S>> {
    const def = ENDPOINTS[name];
    const path = fillPath(def.path, pathParams);
    const json = await this.send(def.method, path, query, body);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new EnphaseBadResponse(def.path, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data;
  }

  private async send(method: string, path: string, query: Record<string, string>, body?: unknown): Promise<unknown> {
    const maxRetries = this.opts.maxRetries ?? 2;
    let failures = 0;
    let throttles = 0;
    let refreshed = false;
    for (;;) {
      // The token first: a call that cannot be sent (no account, re-authorisation needed) must not use the budget.
      const token = await this.opts.tokens.accessToken(refreshed ? { forceRefresh: true } : undefined);
      await this.opts.budget?.reserve(this.opts.clock.nowMs());
      let res: Dispatcher.ResponseData;
      try {
        const headers = this.headers(token);
        if (body !== undefined) headers['content-type'] = 'application/json';
        res = await request(this.url(path, query), {
          method: method as Dispatcher.HttpMethod, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.opts.dispatcher, headersTimeout: 30_000, bodyTimeout: 60_000,
        });
      } catch (error) {
        if (++failures > maxRetries) throw new EnphaseUnavailable(path, (error as Error).message, { cause: error });
        await this.sleep(backoffMs(failures));
        continue;
      }
      const text = await res.body.text();
      this.opts.onRequest?.({ method, path, query, status: res.statusCode });
      if (res.statusCode === 200) return parseJson(text, path);
      if (res.statusCode === 429) {
        const wait = await this.onThrottled(text);
        if (wait === undefined || ++throttles > 1) throw this.throttleError(text);
        await this.sleep(wait);
        continue;
      }
      if (res.statusCode >= 500) {
        if (++failures > maxRetries) throw new EnphaseUnavailable(path, `HTTP ${res.statusCode} after ${failures} attempts`);
        await this.sleep(backoffMs(failures));
        continue;
      }
      if (res.statusCode === 401 && !refreshed) {
        refreshed = true;
        continue;
      }
      throw new EnphaseRequestRejected(res.statusCode, path, errorDetail(text));
    }
  }

  /** Records the throttle with the budget; returns how long to sleep, or undefined when too long to wait. */
  private async onThrottled(text: string): Promise<number | undefined> {
    const body = throttleBodySchema.safeParse(safeJson(text));
    const now = this.opts.clock.nowMs();
    if (!body.success) return undefined;
    const endMs = body.data.period_end * 1000;
    await this.opts.budget?.throttled(body.data.period ?? 'minute', endMs);
    const wait = Math.max(0, endMs - now) + 1000;
    return wait <= (this.opts.maxThrottleWaitMs ?? 90_000) ? wait : undefined;
  }

  private throttleError(text: string): EnphaseThrottled {
    const body = throttleBodySchema.safeParse(safeJson(text));
    if (!body.success) return new EnphaseThrottled('unknown', this.opts.clock.nowMs() + 60_000);
    return new EnphaseThrottled(body.data.period ?? 'minute', body.data.period_end * 1000, body.data.limit);
  }

  private url(path: string, query: Record<string, string>): URL {
    const u = new URL(path, this.opts.baseUrl);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    if ((this.opts.apiKeyIn ?? 'query') === 'query') u.searchParams.set('key', this.opts.apiKey);
    return u;
  }

  private headers(token: string): Record<string, string> {
    const h: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (this.opts.apiKeyIn === 'header') h.key = this.opts.apiKey;
    return h;
  }
}

/** A budget whose first `left` calls are already reserved. */
class PrepaidCalls implements CallBudget {
  constructor(private readonly inner: CallBudget, private left: number) {}
  async reserve(nowMs: number, calls = 1): Promise<void> {
    if (this.left >= calls) {
      this.left -= calls;
      return;
    }
    await this.inner.reserve(nowMs, calls);
  }
  throttled(period: string, periodEndMs: number): Promise<void> {
    return this.inner.throttled(period, periodEndMs);
  }
}

function backoffMs(attempt: number): number {
  return 1000 * (2 * attempt - 1);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EnphaseBadResponse(path, 'body is not JSON');
  }
}

function errorDetail(text: string): string {
  const j = safeJson(text) as Record<string, unknown> | undefined;
  const d = j?.details ?? j?.message;
  return typeof d === 'string' ? d.slice(0, 200) : '';
}
