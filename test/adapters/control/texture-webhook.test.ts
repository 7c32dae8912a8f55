/**
 * Texture webhooks end to end: the fake Texture server signs and POSTs `command.succeeded` / `command.failed` to a
 * node:http server on 127.0.0.1 running TextureWebhookReceiver.nodeHandler. Verified events reach the callback;
 * unsigned, tampered, stale and replayed deliveries do not; out-of-order events are flagged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import { parseTimestamp, TextureWebhookReceiver, type TextureWebhookEvent } from '../../../src/adapters/control/texture-webhook.js';
import { startFakeTexture, type FakeTexture } from '../../../src/adapters/fakes/texture/server.js';
import type { ChannelCommandRequest, ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const MIN = 60_000;
const SECRET = 'whsec_test_destination_secret';

let fake: FakeTexture;
let hookServer: Server;
let clock: FixedClock;
let events: TextureWebhookEvent[];
let receiver: TextureWebhookReceiver;
let channel: ControlChannel;

async function setup(receiverClock?: FixedClock): Promise<string> {
  clock = new FixedClock(T0);
  events = [];
  receiver = new TextureWebhookReceiver({ secret: SECRET, clock: receiverClock ?? clock, onEvent: (e) => void events.push(e) });
  hookServer = createServer(receiver.nodeHandler);
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/texture/webhooks`;
  fake = await startFakeTexture({ clock, webhook: { url: hookUrl, secret: SECRET } });
  channel = createControlChannel('texture', { baseUrl: fake.url, apiKey: fake.apiKey }, { clock });
  return hookUrl;
}

const req: ChannelCommandRequest = { idempotencyKey: 'k', siteRef: 'dev-1', mode: 'discharge', powerKw: 5, targetReservePercent: 30, startMs: T0 + MIN, endMs: T0 + 31 * MIN, supersede: true };

afterEach(async () => {
  await fake?.close();
  hookServer?.closeAllConnections();
  await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
});

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: { ok: boolean; reason?: string; duplicate?: boolean } }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, json: await res.json() as { ok: boolean; reason?: string } };
}
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const nowSec = () => String(Math.floor(clock.nowMs() / 1000));

describe('texture webhooks', () => {
  it('a signed, fresh command.succeeded reaches the callback with the channel-neutral state', async () => {
    await setup();
    const sent = await channel.send(req);
    await fake.advanceTo(T0 + MIN);
    expect(fake.deliveries.map((d) => d.status)).toEqual([200]);
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({ type: 'command.succeeded', commandId: sent.externalId, deviceId: 'dev-1', outOfOrder: false, occurredAtMs: T0 + MIN });
    expect(events[0].state).toMatchObject({ status: 'active', mode: 'discharge', targetReservePercent: 30 });
  });

  it('rejects unsigned and tampered deliveries (401) and a signature made with another secret', async () => {
    const url = await setup();
    await channel.send(req);
    await fake.advanceTo(T0 + MIN);
    const body = fake.deliveries[0].body;
    await vi.waitFor(() => expect(events).toHaveLength(1));
    events.length = 0;
    const tampered = body.replace('"command.succeeded"', '"command.failed"').replace('evt_1', 'evt_999');
    expect((await post(url, tampered, { 'texture-timestamp': nowSec() })).status).toBe(401);
    expect(await post(url, tampered, { 'texture-timestamp': nowSec(), 'texture-signature': sign(body) })).toMatchObject({ status: 401, json: { reason: 'bad signature' } });
    expect((await post(url, tampered, { 'texture-timestamp': nowSec(), 'texture-signature': sign(tampered, 'other-secret') })).status).toBe(401);
    expect((await post(url, tampered, { 'texture-timestamp': nowSec(), 'texture-signature': 'abc' })).status).toBe(401);
    // The same tampered body correctly signed is accepted: the rejections above were about the signature.
    expect((await post(url, tampered, { 'texture-timestamp': nowSec(), 'texture-signature': sign(tampered) })).status).toBe(200);
    await vi.waitFor(() => expect(events).toHaveLength(1));
  });

  it('rejects stale deliveries: the receiver\'s clock is 10 minutes ahead of the sender\'s timestamp', async () => {
    const receiverClock = new FixedClock(T0 + MIN + 10 * MIN);
    await setup(receiverClock);
    await channel.send(req);
    await fake.advanceTo(T0 + MIN);
    expect(fake.deliveries.map((d) => d.status)).toEqual([400]);
    receiverClock.set(T0 + MIN + 4 * MIN);
    expect(await fake.redeliver(0)).toBe(200);
    await vi.waitFor(() => expect(events).toHaveLength(1));
  });

  it('a replayed delivery (same key) is acknowledged but not handed on twice', async () => {
    await setup();
    await channel.send(req);
    await fake.advanceTo(T0 + MIN);
    await vi.waitFor(() => expect(events).toHaveLength(1));
    clock.set(T0 + 2 * MIN);
    expect(await fake.redeliver(0)).toBe(200);
    const url = (hookServer.address() as AddressInfo).port;
    const replay = await post(`http://127.0.0.1:${url}/`, fake.deliveries[0].body, { 'texture-timestamp': nowSec(), 'texture-signature': sign(fake.deliveries[0].body) });
    expect(replay).toMatchObject({ status: 200, json: { duplicate: true } });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toHaveLength(1);
  });

  it('out of order: the newer failure delivered before the older success; the late success is flagged outOfOrder', async () => {
    await setup();
    const sent = await channel.send(req);
    fake.holdWebhooks();
    await fake.advanceTo(T0 + MIN);
    clock.set(T0 + 5 * MIN);
    fake.optOut(sent.externalId);
    await fake.advanceTo(T0 + 5 * MIN);
    await fake.flushWebhooks({ reverse: true });
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events.map((e) => [e.type, e.outOfOrder])).toEqual([['command.failed', false], ['command.succeeded', true]]);
    expect(events[0].state.status).toBe('failed');
  });

  it('timestamps as unix s / ms / ISO; 405 for a non-POST; a throwing callback goes to onError; command.overridden is stopped; other types ignored', async () => {
    expect(parseTimestamp('1780315200')).toBe(1_780_315_200_000);
    expect(parseTimestamp('1780315200000')).toBe(1_780_315_200_000);
    expect(parseTimestamp('2026-06-01T12:00:00Z')).toBe(Date.UTC(2026, 5, 1, 12));
    expect(parseTimestamp('yesterday')).toBeUndefined();
    const errors: unknown[] = [];
    const c = new FixedClock(T0);
    const r = new TextureWebhookReceiver({ secret: SECRET, clock: c, onEvent: () => { throw new Error('boom'); }, onError: (e) => void errors.push(e) });
    const body = JSON.stringify({ key: 'evt_x', type: 'command.failed', data: { command: { id: 'cmd_9', status: 'failed' } } });
    expect(r.handle(body, { 'Texture-Signature': sign(body), 'Texture-Timestamp': new Date(T0).toISOString() })).toEqual({ status: 200, body: { ok: true } });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    const seen: TextureWebhookEvent[] = [];
    const r2 = new TextureWebhookReceiver({ secret: SECRET, clock: c, onEvent: (e) => void seen.push(e) });
    const overridden = JSON.stringify({ key: 'evt_o', type: 'command.overridden', data: { command: { id: 'cmd_9', status: 'success', input: { operatingMode: 'discharge', minimumBatteryReserve: 20 } } } });
    expect(r2.handle(overridden, { 'texture-signature': sign(overridden), 'texture-timestamp': String(T0 / 1000) }).status).toBe(200);
    const other = JSON.stringify({ key: 'evt_d', type: 'device.updated', data: { command: { id: 'x', status: 'success' } } });
    expect(r2.handle(other, { 'texture-signature': sign(other), 'texture-timestamp': String(T0 / 1000) }).body.reason).toMatch(/ignored/);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0].state).toMatchObject({ status: 'stopped', detail: expect.stringMatching(/^overridden/), mode: 'discharge' });
    const srv = createServer(r.nodeHandler);
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const res = await fetch(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
    expect(res.status).toBe(405);
    await new Promise<void>((res2) => srv.close(() => res2()));
  });
});
