/**
 * The enphase-basic channel through the v4 client against the fake Enphase server on 127.0.0.1 (battery_settings
 * GET and PUT): charge by raising the reserve (grid charge only where the site allows it), discharge as
 * self-consumption with a low reserve, refusals with reasons, read-back status / findSent / manual-change
 * detection, cancel restoring the site's settings, and the error classes. The fake site's battery steps with the
 * battery model's recursion, so "it charged from the grid" is read from the fake, not from the channel.
 */
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validate, type SchemaObject } from '../enphase/schema-check.js';
import { EnphaseClient } from '../../../src/adapters/enphase/client.js';
import { exchangeCode } from '../../../src/adapters/enphase/oauth.js';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import { startFakeEnphase, type FakeEnphase } from '../../../src/adapters/fakes/enphase/server.js';
import { ChannelError, type ChannelCommandRequest, type ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const T0 = Date.UTC(2026, 0, 15, 6, 0); // midnight in Texas: no solar for hours
const MIN = 60_000;
const HOUR = 3_600_000;

let fake: FakeEnphase;
let clock: FixedClock;

async function setup(config: Record<string, unknown> = { gridCharge: true }, opts: { perMinuteLimit?: number; badToken?: boolean } = {}): Promise<ControlChannel> {
  clock = new FixedClock(T0);
  fake = await startFakeEnphase({ clock, historyMs: HOUR, perMinuteLimit: opts.perMinuteLimit, sites: [{ systemId: 1001, initialSocPercent: 30 }, { systemId: 1002, hasBattery: false }] });
  const tokens = await exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, fake.oauth.issueCode(), T0);
  const client = new EnphaseClient({
    baseUrl: fake.url, apiKey: fake.apiKey, clock, tokens: { accessToken: async () => (opts.badToken ? 'revoked' : tokens.accessToken) },
    sleep: async () => undefined, maxRetries: 0, maxThrottleWaitMs: 0,
  });
  return createControlChannel('enphase-basic', config, { clock, enphaseClient: client });
}

function request(patch: Partial<ChannelCommandRequest> = {}): ChannelCommandRequest {
  return { idempotencyKey: 'k', siteRef: '1001', mode: 'charge', powerKw: 5, targetReservePercent: 90, startMs: T0, endMs: T0 + 2 * HOUR, supersede: true, ...patch };
}

async function errorOf(p: Promise<unknown>): Promise<ChannelError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

afterEach(async () => fake?.close());

