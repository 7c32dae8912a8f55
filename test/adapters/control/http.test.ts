/**
 * The shared HTTP exchange of the control channels against a tiny loopback server: the VPP spec's own (not quite
 * JSON) error bodies still yield their displayMessage, Retry-After as seconds or an HTTP date, and credentials
 * sent in headers never appear in an error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { channelRequest, retryAfterMs } from '../../../src/adapters/control/http.js';
import { ChannelError } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const NOW = Date.UTC(2026, 3, 1, 12, 0);
let server: Server | undefined;

async function serve(status: number, body: string | ((reqHeaders: Record<string, unknown>) => string), headers: Record<string, string> = {}): Promise<string> {
  server = createServer((req, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : body(req.headers)));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function failure(baseUrl: string, headers: Record<string, string> = {}): Promise<ChannelError> {
  const error = await channelRequest({ channel: 'test', method: 'POST', baseUrl, path: '/api/v2/events', headers, body: { a: 1 }, mutating: true }, {}, new FixedClock(NOW)).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('control-channel HTTP errors', () => {
  it('the VPP spec\'s example error body (CRLF, trailing comma: not JSON) still gives its displayMessage', async () => {
    const specExample = '{\r\n  "code": "400",\r\n  "displayMessage": "target_soc should be between 10 and 100 for BATTERY charge or discharge event",\r\n  "additionalInfo": "x",\r\n  "errorRefNo": "e20fdf9aa241bea9",\r\n}';
    const e = await failure(await serve(400, specExample));
    expect(e).toMatchObject({ kind: 'permanent', httpStatus: 400 });
    expect(e.message).toContain('target_soc should be between 10 and 100');
  });

  it('Retry-After as an HTTP date counts from the injected clock; absent means 60 s; seconds are seconds', async () => {
    const e = await failure(await serve(429, '{}', { 'retry-after': new Date(NOW + 90_000).toUTCString() }));
    expect(e).toMatchObject({ kind: 'throttled', retryAfterMs: 90_000 });
    expect(retryAfterMs(undefined, NOW)).toBe(60_000);
    expect(retryAfterMs('2.5', NOW)).toBe(2_500);
    expect(retryAfterMs('garbage', NOW)).toBe(60_000);
  });

  it('credentials in the request headers never appear in an error, whatever the server echoes', async () => {
    const echo = (h: Record<string, unknown>) => JSON.stringify({ message: `Forbidden for key ${String(h['x-api-key'])} and token ${String(h.authorization).slice(7)}` });
    const e = await failure(await serve(403, echo), { 'x-api-key': 'k-SECRET-123', authorization: 'Bearer t-SECRET-456' });
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/Forbidden for key \[redacted\] and token \[redacted\]/);
    expect(e.message).not.toMatch(/SECRET/);
  });
});
