/**
 * Texture webhooks (`command.succeeded`, `command.failed`, and `command.overridden`, which Texture's docs list) for the daemon to mount: either `receiver.handle(rawBody,
 * headers)` (any HTTP framework) or `receiver.nodeHandler` (a plain node:http request handler). A delivery is
 * accepted only when
 *  - `Texture-Signature` is the hex HMAC-SHA256 of the RAW body with the destination secret (constant-time compare);
 *  - `Texture-Timestamp` (unix seconds, unix ms or ISO 8601) is within `toleranceMs` of now (default 5 min);
 *  - its `key` was not seen before (replays and Texture's own retries are acknowledged with 200 but not handed on).
 * The reply is sent at once; the verified event goes to `onEvent` afterwards (never awaited by the reply; a failing
 * callback goes to `onError`). Events may arrive out of order: each carries `outOfOrder: true` when an event about
 * the same command with a later time was already handed on, so the caller can keep the newest state.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../domain/time/clock.js';
import type { ChannelCommandState } from '../../domain/ports/control-channel.js';
import { TEXTURE_WEBHOOK_TYPES, textureWebhookSchema } from './texture-wire.js';
import { stateOf } from './texture.js';

export interface TextureWebhookEvent {
  key: string;
  type: (typeof TEXTURE_WEBHOOK_TYPES)[number];
  commandId: string;
  deviceId?: string;
  /** When the event happened (body createdAt, else the command's updatedAt, else the delivery timestamp). */
  occurredAtMs: number;
  state: ChannelCommandState;
  outOfOrder: boolean;
}

export interface TextureWebhookOptions {
  secret: string;
  clock: Clock;
  onEvent: (event: TextureWebhookEvent) => void | Promise<void>;
  onError?: (error: unknown) => void;
  /** Largest accepted age (or clock skew) of Texture-Timestamp, ms; default 5 minutes. */
  toleranceMs?: number;
  /** How long a seen key is remembered, ms (default 24 h), and at most how many (default 100,000). */
  replayWindowMs?: number;
  maxKeys?: number;
  /** Largest accepted body, bytes (default 256 KiB). */
  maxBodyBytes?: number;
}

export interface WebhookReply {
  status: number;
  body: { ok: boolean; reason?: string; duplicate?: boolean };
}

type Headers = Record<string, string | string[] | undefined>;

export class TextureWebhookReceiver {
  private readonly seen = new Map<string, number>();
  private readonly latestByCommand = new Map<string, number>();

  constructor(private readonly opts: TextureWebhookOptions) {}

  /** Verifies one delivery; hands a new, verified event to onEvent after returning the reply. */
  handle(rawBody: Buffer | string, headers: Headers): WebhookReply {
    const raw = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
    const signature = header(headers, 'texture-signature');
    if (!signature) return reject(401, 'unsigned delivery');
    if (!this.signatureMatches(raw, signature)) return reject(401, 'bad signature');
    const now = this.opts.clock.nowMs();
    const sentMs = parseTimestamp(header(headers, 'texture-timestamp'));
    if (sentMs === undefined) return reject(400, 'missing or unreadable Texture-Timestamp');
    if (Math.abs(now - sentMs) > (this.opts.toleranceMs ?? 300_000)) return reject(400, 'stale delivery');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(400, 'body is not JSON');
    }
    const parsed = textureWebhookSchema.safeParse(json);
    if (!parsed.success) return reject(400, 'body is not a Texture event');
    const ev = parsed.data;
    if (!(TEXTURE_WEBHOOK_TYPES as readonly string[]).includes(ev.type)) return { status: 200, body: { ok: true, reason: `ignored event type ${ev.type}` } };
    this.prune(now);
    if (this.seen.has(ev.key)) return { status: 200, body: { ok: true, duplicate: true } };
    this.seen.set(ev.key, now);
    const command = ev.data.command;
    const occurredAtMs = firstTime(ev.createdAt, command.updatedAt) ?? sentMs;
    const latest = this.latestByCommand.get(command.id);
    const outOfOrder = latest !== undefined && latest > occurredAtMs;
    if (!outOfOrder) this.latestByCommand.set(command.id, occurredAtMs);
    const base = stateOf(command);
    // An overridden command no longer runs, whatever status the command object still shows.
    const state = ev.type === 'command.overridden' ? { ...base, status: 'stopped' as const, detail: `overridden${base.detail ? `; ${base.detail}` : ''}` } : base;
    const event: TextureWebhookEvent = {
      key: ev.key, type: ev.type as TextureWebhookEvent['type'], commandId: command.id, deviceId: command.deviceId, occurredAtMs, state, outOfOrder,
    };
    setImmediate(() => {
      Promise.resolve().then(() => this.opts.onEvent(event)).catch((error: unknown) => this.opts.onError?.(error));
    });
    return { status: 200, body: { ok: true } };
  }

  /** A node:http handler: reads the raw body (bounded), verifies, answers JSON. */
  readonly nodeHandler = (req: IncomingMessage, res: ServerResponse): void => {
    const limit = this.opts.maxBodyBytes ?? 256 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => {
      const reply = req.method !== 'POST' ? reject(405, 'POST only') : size > limit ? reject(413, 'body too large') : this.handle(Buffer.concat(chunks), req.headers);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
    req.on('error', (error) => this.opts.onError?.(error));
  };

  private signatureMatches(raw: Buffer, signature: string): boolean {
    const expected = Buffer.from(signTextureBody(this.opts.secret, raw), 'utf8');
    const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private prune(now: number): void {
    const window = this.opts.replayWindowMs ?? 86_400_000;
    const max = this.opts.maxKeys ?? 100_000;
    for (const [key, at] of this.seen) {
      if (now - at <= window && this.seen.size <= max) break; // insertion order = arrival order
      this.seen.delete(key);
    }
    if (this.latestByCommand.size > max) this.latestByCommand.delete(this.latestByCommand.keys().next().value as string);
  }
}

/** Hex HMAC-SHA256 of the raw body with the destination secret (what Texture puts in Texture-Signature). */
export function signTextureBody(secret: string, raw: Buffer | string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

function reject(status: number, reason: string): WebhookReply {
  return { status, body: { ok: false, reason } };
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

/** Unix seconds, unix milliseconds or ISO 8601. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n > 1e12 ? n : n * 1000;
  }
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

function firstTime(...values: Array<string | undefined>): number | undefined {
  for (const v of values) {
    const ms = v ? Date.parse(v) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}