describe('enphase-basic: what it does', () => {
  it('charge raises the reserve, and with charge-from-grid enabled the battery charges from the grid at night', async () => {
    const ch = await setup();
    fake.setSite(1001, { chargeFromGrid: true });
    const sent = await ch.send(request());
    expect(sent).toMatchObject({ status: 'active', externalId: 'basic:1001:Self-consumption:90' });
    const put = fake.requests.find((r) => r.method === 'PUT');
    expect(put?.path).toBe('/api/v4/systems/config/1001/battery_settings');
    expect(put?.body).toEqual({ battery_mode: 'Self-consumption', reserve_soc: 90 });
    // The body conforms to the monitoring-v4 spec's PUT battery_settings request schema.
    const spec = parse(readDataFileSync(fileURLToPath(new URL('../../../specs/enphase/monitoring-v4.openapi.yaml.gz', import.meta.url)))) as SchemaObject & { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: SchemaObject }> } }>> };
    const schema = spec.paths['/api/v4/systems/config/{system_id}/battery_settings'].put.requestBody.content['application/json'].schema;
    expect(validate(spec, schema, put?.body)).toEqual([]);
    expect(validate(spec, schema, { battery_mode: 'self consumption' })).not.toEqual([]);
    expect(fake.settingsWrites(1001)).toHaveLength(1);
    const before = fake.site(1001).socPercentNow;
    clock.set(T0 + 2 * HOUR);
    fake.site(1001).intervals(T0, clock.nowMs());
    expect(fake.site(1001).socPercentNow).toBeGreaterThan(before + 30); // 2 h at 5 kW into 13.5 kWh
  });

  it('refuses a grid charge where the site does not allow charging from the grid, naming the reason; nothing is written', async () => {
    const ch = await setup();
    const error = await errorOf(ch.send(request()));
    expect(error.kind).toBe('unsupported');
    expect(error.message).toMatch(/does not allow charging from the grid/);
    expect(fake.settingsWrites()).toHaveLength(0);
  });

  it('with gridCharge: false a charge is solar-only: accepted without a read, and the battery does not charge at night', async () => {
    const ch = await setup({ gridCharge: false });
    await ch.send(request());
    expect(fake.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.method)).toEqual(['PUT']);
    const before = fake.site(1001).socPercentNow;
    clock.set(T0 + 2 * HOUR);
    fake.site(1001).intervals(T0, clock.nowMs());
    expect(fake.site(1001).socPercentNow).toBeLessThanOrEqual(before);
    expect(ch.capabilities()).toMatchObject({ exportAllowed: false, gridCharge: false, scheduledStart: false, duration: false, statusLookup: false });
  });

  it('discharge is self-consumption with a low reserve; cancel restores the site\'s own profile and reserve', async () => {
    const ch = await setup({ baseProfile: 'Savings Mode', baseReservePercent: 40 });
    const sent = await ch.send(request({ mode: 'discharge', targetReservePercent: 10 }));
    expect(await ch.readSettings!('1001')).toMatchObject({ reservePercent: 10, profile: 'self_consumption', stormGuardActive: false });
    await ch.cancel('1001', sent.externalId);
    expect(await ch.readSettings!('1001')).toMatchObject({ reservePercent: 40, profile: 'savings' });
  });

  it('refuses idle, a command that starts in the future, and a site without a battery', async () => {
    const ch = await setup();
    expect((await errorOf(ch.send(request({ mode: 'idle' })))).kind).toBe('unsupported');
    expect(await errorOf(ch.send(request({ mode: 'discharge', startMs: T0 + HOUR })))).toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/cannot schedule/) });
    expect((await errorOf(ch.send(request({ mode: 'discharge', siteRef: '1002' })))).kind).toBe('unsupported');
    expect(fake.settingsWrites()).toHaveLength(0);
  });

  it('status and findSent read back: a person\'s reserve change shows as stopped; findSent matches only what was written', async () => {
    const ch = await setup();
    const req = request({ mode: 'discharge', targetReservePercent: 15 });
    expect(await ch.findSent(req)).toBeNull();
    const sent = await ch.send(req);
    expect((await ch.findSent(req))?.status).toBe('active');
    expect(await ch.findSent({ ...req, targetReservePercent: 16 })).toBeNull();
    fake.setSite(1001, { reserveSoc: 50 });
    expect(await ch.status('1001', sent.externalId)).toMatchObject({ status: 'stopped', detail: expect.stringMatching(/50 % reserve/) });
    fake.setSite(1001, { stormAlert: true });
    expect((await ch.readSettings!('1001')).stormGuardActive).toBe(true);
  });
});

describe('enphase-basic: error classes', () => {
  it('a lost reply to the settings write is unknown-outcome; findSent reads back that it landed; one write only', async () => {
    const ch = await setup({ gridCharge: false });
    fake.loseNextSettingsReply();
    const req = request({ mode: 'discharge', targetReservePercent: 12 });
    expect((await errorOf(ch.send(req))).kind).toBe('unknown-outcome');
    expect(await ch.findSent(req)).toMatchObject({ status: 'active', externalId: 'basic:1001:Self-consumption:12' });
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('5xx on a write is unknown-outcome (findSent reads back), on a read transient; 429 throttled; a revoked token auth', async () => {
    let ch = await setup({ gridCharge: false });
    fake.failNext(1, 503);
    expect((await errorOf(ch.send(request()))).kind).toBe('unknown-outcome');
    fake.failNext(1, 503);
    expect((await errorOf(ch.readSettings!('1001'))).kind).toBe('transient');
    await fake.close();
    ch = await setup({ gridCharge: false }, { perMinuteLimit: 0 });
    const throttled = await errorOf(ch.send(request()));
    expect(throttled).toMatchObject({ kind: 'throttled', httpStatus: 429 });
    expect(throttled.retryAfterMs).toBe(MIN); // the fake's minute quota ends at the next whole minute
    await fake.close();
    ch = await setup({ gridCharge: false }, { badToken: true });
    expect(await errorOf(ch.send(request()))).toMatchObject({ kind: 'auth', httpStatus: 401 });
  });
});
