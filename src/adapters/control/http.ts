/**
 * One HTTP exchange for a control channel (undici), with every failure turned into a ChannelError kind:
 *  - 400/404/409/422 and any other 4xx → `permanent` (the request is wrong and stays wrong);
 *  - 401/403 → `auth` (the caller may refresh its token once before giving up);
 *  - 429 → `throttled`, `retryAfterMs` from Retry-After (seconds or an HTTP date; 60 s when absent);
 *  - 5xx → `transient`;
 *  - a network failure BEFORE the request could reach the server (connection refused, DNS) → `transient`;
 *  - a timeout or a connection reset AFTER sending → `unknown-outcome` for requests that change something
 *    (`mutating`: the server may have acted on it; resolve with findSent before any resend), `transient` otherwise.
 * Channels do not retry on their own (the dispatcher knows the command's start and owns the backoff). Error
 * messages carry the server's short reason, never credentials or the request's headers.
 */
import { request, type Dispatcher } from 'undici';
import type { Clock } from '../../domain/time/clock.js';
import { ChannelError } from '../../domain/ports/control-channel.js';

export interface ChannelHttpOptions {
  /** Test hook / connection pool. */
  dispatcher?: Dispatcher;
  /** Headers and body timeout, ms (default 30 s). */
  timeoutMs?: number;
  /** Observer of every exchange (tests, metrics): never given headers. */
  onRequest?: (info: ChannelRequestInfo) => void;
}

/** What every HTTP channel needs besides its config: the clock, and optionally the HTTP hooks. */
export interface ChannelDeps {
  clock: Clock;
  http?: ChannelHttpOptions;
}

export interface ChannelRequestInfo {
  channel: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
}

export interface ChannelHttpRequest {
  channel: string;
  method: Dispatcher.HttpMethod;
  baseUrl: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  /** The request changes state on the server (create, cancel): a lost reply is `unknown-outcome`. */
  mutating: boolean;
}

export interface ChannelHttpResponse {
  status: number;
  json: unknown;
}

/** Network errors that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export async function channelRequest(req: ChannelHttpRequest, opts: ChannelHttpOptions, clock: Clock): Promise<ChannelHttpResponse> {
  const url = new URL(req.path, req.baseUrl);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const info = { channel: req.channel, method: req.method, path: req.path, query: req.query ?? {}, body: req.body };
  const timeout = opts.timeoutMs ?? 30_000;
  let res: Dispatcher.ResponseData;
  let text: string;
  try {
    res = await request(url, {
      method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body),
      dispatcher: opts.dispatcher, headersTimeout: timeout, bodyTimeout: timeout,
    });
    text = await res.body.text();
  } catch (error) {
    opts.onRequest?.({ ...info, status: 0 });
    throw networkError(req, error);
  }
  opts.onRequest?.({ ...info, status: res.statusCode });
  const json = parseJsonOrText(text);
  if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, json };
  throw httpError(req, res.statusCode, json, res.headers['retry-after'], clock.nowMs(), Object.entries(req.headers).filter(([k]) => !/^(accept|content-type)$/i.test(k)).map(([, v]) => v));
}

export function networkError(req: Pick<ChannelHttpRequest, 'channel' | 'method' | 'path' | 'mutating'>, error: unknown): ChannelError {
  const code = errorCode(error);
  const what = `${req.channel}: ${req.method} ${req.path}`;
  if (code && NOT_SENT_CODES.has(code)) return new ChannelError('transient', `${what} could not connect (${code})`);
  if (req.mutating) return new ChannelError('unknown-outcome', `${what}: no reply (${code ?? (error as Error).message}); the request may have been acted on`);
  return new ChannelError('transient', `${what}: no reply (${code ?? (error as Error).message})`);
}

/** `secrets`: values sent in the request's headers; a server that echoes one never gets it into our message. */
export function httpError(req: Pick<ChannelHttpRequest, 'channel' | 'method' | 'path'>, status: number, json: unknown, retryAfter: string | string[] | undefined, nowMs: number, secrets: string[] = []): ChannelError {
  const what = `${req.channel}: ${req.method} ${req.path} answered HTTP ${status}`;
  const reason = redact(shortReason(json), secrets);
  const message = reason ? `${what} (${reason})` : what;
  if (status === 401 || status === 403) return new ChannelError('auth', message, { httpStatus: status });
  if (status === 429) return new ChannelError('throttled', message, { httpStatus: status, retryAfterMs: retryAfterMs(retryAfter, nowMs) });
  if (status >= 500) return new ChannelError('transient', message, { httpStatus: status });
  return new ChannelError('permanent', message, { httpStatus: status });
}

/** Retry-After in seconds or as an HTTP date; 60 s when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return 60_000;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : 60_000;
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const part of [secret, ...secret.split(/\s+/)]) if (part.length >= 8) out = out.split(part).join('[redacted]');
  }
  return out;
}

function errorCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') {
      // undici wraps the socket error; prefer the OS code when there is one
      const inner = (e.cause as { code?: unknown } | undefined)?.code;
      return typeof inner === 'string' && NOT_SENT_CODES.has(inner) ? inner : e.code;
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The server's short explanation (displayMessage / message / error), at most 200 characters. */
function shortReason(json: unknown): string {
  if (typeof json === 'string') return json.slice(0, 200);
  const j = json as Record<string, unknown> | undefined;
  const candidates = [j?.displayMessage, j?.message, j?.details, (j?.error as Record<string, unknown> | undefined)?.message, j?.error];
  const found = candidates.find((c) => typeof c === 'string' && c.length > 0);
  return typeof found === 'string' ? found.slice(0, 200) : '';
}

function parseJsonOrText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The VPP API's documented error bodies are not always valid JSON (trailing commas): keep the text.
    const m = /"displayMessage"\s*:\s*"([^"]*)"/.exec(text);
    return m ? { displayMessage: m[1] } : text.slice(0, 200);
  }
}
