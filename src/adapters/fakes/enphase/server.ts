/**
 * A loopback HTTP server speaking the Enphase OAuth endpoints and the v4 monitoring paths the engine uses, with
 * the response shapes of ../shared/specs/enphase/monitoring-v4.openapi.yaml, backed by simulated sites.
 * battery_settings also answers PUT (battery_mode, reserve_soc), and the simulated battery follows the new reserve
 * (charging from the grid up to it where charge_from_grid is enabled). Faults for tests and demos: late reporting (hidden ranges released later, in any order), dropped intervals,
 * corrupt intervals, 429 with the real body (per-minute and per-month quotas), 5xx, messy mode spellings, and
 * sites without batteries (422).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../../domain/time/clock.js';
import { systemClock } from '../../../app/system-clock.js';
import { DAY_MS, INTERVAL_MS } from '../../../domain/time/interval.js';
import { renderBattery, renderEnergy, renderProduction, type Corruption } from './render.js';
import { FakeOAuth, type FakeOAuthOptions, type TokenGrant } from './oauth-state.js';
import { DEFAULT_SITE, SimulatedSite, type FakeSiteSpec, type SiteTelemetry } from './site.js';
import { BatteryBackedSite } from './battery-backed-site.js';
import type { FakeBattery } from '../control/fake-battery.js';
import { closeServer, listenLoopback } from '../loopback.js';

export interface FakeEnphaseOptions {
  host?: string;
  /** 0 = an ephemeral port. */
  port?: number;
  clock?: Clock;
  apiKey?: string;
  oauth?: Partial<FakeOAuthOptions>;
  sites?: Array<Partial<FakeSiteSpec> & { systemId: number }>;
  /** How far back the simulated history starts (default 14 days before start-up). */
  historyMs?: number;
  perMinuteLimit?: number;
  perMonthLimit?: number;
  /**
   * The clock the per-minute and per-month quotas count by (default `clock`): the wall clock when the telemetry's
   * time is pinned but the callers' budgets count real minutes (the fleet test and bench).
   */
  quotaClock?: Clock;
  /** 'spec' answers modes as the spec's enum; 'messy' cycles through spellings seen in Enphase's own examples. */
  modeSpellings?: 'spec' | 'messy';
  /** Report SoC percent as "97%" strings instead of integers. */
  socAsString?: boolean;
  /**
   * Sites whose telemetry is a control-channel fake's battery (the VPP or Texture fake's device simulator) instead
   * of the built-in self-consumption model: `battery()` returns it advanced to now.
   */
  batteries?: Record<number, () => FakeBattery>;
}

export interface FakeRequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  atMs: number;
  /** The parsed JSON body of a PUT. */
  body?: unknown;
}

interface SiteState {
  sim: SiteTelemetry;
  batteryMode: string;
  reserveSoc: number;
  chargeFromGrid: boolean;
  stormGuardEnabled: boolean;
  stormAlert: boolean;
  gridState: string;
}

const MESSY_MODES: Record<string, string[]> = {
  'Savings Mode': ['Savings Mode', 'savings', 'Savings', 'cost_savings'],
  'Self-consumption': ['Self-consumption', 'Self Consumption', 'self-consumption', 'self_consumption'],
  'Full Backup': ['Full Backup', 'Full backup', 'backup_only', 'full_backup'],
};

export class FakeEnphase {
  readonly oauth: FakeOAuth;
  readonly apiKey: string;
  readonly requests: FakeRequestLog[] = [];
  private readonly sites = new Map<number, SiteState>();
  private readonly hidden: Array<{ systemId?: number; fromMs: number; toMs: number }> = [];
  private readonly dropped = new Set<string>();
  private readonly corrupt = new Map<string, Corruption>();
  private failures: number[] = [];
  private lostReplies = 0;
  private minuteCount = { key: -1, n: 0 };
  /** API calls answered (not 429) per quota minute (key: minutes since the epoch on the quota clock). */
  readonly callsPerMinute = new Map<number, number>();
  private monthCount = { key: '', n: 0 };
  private messyIndex = 0;
  private server?: Server;
  url = '';

