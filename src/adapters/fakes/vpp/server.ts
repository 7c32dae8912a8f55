/**
 * A loopback HTTP server speaking the Enphase VPP (grid services) API paths the enphase-vpp channel uses, with the
 * shapes of specs/enphase/vpp.openapi.json.gz: client-credentials tokens, x-api-key, create / read / list /
 * cancel events (v2), and a site's battery and Storm Guard settings (v1). Each site's battery is the device
 * simulator (fake-battery.ts): it charges and discharges as simulated time advances (`advanceTo`).
 *
 * Switches for tests and demos: `loseNext` (the request is processed but the reply never arrives: the connection
 * is destroyed, or held open), `failNext` (4xx / 429 with Retry-After / 5xx), `optOut` / `optOutNext` (the homeowner
 * declines an event, now or when it starts), `setStormGuard` (Storm Guard turns on, mid-command or not), `systemDelete` (the system deletes an event
 * because another overlapped it; also automatic when `superseded` says so), `failDelivery` (the gateway never
 * acknowledged), `revokeTokens` (401 until a new token is requested). Every request is logged with its body, and
 * `createdEvents` counts what was really booked (tests assert a command is never sent twice).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { FixedClock, type Clock } from '../../../domain/time/clock.js';
import { systemClock } from '../../../app/system-clock.js';
import { BadRequest, VppEventBook, type FakeVppEvent, type FakeVppSiteSpec } from './events.js';
import { closeServer, listenLoopback } from '../loopback.js';

export interface FakeVppOptions {
  host?: string;
  port?: number;
  clock?: Clock;
  programId?: string;
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  sites?: FakeVppSiteSpec[];
}

export interface FakeVppRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
  atMs: number;
}

type Lost = { how: 'destroy' | 'hang'; match: (method: string, path: string) => boolean };
type Failure = { status: number; retryAfterSec?: number; match: (method: string, path: string) => boolean };

export const isCreate = (method: string, path: string): boolean => method === 'POST' && path === '/api/v2/events';

export class FakeVpp {
  readonly book: VppEventBook;
  readonly requests: FakeVppRequest[] = [];
  readonly programId: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly tokens = new Set<string>();
  private readonly lost: Lost[] = [];
  private readonly failures: Failure[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server?: Server;
  url = '';

  constructor(readonly opts: FakeVppOptions = {}) {
    this.programId = opts.programId ?? 'fake-program';
    this.apiKey = opts.apiKey ?? 'fake-vpp-api-key';
    this.clientId = opts.clientId ?? 'fake-vpp-client';
    this.clientSecret = opts.clientSecret ?? 'fake-vpp-secret';
    this.book = new VppEventBook(this.programId, opts.sites ?? [{ siteId: 1001 }], this.clock);
  }

  get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, { code: '500', displayMessage: 'Internal Server Error', additionalInfo: String(error) }));
    });
    this.url = await listenLoopback(this.server, this.opts.port, this.opts.host);
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const res of this.hanging) res.destroy();
    await closeServer(this.server);
  }

  // ---- simulated time and switches ----------------------------------------------------------------------------
  /** Moves simulated time (a FixedClock is set) and runs every site's battery up to it. */
  advanceTo(ms: number): void {
    if (this.clock instanceof FixedClock) this.clock.set(ms);
    for (const id of this.book.batteries.keys()) this.book.battery(id);
  }
  /** The next `count` matching requests are processed but their reply is lost (default: event creates). */
  loseNext(count = 1, how: Lost['how'] = 'destroy', match: Lost['match'] = isCreate): void {
    for (let i = 0; i < count; i++) this.lost.push({ how, match });
  }
  /** Disarms `loseNext` and `failNext` switches no request has used yet. */
  clearFaults(): void {
    this.lost.length = 0;
    this.failures.length = 0;
  }
  /** The next `count` matching API requests fail with `status` (429 carries Retry-After) without being processed. */
  failNext(count: number, status: number, options: { retryAfterSec?: number; match?: Failure['match'] } = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, retryAfterSec: options.retryAfterSec, match: options.match ?? (() => true) });
  }
  optOut(eventId: string): void {
    this.book.finish(this.event(eventId), 'optedout', 'homeowner opted out', this.clock.nowMs());
  }
  systemDelete(eventId: string): void {
    this.book.finish(this.event(eventId), 'deleted', 'cancelled by the system due to a completely overlapping event', this.clock.nowMs());
  }
  failDelivery(eventId: string): void {
    this.book.finish(this.event(eventId), 'failed', 'command not acknowledged by the gateway', this.clock.nowMs());
  }
  /** Storm Guard on/off from `atMs` (default now; later = mid-command): while on, the battery ignores events and charges toward full. */
  setStormGuard(siteId: number, active: boolean, atMs = this.clock.nowMs()): void {
    this.book.battery(siteId).setStormGuard(active, atMs);
  }
  /** The next `count` events created are opted out by the homeowner when they start. */
  optOutNext(count = 1): void {
    this.book.optOutQueue += count;
  }
  revokeTokens(): void {
    this.tokens.clear();
  }
  event(eventId: string): FakeVppEvent {
    const ev = this.book.events.get(eventId);
    if (!ev) throw new Error(`no fake VPP event ${eventId}`);
    return ev;
  }
  /** Events really booked (whatever happened to the replies), optionally for one site. */
  createdEvents(siteId?: number): FakeVppEvent[] {
    return [...this.book.events.values()].filter((e) => siteId === undefined || e.siteId === siteId);
  }
  apiRequests(): FakeVppRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/api/'));
  }

  // ---- HTTP ------------------------------------------------------------------------------------------------------
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const entry: FakeVppRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, status: 0, atMs: this.clock.nowMs() };
    this.requests.push(entry);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, json, headers);
    };
    if (url.pathname === '/auth/oauth2/token' && method === 'POST') return reply(...this.token(req, url));
    if (!url.pathname.startsWith('/api/')) return reply(404, apiError(404, 'Requested resource Not Found'));
    if (req.headers['x-api-key'] !== this.apiKey) return reply(403, apiError(403, 'x-api-key is not provided or invalid'));
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    if (!this.tokens.has(bearer)) return reply(401, apiError(401, 'Authorization is not provided or invalid'));
    const fi = this.failures.findIndex((f) => f.match(method, url.pathname));
    if (fi >= 0) {
      const [f] = this.failures.splice(fi, 1);
      return reply(f.status, apiError(f.status, f.status === 429 ? 'Too Many Requests' : `Simulated HTTP ${f.status}`), f.retryAfterSec !== undefined ? { 'retry-after': String(f.retryAfterSec) } : {});
    }
    const [status, json] = this.route(method, url.pathname, url.searchParams, body);
    const li = this.lost.findIndex((l) => l.match(method, url.pathname));
    if (li >= 0) {
      const [l] = this.lost.splice(li, 1);
      entry.status = -status; // processed, reply lost
      if (l.how === 'destroy') res.destroy();
      else this.hanging.add(res);
      return;
    }
    return reply(status, json);
  }

  private token(req: IncomingMessage, url: URL): [number, unknown] {
    const basic = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    if (url.searchParams.get('grant_type') !== 'client_credentials') return [401, apiError(401, 'grant_type is not provided or invalid')];
    if (req.headers.authorization !== basic) return [401, apiError(401, 'Authorization is not provided or invalid')];
    const token = randomBytes(16).toString('hex');
    this.tokens.add(token);
    return [200, { access_token: token, expires_in: 3600, token_type: 'Bearer' }];
  }

  private route(method: string, path: string, q: URLSearchParams, body: unknown): [number, unknown] {
    try {
      if (path === '/api/v2/events' && method === 'POST') {
        if (typeof body !== 'object' || body === null) throw new BadRequest('Content-Type invalid');
        const ev = this.book.create(body as Record<string, unknown>);
        return [200, { message: 'Event created successfully', event_id: ev.eventId, name: eventName(ev), no_of_sites: 1, program_id: this.programId, total_watts: Math.abs(ev.rateWatt) }];
      }
      if (path === '/api/v2/events' && method === 'GET') return [200, this.list(q)];
      let m = /^\/api\/v2\/events\/([^/]+)$/.exec(path);
      if (m) {
        const ev = this.book.events.get(decodeURIComponent(m[1]));
        if (!ev) return [404, apiError(404, 'No events found', `No events found for event_id:${m[1]}`)];
        if (method === 'GET') return [200, this.render(ev)];
        if (method === 'DELETE') {
          this.book.cancel(ev);
          return [200, { message: 'Event cancelled successfully', event_id: ev.eventId, name: eventName(ev), no_of_sites: 1, program_id: this.programId, total_watts: Math.abs(ev.rateWatt) }];
        }
      }
      m = /^\/api\/v1\/systems\/(\d+)\/(battery_settings|storm_guard_settings)$/.exec(path);
      if (m && method === 'GET' && this.book.batteries.has(Number(m[1]))) return [200, this.settings(Number(m[1]), m[2])];
      return [404, apiError(404, 'Requested resource Not Found')];
    } catch (error) {
      if (error instanceof BadRequest) return [400, apiError(400, error.message)];
      throw error;
    }
  }

  private list(q: URLSearchParams): unknown {
    if (q.get('program_id') !== this.programId) throw new BadRequest('Please provide valid Program ID');
    const page = Number(q.get('page_no') ?? 1);
    const size = Number(q.get('page_size') ?? 10);
    if (!(page >= 1) || !(size >= 1 && size <= 100)) throw new BadRequest('Pagination variables are incorrect');
    const from = parseDate(q.get('start_date') ?? new Date(this.clock.nowMs()).toISOString().slice(0, 10), 'start_date');
    const to = q.get('end_date') ? parseDate(q.get('end_date')!, 'end_date') : from + 7 * 86_400_000;
    if (to < from) throw new BadRequest('Invalid date range');
    if (to - from > 30 * 86_400_000) throw new BadRequest('Invalid date range');
    const site = q.get('site_id');
    const status = q.get('event_status');
    const all = [...this.book.events.values()]
      .filter((e) => e.startMs >= from && e.startMs < to + 86_400_000 && (!site || String(e.siteId) === site) && (!status || this.book.status(e) === status))
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
    return { program_id: this.programId, total_count: all.length, eventList: all.slice((page - 1) * size, page * size).map((e) => this.render(e)) };
  }

  private render(ev: FakeVppEvent): unknown {
    this.book.battery(ev.siteId);
    const site: Record<string, unknown> = {
      site_id: String(ev.siteId), event_status: this.book.status(ev), start_time: iso(ev.startMs), end_time: iso(ev.endMs), created_at: iso(ev.createdAtMs),
      functions: ['BATTERY'], duration: ev.durationMin, mode: ev.mode, rate_watt: ev.rateWatt, superseded: ev.superseded,
      command_delivery_status: this.book.deliveryStatus(ev), measuring_reference: 'ASSET',
    };
    if (ev.targetSoc !== undefined) site.target_soc = ev.targetSoc;
    if (ev.failureReason) site.failure_reason = ev.failureReason;
    if (ev.finalStatus === 'stopped' || ev.finalStatus === 'deleted') site.cancelled_at = iso(ev.finalAtMs!);
    if (this.book.status(ev) === 'completed') site.completed_at = iso(ev.endMs);
    return { event_id: ev.eventId, name: eventName(ev), program_id: this.programId, events: [site] };
  }

  private settings(siteId: number, which: string): unknown {
    const b = this.book.battery(siteId);
    const storm = b.stormGuardAt(this.clock.nowMs());
    if (which === 'storm_guard_settings') return { system_id: siteId, storm_guard_status: 'enabled', storm_alert: String(storm) };
    return { system_id: siteId, battery_mode: storm ? 'Full Backup' : 'Self-consumption', reserve_soc: b.spec.minReservePercent, charge_from_grid: 'enabled' };
  }
}

function eventName(ev: FakeVppEvent): string {
  return `Event ${iso(ev.startMs).slice(0, 16).replace(/[-T:]/g, '')}`;
}
function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}
function parseDate(value: string, name: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms)) throw new BadRequest(`Invalid ${name} format`);
  return ms;
}
function apiError(status: number, displayMessage: string, additionalInfo = displayMessage): Record<string, string> {
  return { code: String(status), displayMessage, additionalInfo, errorRefNo: 'fake0000000000' };
}
function send(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
}
async function readBody(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

export async function startFakeVpp(opts: FakeVppOptions = {}): Promise<FakeVpp> {
  return new FakeVpp(opts).start();
}
