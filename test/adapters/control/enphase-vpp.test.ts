/**
 * The enphase-vpp channel against the fake VPP server on 127.0.0.1: send / status / list / findSent / cancel,
 * every error class, a lost create reply recovered by findSent without a second event, and the faults the fake
 * switches on (opt-out, Storm Guard mid-command, system delete, superseded events). The fake battery is the device
 * simulator, so "the battery discharged" is read from the simulator, not from the channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import type { EnphaseVppChannel } from '../../../src/adapters/control/enphase-vpp.js';
import { isCreate, startFakeVpp, type FakeVpp } from '../../../src/adapters/fakes/vpp/server.js';
import { ChannelError, type ChannelCommandRequest } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const T0 = Date.UTC(2026, 2, 8, 6, 0); // 2026-03-08 06:00 UTC (the US spring-forward day; the channel is UTC-only)
const MIN = 60_000;
const SITE = '1001';

let fake: FakeVpp;
let clock: FixedClock;

async function setup(overrides: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<EnphaseVppChannel> {
  clock = new FixedClock(T0);
  fake = await startFakeVpp({ clock, sites: [{ siteId: 1001, initialSocPercent: 80 }, { siteId: 1002 }] });
  return createControlChannel('enphase-vpp', {
    baseUrl: fake.url, programId: fake.programId, apiKey: fake.apiKey, clientId: fake.clientId, clientSecret: fake.clientSecret, timeoutMs, ...overrides,
  }, { clock }) as EnphaseVppChannel;
}

function request(patch: Partial<ChannelCommandRequest> = {}): ChannelCommandRequest {
  return { idempotencyKey: 'k1', siteRef: SITE, mode: 'discharge', powerKw: 3, targetReservePercent: 30, startMs: T0 + 15 * MIN, endMs: T0 + 75 * MIN, supersede: true, ...patch };
}

async function kindOf(p: Promise<unknown>): Promise<ChannelError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

afterEach(async () => fake?.close());

describe('enphase-vpp: commands on the fake VPP', () => {
  it('creates one event with the spec\'s fields, then reports scheduled → active → completed while the battery discharges', async () => {
    const ch = await setup();
    const sent = await ch.send(request());
    expect(sent.status).toBe('accepted');
    const booked = fake.createdEvents();
    expect(booked).toHaveLength(1);
    expect(booked[0]).toMatchObject({ eventId: sent.externalId, siteId: 1001, mode: 'Discharge_To_Load_Grid', rateWatt: 3000, targetSoc: 30, durationMin: 60, startMs: T0 + 15 * MIN });
    expect(fake.apiRequests().find((r) => r.method === 'POST')?.body).toMatchObject({ start_time: '2026-03-08 06:15', duration: 60, functions: ['BATTERY'], site_ids: [1001], superseded: true });

    expect((await ch.status(SITE, sent.externalId)).status).toBe('scheduled');
    const socBefore = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 45 * MIN);
    const running = await ch.status(SITE, sent.externalId);
    expect(running).toMatchObject({ status: 'active', mode: 'discharge', targetReservePercent: 30, startMs: T0 + 15 * MIN, endMs: T0 + 75 * MIN });
    // 30 minutes at 3 kW out of a 13.5 kWh battery: well over 5 percentage points lower.
    expect(fake.book.battery(1001).socPercent).toBeLessThan(socBefore - 5);
    fake.advanceTo(T0 + 90 * MIN);
    expect((await ch.status(SITE, sent.externalId)).status).toBe('completed');
  });

  it('charge and idle map to the spec\'s modes and rate signs; grid charge off → Charge_From_PV; no export → Discharge_To_Load', async () => {
    let ch = await setup();
    await ch.send(request({ mode: 'charge', targetReservePercent: 95 }));
    await ch.send(request({ mode: 'idle', startMs: T0 + 90 * MIN, endMs: T0 + 120 * MIN }));
    expect(fake.createdEvents().map((e) => [e.mode, e.rateWatt, e.targetSoc])).toEqual([['Charge_From_PV_Grid', -3000, 95], ['Idle', 0, undefined]]);
    await fake.close();
    ch = await setup({ gridCharge: false, exportAllowed: false });
    await ch.send(request({ mode: 'charge', targetReservePercent: 95 }));
    await ch.send(request({ startMs: T0 + 90 * MIN, endMs: T0 + 120 * MIN }));
    expect(fake.createdEvents().map((e) => e.mode)).toEqual(['Charge_From_PV', 'Discharge_To_Load']);
    expect(ch.capabilities()).toMatchObject({ exportAllowed: false, gridCharge: false, scheduledStart: true, duration: true, listCommands: true, minLeadMs: MIN });
  });

  it('without export the battery discharges only to the home load (Discharge_To_Load), whatever rate_watt says', async () => {
    const ch = await setup({ exportAllowed: false });
    await ch.send(request({ startMs: T0, endMs: T0 + 60 * MIN, powerKw: 5 }));
    const soc = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 60 * MIN);
    // 1 h of the fake's 1 kW home load: ~7.8 points (5 kW would be ~39).
    expect(soc - fake.book.battery(1001).socPercent).toBeCloseTo(100 / 13.5 / Math.sqrt(0.9), 1);
  });

  it('refuses before sending what the API would refuse: off-minute start, 3-minute or 6-hour duration, target below 10 %', async () => {
    const ch = await setup();
    for (const bad of [{ startMs: T0 + 15 * MIN + 1 }, { endMs: T0 + 18 * MIN }, { endMs: T0 + 15 * MIN + 301 * MIN }, { targetReservePercent: 5 }]) {
      expect((await kindOf(ch.send(request(bad)))).kind).toBe('permanent');
    }
    expect(fake.apiRequests()).toHaveLength(0);
  });

  it('a lost create reply is unknown-outcome; findSent finds the event that was booked and nothing is sent twice', async () => {
    const ch = await setup();
    fake.loseNext(1, 'destroy');
    expect((await kindOf(ch.send(request()))).kind).toBe('unknown-outcome');
    expect(fake.createdEvents()).toHaveLength(1);
    const found = await ch.findSent(request());
    expect(found?.externalId).toBe(fake.createdEvents()[0].eventId);
    expect(found?.status).toBe('scheduled');
    expect(fake.createdEvents()).toHaveLength(1);
    expect(fake.apiRequests().filter((r) => isCreate(r.method, r.path))).toHaveLength(1);
  });

  it('a reply that never arrives (held open) times out as unknown-outcome; findSent recovers it', async () => {
    const ch = await setup({}, 300);
    fake.loseNext(1, 'hang');
    expect((await kindOf(ch.send(request()))).kind).toBe('unknown-outcome');
    expect((await ch.findSent(request()))?.externalId).toBe(fake.createdEvents()[0].eventId);
  });

  it('findSent: null when nothing matches (other target, other start, other site), and pages through long lists', async () => {
    const ch = await setup({ pageSize: 2 });
    for (let i = 0; i < 5; i++) await ch.send(request({ startMs: T0 + (15 + i * 60) * MIN, endMs: T0 + (45 + i * 60) * MIN }));
    const last = request({ startMs: T0 + 255 * MIN, endMs: T0 + 285 * MIN });
    expect((await ch.findSent(last))?.externalId).toBe(fake.createdEvents()[4].eventId);
    const listCalls = fake.apiRequests().filter((r) => r.method === 'GET' && r.path === '/api/v2/events');
    expect(listCalls.map((r) => r.query.page_no)).toEqual(['1', '2', '3']);
    expect(await ch.findSent({ ...last, targetReservePercent: 31 })).toBeNull();
    expect(await ch.findSent({ ...last, startMs: last.startMs + MIN })).toBeNull();
    expect(await ch.findSent({ ...last, siteRef: '1002' })).toBeNull();
    const listed = await ch.listSiteEvents(SITE, T0, T0 + 86_400_000);
    expect(listed.map((e) => e.eventId)).toEqual(fake.createdEvents().map((e) => e.eventId));
    expect((await kindOf(ch.listSiteEvents(SITE, T0, T0 + 31 * 86_400_000))).kind).toBe('permanent'); // at most 30 days
  });

  it('cancel: a scheduled event is deleted; a running one is stopped and the battery stops discharging', async () => {
    const ch = await setup();
    const a = await ch.send(request());
    expect((await ch.cancel(SITE, a.externalId)).status).toBe('deleted');
    const b = await ch.send(request({ startMs: T0 + 30 * MIN, endMs: T0 + 150 * MIN }));
    fake.advanceTo(T0 + 60 * MIN);
    expect((await ch.cancel(SITE, b.externalId)).status).toBe('stopped');
    const socAtCancel = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 120 * MIN);
    // Base mode is self-consumption covering a 1 kW load: far less than the 3 kW discharge it would have run.
    expect(socAtCancel - fake.book.battery(1001).socPercent).toBeLessThan(1 * 1 / 13.5 * 100 / Math.sqrt(0.9) + 0.01);
    expect((await kindOf(ch.cancel(SITE, b.externalId))).kind).toBe('permanent');
  });
});

describe('enphase-vpp: error classes', () => {
  it('400 and 422 are permanent; 404 on status is permanent', async () => {
    const ch = await setup();
    fake.failNext(1, 400);
    expect((await kindOf(ch.send(request()))).kind).toBe('permanent');
    fake.failNext(1, 422);
    expect(await kindOf(ch.send(request()))).toMatchObject({ kind: 'permanent', httpStatus: 422 });
    expect((await kindOf(ch.status(SITE, 'no-such-event'))).kind).toBe('permanent');
    expect(fake.createdEvents()).toHaveLength(0);
  });

  it('429 is throttled with the Retry-After period; 5xx is transient; neither books an event', async () => {
    const ch = await setup();
    fake.failNext(1, 429, { retryAfterSec: 17 });
    expect(await kindOf(ch.send(request()))).toMatchObject({ kind: 'throttled', retryAfterMs: 17_000 });
    fake.failNext(1, 503);
    expect(await kindOf(ch.send(request()))).toMatchObject({ kind: 'transient', httpStatus: 503 });
    expect(fake.createdEvents()).toHaveLength(0);
  });

  it('a revoked token is renewed once (401 → new client-credentials token → success); bad credentials or API key are auth', async () => {
    let ch = await setup();
    await ch.send(request());
    fake.revokeTokens();
    await ch.send(request({ startMs: T0 + 90 * MIN, endMs: T0 + 120 * MIN }));
    expect(fake.createdEvents()).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path === '/auth/oauth2/token')).toHaveLength(2);
    await fake.close();
    ch = await setup({ clientSecret: 'wrong' });
    expect(await kindOf(ch.send(request()))).toMatchObject({ kind: 'auth', httpStatus: 401 });
    await fake.close();
    ch = await setup({ apiKey: 'wrong' });
    expect(await kindOf(ch.send(request()))).toMatchObject({ kind: 'auth', httpStatus: 403 });
    expect(fake.createdEvents()).toHaveLength(0);
  });

  it('a lost reply on a read is transient (nothing changed); a refused connection is transient even for a create', async () => {
    const ch = await setup();
    const sent = await ch.send(request());
    fake.loseNext(1, 'destroy', (m) => m === 'GET');
    expect((await kindOf(ch.status(SITE, sent.externalId))).kind).toBe('transient');
    const port = await freePort();
    const dead = createControlChannel('enphase-vpp', { baseUrl: `http://127.0.0.1:${port}`, programId: 'p', apiKey: 'k', clientId: 'c', clientSecret: 's' }, { clock });
    expect((await kindOf(dead.send(request()))).kind).toBe('transient');
  });
});

describe('enphase-vpp: faults the fake switches on', () => {
  it('the homeowner opts out: status opted-out, and the battery stops following the event', async () => {
    const ch = await setup();
    const sent = await ch.send(request({ endMs: T0 + 135 * MIN }));
    fake.advanceTo(T0 + 30 * MIN);
    fake.optOut(sent.externalId);
    const soc = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 90 * MIN);
    expect((await ch.status(SITE, sent.externalId)).status).toBe('opted-out');
    expect(soc - fake.book.battery(1001).socPercent).toBeLessThan(10); // 1 h of 3 kW would be ~23 points
  });

  it('Storm Guard turns on mid-command: readSettings says so and the battery charges instead of discharging', async () => {
    const ch = await setup();
    await ch.send(request({ endMs: T0 + 135 * MIN }));
    fake.advanceTo(T0 + 30 * MIN);
    expect((await ch.readSettings(SITE)).stormGuardActive).toBe(false);
    fake.setStormGuard(1001, true);
    const soc = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 60 * MIN);
    const reading = await ch.readSettings(SITE);
    expect(reading).toMatchObject({ stormGuardActive: true, profile: 'full_backup', asOfMs: T0 + 60 * MIN });
    expect(fake.book.battery(1001).socPercent).toBeGreaterThan(soc);
  });

  it('overlaps: superseded replaces the older event (deleted before it starts); without superseded the new one is dropped', async () => {
    const ch = await setup();
    const older = await ch.send(request());
    const newer = await ch.send(request({ mode: 'charge', targetReservePercent: 90, startMs: T0 + 30 * MIN }));
    expect((await ch.status(SITE, older.externalId)).status).toBe('deleted');
    expect((await ch.status(SITE, newer.externalId)).status).toBe('scheduled');
    const ignored = await ch.send(request({ startMs: T0 + 45 * MIN, endMs: T0 + 60 * MIN, supersede: false }));
    const state = await ch.status(SITE, ignored.externalId);
    expect(state.status).toBe('deleted');
    expect(state.detail).toMatch(/overlap/);
  });

  it('optOutNext: the homeowner opts out when the event starts; Storm Guard scheduled ahead turns on mid-command', async () => {
    const ch = await setup();
    fake.optOutNext();
    const declined = await ch.send(request());
    expect((await ch.status(SITE, declined.externalId)).status).toBe('scheduled');
    const soc = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 45 * MIN);
    expect((await ch.status(SITE, declined.externalId)).status).toBe('opted-out');
    expect(soc - fake.book.battery(1001).socPercent).toBeLessThan(8); // 45 min of a 1 kW home load (~6 points), not 30 min at 3 kW (~12)
    const running = await ch.send(request({ startMs: T0 + 60 * MIN, endMs: T0 + 180 * MIN }));
    fake.setStormGuard(1001, true, T0 + 90 * MIN);
    fake.advanceTo(T0 + 90 * MIN);
    expect((await ch.readSettings(SITE)).stormGuardActive).toBe(true);
    const atStorm = fake.book.battery(1001).socPercent;
    fake.advanceTo(T0 + 120 * MIN);
    expect(fake.book.battery(1001).socPercent).toBeGreaterThan(atStorm);
    expect((await ch.status(SITE, running.externalId)).status).toBe('active'); // the VPP still reports it running: Storm Guard overrides silently
  });

  it('the system deletes an event; a delivery failure is failed', async () => {
    const ch = await setup();
    const a = await ch.send(request());
    fake.systemDelete(a.externalId);
    expect(await ch.status(SITE, a.externalId)).toMatchObject({ status: 'deleted', detail: expect.stringMatching(/overlapping/) });
    const b = await ch.send(request({ startMs: T0 + 90 * MIN, endMs: T0 + 120 * MIN }));
    fake.failDelivery(b.externalId);
    expect(await ch.status(SITE, b.externalId)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/delivery Failed/) });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