  constructor(readonly opts: FakeEnphaseOptions = {}) {
    const clock = this.clock;
    this.apiKey = opts.apiKey ?? 'fake-api-key';
    this.oauth = new FakeOAuth({ clientId: 'fake-client', clientSecret: 'fake-secret', accessTtlSec: 86_400, refreshTtlSec: 30 * 86_400, refreshGraceMs: 0, ...opts.oauth }, clock);
    const start = clock.nowMs() - (opts.historyMs ?? 14 * DAY_MS);
    const specs = opts.sites ?? [{ systemId: 1001 }, { systemId: 1002, hasBattery: false }];
    for (const s of specs) {
      const spec: FakeSiteSpec = { ...DEFAULT_SITE, name: `Fake site ${s.systemId}`, ...s };
      this.sites.set(spec.systemId, {
        sim: opts.batteries?.[spec.systemId] ? new BatteryBackedSite(spec, opts.batteries[spec.systemId]) : new SimulatedSite(spec, start), batteryMode: 'Self-consumption', reserveSoc: spec.reservePercent,
        chargeFromGrid: false, stormGuardEnabled: true, stormAlert: false, gridState: 'On Grid',
      });
    }
  }

  get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, { message: 'Internal Server Error', details: String(error), code: 500 }));
    });
    this.url = await listenLoopback(this.server, this.opts.port, this.opts.host);
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await closeServer(this.server);
  }

  // ---- fault controls -------------------------------------------------------------------------------------
  /** Intervals ending in (fromMs, toMs] are not reported until revealed (late data / outage). */
  hide(fromMs: number, toMs: number, systemId?: number): void {
    this.hidden.push({ systemId, fromMs, toMs });
  }
  /** Reveal hidden data ending in (fromMs, toMs] (a batch upload); without arguments everything. */
  reveal(fromMs = -Infinity, toMs = Infinity): void {
    const keep = [];
    for (const h of this.hidden) {
      if (h.toMs <= fromMs || h.fromMs >= toMs) keep.push(h);
      else {
        if (h.fromMs < fromMs) keep.push({ ...h, toMs: fromMs });
        if (h.toMs > toMs) keep.push({ ...h, fromMs: toMs });
      }
    }
    this.hidden.splice(0, this.hidden.length, ...keep);
  }
  /** This interval is never reported. */
  drop(systemId: number, endMs: number): void {
    this.dropped.add(`${systemId}:${endMs}`);
  }
  corruptInterval(systemId: number, endMs: number, kind: Corruption): void {
    this.corrupt.set(`${systemId}:${endMs}`, kind);
  }
  /** The next `count` API calls fail with `status`. */
  /** The next `count` battery_settings PUTs are applied but their reply is lost (the connection is destroyed). */
  loseNextSettingsReply(count = 1): void {
    this.lostReplies += count;
  }
  failNext(count: number, status = 503): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }
  setSite(systemId: number, patch: Partial<Omit<SiteState, 'sim'>>): void {
    const s = this.siteState(systemId);
    Object.assign(s, patch);
    if (s.sim.spec.hasBattery) s.sim.configure(this.clock.nowMs(), { reservePercent: s.batteryMode === 'Full Backup' ? 100 : s.reserveSoc, chargeFromGrid: s.chargeFromGrid });
  }
  /** battery_settings PUTs received (each counts against a plan's monthly write cap). */
  settingsWrites(systemId?: number): FakeRequestLog[] {
    return this.requests.filter((r) => r.method === 'PUT' && r.status === 200 && (systemId === undefined || r.path === `/api/v4/systems/config/${systemId}/battery_settings`));
  }
  site(systemId: number): SiteTelemetry {
    return this.siteState(systemId).sim;
  }
  apiRequests(): FakeRequestLog[] {
    return this.requests.filter((r) => r.path.startsWith('/api/'));
  }

  // ---- HTTP -------------------------------------------------------------------------------------------------
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const body = await readBody(req);
    const log = (status: number) => this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, status, atMs: this.clock.nowMs(), ...(req.method === 'PUT' && { body: safeParse(body) }) });
    const reply = (status: number, json: unknown) => {
      log(status);
      send(res, status, json);
    };
    if (url.pathname === '/oauth/authorize' && req.method === 'GET') {
      const redirect = url.searchParams.get('redirect_uri');
      const code = this.oauth.issueCode();
      if (!redirect) return reply(200, { code });
      const to = new URL(redirect);
      to.searchParams.set('code', code);
      if (url.searchParams.get('state')) to.searchParams.set('state', url.searchParams.get('state')!);
      log(302);
      res.writeHead(302, { location: to.toString() }).end();
      return;
    }
    if (url.pathname === '/oauth/token' && req.method === 'POST') {
      if (!this.oauth.checkClient(req.headers.authorization)) return reply(401, { error: 'invalid_client' });
      const params = { ...query, ...Object.fromEntries(new URLSearchParams(body)) };
      let grant: TokenGrant;
      if (params.grant_type === 'authorization_code') grant = this.oauth.exchangeCode(params.code);
      else if (params.grant_type === 'refresh_token') grant = this.oauth.refreshGrant(params.refresh_token);
      else grant = { ok: false, status: 400, error: 'unsupported_grant_type' };
      if (!grant.ok) return reply(grant.status, { error: grant.error, error_description: 'The grant is invalid, expired or revoked' });
      return reply(200, { access_token: grant.accessToken, refresh_token: grant.refreshToken, token_type: 'bearer', expires_in: grant.expiresIn, scope: 'read write' });
    }
    if (!url.pathname.startsWith('/api/v4/')) return reply(404, { message: 'Not Found', details: 'No such path', code: 404 });

    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined;
    const key = url.searchParams.get('key') ?? (req.headers.key as string | undefined);
    if (key !== this.apiKey || !this.oauth.validAccess(bearer)) return reply(401, { message: 'Not Authorized', details: 'User is not authorized', code: 401 });
    const throttle = this.countCall();
    if (throttle) return reply(429, throttle);
    const failure = this.failures.shift();
    if (failure) return reply(failure, { message: 'Service Unavailable', details: 'Simulated failure', code: failure });
    const [status, json] = req.method === 'PUT' ? this.putSettings(url.pathname, body) : this.route(req.method ?? 'GET', url.pathname, url.searchParams);
    if (req.method === 'PUT' && this.lostReplies > 0) {
      this.lostReplies--;
      log(-status);
      res.destroy();
      return;
    }
    return reply(status, json);
  }

  private countCall(): Record<string, unknown> | undefined {
    const now = (this.opts.quotaClock ?? this.clock).nowMs();
    const minute = Math.floor(now / 60_000);
    if (this.minuteCount.key !== minute) this.minuteCount = { key: minute, n: 0 };
    const d = new Date(now);
    const month = `${d.getUTCFullYear()}-${d.getUTCMonth()}`;
    if (this.monthCount.key !== month) this.monthCount = { key: month, n: 0 };
    if (this.opts.perMonthLimit !== undefined && this.monthCount.n >= this.opts.perMonthLimit) {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      return throttleBody('month', start, end, this.opts.perMonthLimit);
    }
    if (this.opts.perMinuteLimit !== undefined && this.minuteCount.n >= this.opts.perMinuteLimit) {
      return throttleBody('minute', minute * 60_000, (minute + 1) * 60_000, this.opts.perMinuteLimit);
    }
    this.minuteCount.n += 1;
    this.monthCount.n += 1;
    this.callsPerMinute.set(minute, (this.callsPerMinute.get(minute) ?? 0) + 1);
    return undefined;
  }

  private route(method: string, path: string, q: URLSearchParams): [number, unknown] {
    if (method !== 'GET') return [405, { reason: '405', message: ['Method not allowed'] }];
    if (path === '/api/v4/systems') return [200, this.systemsList(q)];
    let m = /^\/api\/v4\/systems\/(\d+)\/(summary|telemetry\/battery|telemetry\/consumption_meter|telemetry\/production_micro)$/.exec(path);
    if (m) {
      const s = this.sites.get(Number(m[1]));
      if (!s) return notFound(m[1]);
      if (m[2] === 'summary') return [200, this.summary(s)];
      if (m[2] === 'telemetry/battery' && !s.sim.spec.hasBattery) return noBattery();
      return [200, this.telemetry(s, m[2], q)];
    }
    m = /^\/api\/v4\/systems\/config\/(\d+)\/(battery_settings|storm_guard|grid_status)$/.exec(path);
    if (m) {
      const s = this.sites.get(Number(m[1]));
      if (!s) return notFound(m[1]);
      const id = s.sim.spec.systemId;
      if (m[2] === 'grid_status') return [200, { system_id: id, grid_state: s.gridState, last_report_date: Math.floor(this.clock.nowMs() / 1000) }];
      if (!s.sim.spec.hasBattery) return noBattery();
      if (m[2] === 'storm_guard') {
        const alert = s.stormAlert || (s.sim instanceof BatteryBackedSite && s.sim.stormAlertAt(this.clock.nowMs()));
        return [200, { system_id: id, storm_guard_status: s.stormGuardEnabled ? 'enabled' : 'disabled', storm_alert: String(alert) }];
      }
      return [200, this.settingsBody(s)];
    }
    return [404, { message: 'Not Found', details: 'No such path', code: 404 }];
  }

  /** PUT battery_settings: battery_mode (case-sensitive enum) and/or reserve_soc (not below the shutdown level). */
  private putSettings(path: string, text: string): [number, unknown] {
    const m = /^\/api\/v4\/systems\/config\/(\d+)\/battery_settings$/.exec(path);
    if (!m) return [405, { reason: '405', message: ['Method not allowed'] }];
    const s = this.sites.get(Number(m[1]));
    if (!s) return notFound(m[1]);
    if (!s.sim.spec.hasBattery) return noBattery();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return [422, { message: 'Unprocessable Entity', details: 'Body is not JSON', code: 422 }];
    }
    const mode = body.battery_mode;
    if (mode !== undefined && !['Savings Mode', 'Self-consumption', 'Full Backup'].includes(mode as string)) return [422, { message: 'Unprocessable Entity', details: `Invalid battery_mode ${String(mode)}`, code: 422 }];
    const reserve = body.reserve_soc;
    if (reserve !== undefined && (typeof reserve !== 'number' || !Number.isInteger(reserve) || reserve < 10 || reserve > 100)) return [422, { message: 'Unprocessable Entity', details: 'reserve_soc cannot be less than vls', code: 422 }];
    this.setSite(s.sim.spec.systemId, { ...(mode !== undefined && { batteryMode: mode as string }), ...(reserve !== undefined && { reserveSoc: reserve as number }) });
    return [200, this.settingsBody(s)];
  }

  private settingsBody(s: SiteState): Record<string, unknown> {
    return {
      system_id: s.sim.spec.systemId, battery_mode: this.spell(s.batteryMode), reserve_soc: s.reserveSoc, energy_independence: 'enabled',
      charge_from_grid: s.chargeFromGrid ? 'enabled' : 'disabled', battery_shutdown_level: 10,
    };
  }

  private systemsList(q: URLSearchParams): unknown {
    const size = Math.min(100, Math.max(1, Number(q.get('size') ?? 10)));
    const page = Math.max(1, Number(q.get('page') ?? 1));
    const all = [...this.sites.values()];
    const slice = all.slice((page - 1) * size, page * size);
    return {
      total: all.length, current_page: page, size, count: slice.length, items: 'systems',
      systems: slice.map((s) => ({
        system_id: s.sim.spec.systemId, name: s.sim.spec.name, public_name: 'Residential System', timezone: s.sim.spec.timezone ?? 'America/Chicago',
        address: { city: 'Houston', state: 'TX', country: 'US', postal_code: '77002' }, connection_type: 'ethernet',
        energy_lifetime: -1, energy_today: -1, system_size: -1, status: 'normal', last_report_at: Math.floor(this.clock.nowMs() / 1000),
        last_energy_at: Math.floor(this.clock.nowMs() / 1000), operational_at: Math.floor(s.sim.firstIntervalStartMs / 1000),
        attachment_type: 'rack_mount', interconnect_date: null,
      })),
    };
  }

  private summary(s: SiteState): unknown {
    const spec = s.sim.spec;
    const visible = this.visible(s, -Infinity, this.clock.nowMs());
    const lastEnd = visible.length ? visible[visible.length - 1].endMs : s.sim.firstIntervalStartMs;
    const out: Record<string, unknown> = {
      system_id: spec.systemId, current_power: 0, energy_lifetime: 0, energy_today: 0, last_interval_end_at: Math.floor(lastEnd / 1000),
      last_report_at: Math.floor(lastEnd / 1000), modules: 20, operational_at: Math.floor(s.sim.firstIntervalStartMs / 1000),
      size_w: spec.solarPeakW, source: 'meter', status: 'normal', summary_date: new Date(this.clock.nowMs()).toISOString().slice(0, 10),
    };
    if (spec.hasBattery) Object.assign(out, { battery_charge_w: spec.maxChargeW, battery_discharge_w: spec.maxDischargeW, battery_capacity_wh: spec.capacityWh });
    return out;
  }

  private telemetry(s: SiteState, product: string, q: URLSearchParams): unknown {
    const now = this.clock.nowMs();
    const granularity = q.get('granularity') ?? 'day';
    const spanMs = granularity === 'week' ? 7 * DAY_MS : granularity === '15mins' ? INTERVAL_MS : DAY_MS;
    const startMs = q.get('start_at') ? Number(q.get('start_at')) * 1000 : Math.floor(now / DAY_MS) * DAY_MS;
    const endMs = Math.min(now, startMs + spanMs);
    const intervals = this.visible(s, startMs, endMs);
    const id = s.sim.spec.systemId;
    const corruptFor = (endAt: number) => this.corrupt.get(`${id}:${endAt}`);
    const head = { system_id: id, granularity, total_devices: product === 'telemetry/production_micro' ? 20 : 1, start_at: Math.floor(startMs / 1000), end_at: Math.floor(endMs / 1000), items: 'intervals' };
    const meta = { status: 'normal', last_report_at: Math.floor(now / 1000), last_energy_at: Math.floor(now / 1000), operational_at: Math.floor(s.sim.firstIntervalStartMs / 1000) };
    if (product === 'telemetry/battery') {
      const all = this.visible(s, -Infinity, now);
      const last = all[all.length - 1];
      return { ...head, intervals: intervals.map((iv) => renderBattery(iv, corruptFor(iv.endMs), this.opts.socAsString ?? false)), last_reported_aggregate_soc: last ? `${last.socPercent}%` : '0%' };
    }
    if (product === 'telemetry/consumption_meter') return { ...head, intervals: intervals.map((iv) => renderEnergy(iv, iv.consumptionWh, corruptFor(iv.endMs))), meta };
    return { ...head, intervals: intervals.flatMap((iv) => renderProduction(iv, corruptFor(iv.endMs))).filter((p) => p.end_at * 1000 <= endMs), meta };
  }

  private visible(s: SiteState, fromMs: number, toMs: number) {
    const id = s.sim.spec.systemId;
    const from = Number.isFinite(fromMs) ? fromMs : s.sim.firstIntervalStartMs;
    return s.sim.intervals(from, toMs).filter((iv) => !this.dropped.has(`${id}:${iv.endMs}`)
      && !this.hidden.some((h) => (h.systemId === undefined || h.systemId === id) && iv.endMs > h.fromMs && iv.endMs <= h.toMs));
  }

  private spell(mode: string): string {
    if (this.opts.modeSpellings !== 'messy') return mode;
    const variants = MESSY_MODES[mode] ?? [mode];
    return variants[this.messyIndex++ % variants.length];
  }

  private siteState(systemId: number): SiteState {
    const s = this.sites.get(systemId);
    if (!s) throw new Error(`no fake site ${systemId}`);
    return s;
  }
}

function throttleBody(period: string, startMs: number, endMs: number, limit: number): Record<string, unknown> {
  return { message: 'Too Many Requests', details: 'Usage limit exceeded for plan Kilowatt', code: 429, period, period_start: Math.floor(startMs / 1000), period_end: Math.floor(endMs / 1000), limit };
}
function notFound(id: string): [number, unknown] {
  return [404, { message: 'Not Found', details: `System not found for {:id=>"${id}"}`, code: 404 }];
}
function noBattery(): [number, unknown] {
  return [422, { message: 'Unprocessable Entity', details: "System doesn't have encharges", code: 422 }];
}
function send(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}
function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
async function readBody(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

export async function startFakeEnphase(opts: FakeEnphaseOptions = {}): Promise<FakeEnphase> {
  return new FakeEnphase(opts).start();
}
