/**
 * The texture channel against the fake Texture server on 127.0.0.1: the command body, status polling, listing and
 * findSent after a lost reply (nothing sent twice), cancel as `reset`, every error class, and the device faults
 * (refusal, homeowner opt-out, Storm Guard). The fake's devices are the device simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import type { TextureChannel } from '../../../src/adapters/control/texture.js';
import { isTextureCreate, startFakeTexture, type FakeTexture } from '../../../src/adapters/fakes/texture/server.js';
import { ChannelError, type ChannelCommandRequest } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const T0 = Date.UTC(2026, 10, 1, 6, 0); // 2026-11-01: the US fall-back day (the channel is UTC-only)
const MIN = 60_000;
const DEV = 'dev-1';

let fake: FakeTexture;
let clock: FixedClock;

async function setup(overrides: Record<string, unknown> = {}, pageSize?: number): Promise<TextureChannel> {
  clock = new FixedClock(T0);
  fake = await startFakeTexture({ clock, pageSize, devices: [{ deviceId: DEV, initialSocPercent: 60 }, { deviceId: 'dev-2' }] });
  return createControlChannel('texture', { baseUrl: fake.url, apiKey: fake.apiKey, ...overrides }, { clock }) as TextureChannel;
}

function request(patch: Partial<ChannelCommandRequest> = {}): ChannelCommandRequest {
  return { idempotencyKey: 'k1', siteRef: DEV, mode: 'discharge', powerKw: 5, targetReservePercent: 25, startMs: T0 + MIN, endMs: T0 + 61 * MIN, supersede: true, ...patch };
}

async function errorOf(p: Promise<unknown>): Promise<ChannelError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

afterEach(async () => fake?.close());

describe('texture: commands on the fake Texture API', () => {
  it('discharge: sends the documented body, is pending, then active after a minute while the battery discharges', async () => {
    const ch = await setup();
    const sent = await ch.send(request());
    expect(sent).toMatchObject({ status: 'accepted', mode: 'discharge' });
    expect(fake.requests[0].body).toEqual({ deviceId: DEV, input: { operatingMode: 'discharge', minimumBatteryReserve: 25, enableGridInteraction: false } });
    expect(fake.createdCommands()).toHaveLength(1);
    await fake.advanceTo(T0 + MIN);
    expect(await ch.status(DEV, sent.externalId)).toMatchObject({ status: 'active', targetReservePercent: 25 });
    const soc = fake.battery(DEV).socPercent;
    await fake.advanceTo(T0 + 46 * MIN);
    // Without grid interaction the discharge covers only the fake's 1 kW home load: ~5.9 points in 45 minutes.
    expect(soc - fake.battery(DEV).socPercent).toBeCloseTo(0.75 * 100 / 13.5 / Math.sqrt(0.9), 1);
    expect(ch.capabilities()).toMatchObject({ scheduledStart: false, duration: false, powerSetpoint: false, statusLookup: true, listCommands: true });
  });

  it('with export allowed (enableGridInteraction) the discharge runs at the battery\'s own rate, beyond the home load', async () => {
    const ch = await setup({ exportAllowed: true });
    await ch.send(request());
    await fake.advanceTo(T0 + MIN);
    const soc = fake.battery(DEV).socPercent;
    await fake.advanceTo(T0 + 46 * MIN);
    // 5 kW for ~45 minutes of a 13.5 kWh battery is ~29 points; home load alone (1 kW) would be ~6.
    expect(soc - fake.battery(DEV).socPercent).toBeGreaterThan(20);
  });

  it('charge and idle: maximumBatteryReserve and enableGridInteraction from the config; idle carries only the mode', async () => {
    const ch = await setup({ gridCharge: true, exportAllowed: true });
    await ch.send(request({ mode: 'charge', targetReservePercent: 90 }));
    await ch.send(request({ mode: 'idle' }));
    await ch.send(request());
    expect(fake.requests.map((r) => (r.body as { input: unknown }).input)).toEqual([
      { operatingMode: 'charge', maximumBatteryReserve: 90, enableGridInteraction: true },
      { operatingMode: 'idle' },
      { operatingMode: 'discharge', minimumBatteryReserve: 25, enableGridInteraction: true },
    ]);
  });

  it('the battery charges under a charge command, and cancel sends reset: the battery stops charging', async () => {
    const ch = await setup({ gridCharge: true });
    const sent = await ch.send(request({ mode: 'charge', targetReservePercent: 100 }));
    await fake.advanceTo(T0 + 31 * MIN);
    const charged = fake.battery(DEV).socPercent;
    expect(charged).toBeGreaterThan(60 + 10);
    const stopped = await ch.cancel(DEV, sent.externalId);
    expect(stopped).toMatchObject({ externalId: sent.externalId, status: 'stopped' });
    expect(fake.createdCommands().map((c) => c.input.operatingMode)).toEqual(['charge', 'reset']);
    await fake.advanceTo(T0 + 91 * MIN);
    expect(fake.battery(DEV).socPercent).toBeLessThan(charged + 10); // reset at 32 min: self-consumption, no more grid charging
  });

  it('a lost reply is unknown-outcome; findSent finds the command and nothing is sent twice', async () => {
    const ch = await setup();
    fake.loseNext(1, 'destroy');
    expect((await errorOf(ch.send(request()))).kind).toBe('unknown-outcome');
    const found = await ch.findSent(request());
    expect(found?.externalId).toBe(fake.createdCommands()[0].id);
    expect(fake.requests.filter((r) => isTextureCreate(r.method, r.path))).toHaveLength(1);
  });

  it('a reply held open times out as unknown-outcome; findSent recovers it', async () => {
    const ch = await setup({ timeoutMs: 300 });
    fake.loseNext(1, 'hang');
    expect((await errorOf(ch.send(request()))).kind).toBe('unknown-outcome');
    expect((await ch.findSent(request()))?.externalId).toBe('cmd_1');
  });

  it('findSent pages through the device\'s commands and is null for another target, device, or a command older than the lookback', async () => {
    const ch = await setup({}, 2);
    await ch.send(request({ targetReservePercent: 40 }));
    for (let i = 0; i < 4; i++) await ch.send(request({ mode: 'idle' }));
    expect((await ch.findSent(request({ targetReservePercent: 40 })))?.externalId).toBe('cmd_1');
    expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.query.cursor ?? '0')).toEqual(['0', '2', '4']);
    expect(await ch.findSent(request({ targetReservePercent: 41 }))).toBeNull();
    expect(await ch.findSent(request({ siteRef: 'dev-2', targetReservePercent: 40 }))).toBeNull();
    expect(await ch.findSent(request({ targetReservePercent: 40, startMs: T0 + 3 * 3_600_000, endMs: T0 + 4 * 3_600_000 }))).toBeNull();
  });
});

describe('texture: error classes and device faults', () => {
  it('400/422 permanent, 401 auth, 429 throttled with Retry-After, 5xx transient; none creates a command', async () => {
    const ch = await setup();
    fake.failNext(1, 400);
    expect((await errorOf(ch.send(request()))).kind).toBe('permanent');
    fake.failNext(1, 422);
    expect((await errorOf(ch.send(request()))).kind).toBe('permanent');
    fake.failNext(1, 429, { retryAfterSec: 42 });
    expect(await errorOf(ch.send(request()))).toMatchObject({ kind: 'throttled', retryAfterMs: 42_000 });
    fake.failNext(1, 502);
    expect(await errorOf(ch.send(request()))).toMatchObject({ kind: 'transient', httpStatus: 502 });
    expect((await errorOf(ch.send(request({ siteRef: 'no-such-device' })))).kind).toBe('permanent');
    expect(fake.createdCommands()).toHaveLength(0);
    const wrongKey = createControlChannel('texture', { baseUrl: fake.url, apiKey: 'wrong' }, { clock });
    expect(await errorOf(wrongKey.send(request()))).toMatchObject({ kind: 'auth', httpStatus: 401 });
  });

  it('the device refuses, the homeowner opts out, Storm Guard is on: failed, with the reason, and Storm Guard charges the battery', async () => {
    const ch = await setup();
    fake.failNextCommand('battery offline');
    const refused = await ch.send(request());
    await fake.advanceTo(T0 + MIN);
    expect(await ch.status(DEV, refused.externalId)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/battery offline/) });
    const optedOut = await ch.send(request());
    await fake.advanceTo(T0 + 10 * MIN);
    fake.optOut(optedOut.externalId);
    expect(await ch.status(DEV, optedOut.externalId)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/opted out/) });
    fake.setStormGuard(DEV, true, T0 + 11 * MIN); // exactly when the next command takes effect
    const stormed = await ch.send(request());
    await fake.advanceTo(T0 + 15 * MIN);
    const soc = fake.battery(DEV).socPercent;
    await fake.advanceTo(T0 + 40 * MIN);
    expect(await ch.status(DEV, stormed.externalId)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/Storm Guard/) });
    expect(fake.battery(DEV).socPercent).toBeGreaterThan(soc);
  });
});
