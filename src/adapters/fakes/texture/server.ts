/**
 * A loopback HTTP server speaking Texture's battery command API as docs/control-channels.md models it:
 * POST /v1/commands/battery/set-operating-mode, GET /v1/commands/{id}, GET /v1/commands?deviceId=…&cursor=…,
 * header Texture-Api-Key. A command is `pending` until it takes effect `applyDelayMs` later (1 minute, as Enphase
 * batteries do), then `success` (or `failed`), and a signed webhook (`command.succeeded` / `command.failed`) is
 * POSTed to the configured destination. Each device is a FakeBattery (the device simulator): the newest command
 * replaces the previous one, `reset` hands the battery back to its own self-consumption, and a mode lasts at most 4 h.
 *
 * Switches: `loseNext` (processed, reply lost), `failNext` (4xx / 429 + Retry-After / 5xx), `failNextCommand`
 * (the device refuses), `optOut` (the homeowner overrides a command), `setStormGuard` (commands fail and the battery
 * charges toward full), `systemDelete` (a command dropped because another overlapped it), `holdWebhooks` /
 * `flushWebhooks({ reverse })` (out-of-order delivery) and `redeliver` (a replayed delivery).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { FixedClock, type Clock } from '../../../domain/time/clock.js';
import { systemClock } from '../../../app/system-clock.js';
import { FakeBattery, type FakeBatteryOptions } from '../control/fake-battery.js';
import { closeServer, listenLoopback } from '../loopback.js';

export interface FakeTextureOptions {
  host?: string;
  port?: number;
  clock?: Clock;
  apiKey?: string;
  devices?: Array<FakeBatteryOptions & { deviceId: string }>;
  applyDelayMs?: number;
  pageSize?: number;
  webhook?: { url: string; secret: string };
}

export interface FakeTextureCommand {
  id: string;
  deviceId: string;
  type: 'battery.set-operating-mode';
  input: { operatingMode: string; minimumBatteryReserve?: number; maximumBatteryReserve?: number; enableGridInteraction?: boolean };
  status: 'pending' | 'success' | 'failed';
  error?: string;
  createdAtMs: number;
  updatedAtMs: number;
  applyAtMs: number;
}

export interface FakeDelivery {
  key: string;
  body: string;
  status?: number;
}

const MODES = ['charge', 'discharge', 'idle', 'reset'];
const MAX_MODE_MS = 4 * 3_600_000;
type Match = (method: string, path: string) => boolean;
export const isTextureCreate: Match = (m, p) => m === 'POST' && p === '/v1/commands/battery/set-operating-mode';

export class FakeTexture {
  readonly apiKey: string;
  readonly batteries = new Map<string, FakeBattery>();
  readonly commands: FakeTextureCommand[] = [];
  readonly requests: Array<{ method: string; path: string; query: Record<string, string>; body?: unknown; status: number }> = [];
  readonly deliveries: FakeDelivery[] = [];
  private readonly lost: Array<{ how: 'destroy' | 'hang'; match: Match }> = [];
  private readonly failures: Array<{ status: number; retryAfterSec?: number; match: Match }> = [];
  private readonly commandFailures: string[] = [];
  private readonly held: FakeDelivery[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private holding = false;
  private nextEvent = 0;
  private server?: Server;
  url = '';

  constructor(readonly opts: FakeTextureOptions = {}) {
    this.apiKey = opts.apiKey ?? 'fake-texture-key';
    for (const d of opts.devices ?? [{ deviceId: 'dev-1' }]) this.batteries.set(d.deviceId, new FakeBattery(this.clock.nowMs(), d));
  }

  get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, { error: { message: String(error) } }));
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
  /** Moves simulated time (a FixedClock is set), applies due commands, runs the batteries, sends due webhooks. */
  async advanceTo(ms: number): Promise<void> {
    if (this.clock instanceof FixedClock) this.clock.set(ms);
    this.applyDue(ms);
    for (const b of this.batteries.values()) b.advanceTo(ms);
    await this.flushOutbox();
  }
  loseNext(count = 1, how: 'destroy' | 'hang' = 'destroy', match: Match = isTextureCreate): void {
    for (let i = 0; i < count; i++) this.lost.push({ how, match });
  }
  failNext(count: number, status: number, options: { retryAfterSec?: number; match?: Match } = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, retryAfterSec: options.retryAfterSec, match: options.match ?? (() => true) });
  }
  /** The next command that takes effect fails on the device with this reason. */
  failNextCommand(reason = 'device rejected the command'): void {
    this.commandFailures.push(reason);
  }
  optOut(commandId: string): void {
    this.finish(this.command(commandId), 'failed', 'overridden by the homeowner (opted out)');
  }
  systemDelete(commandId: string): void {
    this.finish(this.command(commandId), 'failed', 'deleted by the system: superseded by an overlapping command');
  }
  /** Storm Guard on/off from `atMs` (default now): commands taking effect meanwhile fail; the battery charges toward full. */
  setStormGuard(deviceId: string, active: boolean, atMs = this.clock.nowMs()): void {
    this.battery(deviceId).setStormGuard(active, atMs);
  }
  holdWebhooks(): void {
    this.holding = true;
  }
  /** Sends held deliveries (newest first with `reverse`: out of order). */
  async flushWebhooks(options: { reverse?: boolean } = {}): Promise<void> {
    this.holding = false;
    const batch = this.held.splice(0);
    if (options.reverse) batch.reverse();
    for (const d of batch) await this.deliver(d);
  }
  /** Sends delivery `index` again, unchanged but freshly dated: a replay. */
  async redeliver(index: number): Promise<number | undefined> {
    const d = { ...this.deliveries[index] };
    await this.deliver(d);
    return d.status;
  }
  command(id: string): FakeTextureCommand {
    const c = this.commands.find((x) => x.id === id);
    if (!c) throw new Error(`no fake Texture command ${id}`);
    return c;
  }
  battery(deviceId: string): FakeBattery {
    const b = this.batteries.get(deviceId);
    if (!b) throw new Error(`no fake Texture device ${deviceId}`);
    b.advanceTo(this.clock.nowMs());
    return b;
  }
  createdCommands(deviceId?: string): FakeTextureCommand[] {
    return this.commands.filter((c) => deviceId === undefined || c.deviceId === deviceId);
  }

  // ---- command life ---------------------------------------------------------------------------------------------
  private applyDue(upToMs: number): void {
    for (const c of this.commands.filter((x) => x.status === 'pending' && x.applyAtMs <= upToMs).sort((a, b) => a.applyAtMs - b.applyAtMs)) {
      const battery = this.batteries.get(c.deviceId)!;
      battery.advanceTo(c.applyAtMs);
      const reason = battery.stormGuardAt(c.applyAtMs) ? 'Storm Guard is active' : this.commandFailures.shift();
      if (reason) {
        this.finish(c, 'failed', reason, c.applyAtMs);
        continue;
      }
      for (const prev of this.commands) if (prev.deviceId === c.deviceId && prev !== c) battery.end(prev.id, c.applyAtMs);
      const m = c.input.operatingMode;
      if (m !== 'reset') {
        const target = m === 'charge' ? c.input.maximumBatteryReserve ?? 100 : c.input.minimumBatteryReserve ?? battery.spec.minReservePercent;
        const powerKw = m === 'charge' ? battery.spec.maxChargeKw : battery.spec.maxDischargeKw;
        battery.add({ id: c.id, mode: m as 'charge' | 'discharge' | 'idle', powerKw, targetReservePercent: target, sentAtMs: c.createdAtMs, startMs: c.applyAtMs, endMs: c.applyAtMs + MAX_MODE_MS, exportAllowed: c.input.enableGridInteraction !== false });
      }
      this.finish(c, 'success', undefined, c.applyAtMs);
    }
  }

  private finish(c: FakeTextureCommand, status: 'success' | 'failed', error: string | undefined, atMs = this.clock.nowMs()): void {
    c.status = status;
    c.error = error;
    c.updatedAtMs = atMs;
    if (status === 'failed') this.batteries.get(c.deviceId)?.end(c.id, atMs);
    const body = JSON.stringify({ key: `evt_${++this.nextEvent}`, type: status === 'success' ? 'command.succeeded' : 'command.failed', createdAt: iso(atMs), data: { command: render(c) } });
    const delivery: FakeDelivery = { key: `evt_${this.nextEvent}`, body };
    this.deliveries.push(delivery);
    this.outbox.push(delivery);
  }

  private readonly outbox: FakeDelivery[] = [];
  private async flushOutbox(): Promise<void> {
    for (const d of this.outbox.splice(0)) {
      if (this.holding) this.held.push(d);
      else await this.deliver(d);
    }
  }

  private async deliver(d: FakeDelivery): Promise<void> {
    const hook = this.opts.webhook;
    if (!hook) return;
    const headers = { 'content-type': 'application/json', 'texture-signature': createHmac('sha256', hook.secret).update(d.body).digest('hex'), 'texture-timestamp': String(Math.floor(this.clock.nowMs() / 1000)) };
    const res = await request(hook.url, { method: 'POST', headers, body: d.body });
    await res.body.text();
    d.status = res.statusCode;
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
    const entry = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, status: 0 };
    this.requests.push(entry);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, json, headers);
    };
    if (req.headers['texture-api-key'] !== this.apiKey) return reply(401, { error: { message: 'Invalid API key' } });
    const fi = this.failures.findIndex((f) => f.match(method, url.pathname));
    if (fi >= 0) {
      const [f] = this.failures.splice(fi, 1);
      return reply(f.status, { error: { message: f.status === 429 ? 'Too many requests' : `Simulated HTTP ${f.status}` } }, f.retryAfterSec !== undefined ? { 'retry-after': String(f.retryAfterSec) } : {});
    }
    this.applyDue(this.clock.nowMs());
    await this.flushOutbox();
    const [status, json] = this.route(method, url, body);
    const li = this.lost.findIndex((l) => l.match(method, url.pathname));
    if (li >= 0) {
      const [l] = this.lost.splice(li, 1);
      entry.status = -status;
      if (l.how === 'destroy') res.destroy();
      else this.hanging.add(res);
      return;
    }
    return reply(status, json);
  }

  private route(method: string, url: URL, body: unknown): [number, unknown] {
    if (isTextureCreate(method, url.pathname)) return this.create(body);
    if (method === 'GET' && url.pathname === '/v1/commands') {
      const deviceId = url.searchParams.get('deviceId');
      const all = this.commands.filter((c) => !deviceId || c.deviceId === deviceId).slice().reverse();
      const size = this.opts.pageSize ?? 50;
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const next = from + size < all.length ? String(from + size) : null;
      return [200, { data: all.slice(from, from + size).map(render), nextCursor: next }];
    }
    const m = /^\/v1\/commands\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && m) {
      const c = this.commands.find((x) => x.id === decodeURIComponent(m[1]));
      return c ? [200, render(c)] : [404, { error: { message: 'Command not found' } }];
    }
    return [404, { error: { message: 'Not found' } }];
  }

  private create(body: unknown): [number, unknown] {
    const b = body as { deviceId?: unknown; input?: Record<string, unknown> } | undefined;
    if (!b || typeof b.deviceId !== 'string' || typeof b.input !== 'object' || b.input === null) return [400, { error: { message: 'deviceId and input are required' } }];
    if (!this.batteries.has(b.deviceId)) return [404, { error: { message: `Device ${b.deviceId} not found` } }];
    const mode = b.input.operatingMode;
    if (typeof mode !== 'string' || !MODES.includes(mode)) return [400, { error: { message: 'input.operatingMode must be charge, discharge, idle or reset' } }];
    const min = b.input.minimumBatteryReserve;
    const max = b.input.maximumBatteryReserve;
    for (const v of [min, max]) if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 100)) return [400, { error: { message: 'reserves must be numbers 0-100' } }];
    if (typeof min === 'number' && typeof max === 'number' && min > max) return [422, { error: { message: 'minimumBatteryReserve exceeds maximumBatteryReserve' } }];
    const now = this.clock.nowMs();
    const c: FakeTextureCommand = {
      id: `cmd_${this.commands.length + 1}`, deviceId: b.deviceId, type: 'battery.set-operating-mode', status: 'pending', createdAtMs: now, updatedAtMs: now,
      applyAtMs: now + (this.opts.applyDelayMs ?? 60_000),
      input: { operatingMode: mode, ...(min !== undefined && { minimumBatteryReserve: min as number }), ...(max !== undefined && { maximumBatteryReserve: max as number }), ...(typeof b.input.enableGridInteraction === 'boolean' && { enableGridInteraction: b.input.enableGridInteraction }) },
    };
    this.commands.push(c);
    return [201, { id: c.id, status: c.status }];
  }
}

function render(c: FakeTextureCommand): Record<string, unknown> {
  return { id: c.id, deviceId: c.deviceId, type: c.type, input: c.input, status: c.status, ...(c.error && { error: c.error }), createdAt: iso(c.createdAtMs), updatedAt: iso(c.updatedAtMs) };
}
function iso(ms: number): string {
  return new Date(ms).toISOString();
}
function send(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
}
async function readBody(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

export async function startFakeTexture(opts: FakeTextureOptions = {}): Promise<FakeTexture> {
  return new FakeTexture(opts).start();
}
