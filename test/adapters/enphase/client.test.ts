import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnphaseClient } from '../../../src/adapters/enphase/client.js';
import { BudgetExhausted, EnphaseRequestRejected, EnphaseThrottled, EnphaseUnavailable, SiteWithoutBattery } from '../../../src/adapters/enphase/errors.js';
import { checkBatteryIntervals, normaliseBatteryMode, parseFlag, normaliseGridState } from '../../../src/adapters/enphase/normalise.js';
import { authorizeUrl, exchangeCode } from '../../../src/adapters/enphase/oauth.js';
import { FakeEnphase, startFakeEnphase, type FakeEnphaseOptions } from '../../../src/adapters/fakes/enphase/server.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const T0 = Date.UTC(2024, 6, 15, 17, 0, 0); // 2024-07-15 12:00 CDT

let fake: FakeEnphase;
let clock: FixedClock;
let sleeps: number[];

async function setup(opts: FakeEnphaseOptions = {}) {
  clock = new FixedClock(T0);
  sleeps = [];
  fake = await startFakeEnphase({ clock, ...opts });
  const oauth = { baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'http://127.0.0.1/cb' };
  const tokens = await exchangeCode(oauth, fake.oauth.issueCode(), clock.nowMs());
  const client = new EnphaseClient({
    baseUrl: fake.url, apiKey: fake.apiKey, clock,
    tokens: { accessToken: async () => tokens.accessToken },
    sleep: async (ms) => { sleeps.push(ms); clock.advance(ms); },
  });
  return client;
}

afterEach(async () => fake?.close());

describe('Enphase OAuth against the fake', () => {
  beforeEach(async () => {
    clock = new FixedClock(T0);
    fake = await startFakeEnphase({ clock });
  });

  it('builds the authorize URL and exchanges a code with Basic client auth', async () => {
    const url = new URL(authorizeUrl({ baseUrl: fake.url, clientId: 'fake-client', redirectUri: 'http://127.0.0.1:9/cb' }));
    expect(url.pathname).toBe('/oauth/authorize');
    expect(url.searchParams.get('response_type')).toBe('code');
    const t = await exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, fake.oauth.issueCode(), T0);
    expect(t.expiresAtMs).toBe(T0 + 86_400_000);
    expect(t.refreshToken).not.toBe(t.accessToken);
  });

  it('refuses a wrong client secret and a code used twice', async () => {
    const code = fake.oauth.issueCode();
    await expect(exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'wrong', redirectUri: 'x' }, code, T0)).rejects.toBeInstanceOf(EnphaseRequestRejected);
    await exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, code, T0);
    await expect(exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, code, T0)).rejects.toBeInstanceOf(EnphaseRequestRejected);
  });
});

describe('EnphaseClient against the fake', () => {
  it('lists systems and reads the battery capacity from summary', async () => {
    const client = await setup();
    const systems = await client.listSystems();
    expect(systems.map((s) => s.system_id)).toEqual([1001, 1002]);
    const summary = await client.summary(1001);
    expect(summary.battery_capacity_wh).toBe(13_500);
    expect((await client.summary(1002)).battery_capacity_wh).toBeUndefined();
  });

  it('sends the API key and bearer token on every call (the fake refuses otherwise)', async () => {
    await setup();
    const bad = new EnphaseClient({ baseUrl: fake.url, apiKey: 'wrong', clock, tokens: { accessToken: async () => 'nope' } });
    const before = fake.apiRequests().length;
    await expect(bad.summary(1001)).rejects.toBeInstanceOf(EnphaseRequestRejected);
    expect(fake.apiRequests().length).toBeGreaterThan(before); // the refused call reached the fake (else every() holds vacuously)
    expect(fake.apiRequests().every((r) => r.query.key !== undefined)).toBe(true);
  });

  it('reads a day of battery telemetry: 15-minute intervals, SoC in range, "97%" strings parsed', async () => {
    const client = await setup({ socAsString: true });
    const day = await client.batteryTelemetry(1001, (T0 - 86_400_000) / 1000);
    expect(day.intervals.length).toBe(96);
    expect(typeof (day.intervals[0].soc as { percent: unknown }).percent).toBe('string');
    const checked = checkBatteryIntervals(day.intervals);
    expect(checked.quarantined).toEqual([]);
    expect(checked.ok).toHaveLength(96);
    expect(checked.ok.every((r) => r.socPercent >= 20 && r.socPercent <= 100 && r.endMs % 900_000 === 0)).toBe(true);
    expect(day.last_reported_aggregate_soc).toMatch(/^\d+%$/);
  });

  it('returns an empty list past the last reported interval', async () => {
    const client = await setup();
    const later = await client.batteryTelemetry(1001, T0 / 1000 + 60);
    expect(later.intervals).toEqual([]);
  });

  it('maps 422 on battery endpoints of a site without batteries to SiteWithoutBattery', async () => {
    const client = await setup();
    await expect(client.batteryTelemetry(1002, (T0 - 3_600_000) / 1000)).rejects.toBeInstanceOf(SiteWithoutBattery);
    await expect(client.batterySettings(1002)).rejects.toBeInstanceOf(SiteWithoutBattery);
    expect((await client.consumptionTelemetry(1002, (T0 - 3_600_000) / 1000)).intervals.length).toBe(4);
  });

  it('normalises the battery mode spellings the fake varies', async () => {
    const client = await setup({ modeSpellings: 'messy' });
    const seen = new Set<string>();
    for (const mode of ['Savings Mode', 'Self-consumption', 'Full Backup']) {
      fake.setSite(1001, { batteryMode: mode });
      for (let i = 0; i < 4; i++) {
        const s = await client.batterySettings(1001);
        seen.add(s.battery_mode);
        expect(normaliseBatteryMode(s.battery_mode)).toBe(mode === 'Savings Mode' ? 'savings' : mode === 'Full Backup' ? 'full_backup' : 'self_consumption');
      }
    }
    expect(seen.size).toBeGreaterThan(6);
    expect(normaliseBatteryMode('Turbo')).toBeUndefined();
  });

  it('reads storm guard and grid status', async () => {
    const client = await setup();
    fake.setSite(1001, { stormAlert: true, gridState: 'Off Grid' });
    const sg = await client.stormGuard(1001);
    expect(parseFlag(sg.storm_alert)).toBe(true);
    expect(parseFlag(sg.storm_guard_status)).toBe(true);
    expect(normaliseGridState((await client.gridStatus(1001)).grid_state)).toBe('off_grid');
  });

  it('on 429 waits until period_end from the body, then retries', async () => {
    const client = await setup({ perMinuteLimit: 2 });
    clock.set(T0 + 10_000); // 10 s into the minute
    await client.summary(1001);
    await client.summary(1001);
    const before = fake.apiRequests().length;
    await client.summary(1001); // third call in the minute: 429, wait, retry
    const log = fake.apiRequests().slice(before);
    expect(log.map((r) => r.status)).toEqual([429, 200]);
    expect(sleeps).toHaveLength(1);
    expect(clock.nowMs()).toBeGreaterThanOrEqual(T0 + 60_000);
    expect(sleeps[0]).toBe(T0 + 60_000 - (T0 + 10_000) + 1000);
  });

  it('does not sleep for a month: a monthly 429 is an EnphaseThrottled with period_end', async () => {
    const client = await setup({ perMonthLimit: 1 });
    await client.summary(1001);
    const err = await client.summary(1001).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnphaseThrottled);
    expect((err as EnphaseThrottled).period).toBe('month');
    expect((err as EnphaseThrottled).periodEndMs).toBe(Date.UTC(2024, 7, 1));
    expect(sleeps).toEqual([]);
  });

  it('retries 5xx with backoff and gives up with a retryable error', async () => {
    const client = await setup();
    fake.failNext(2, 503);
    expect((await client.summary(1001)).system_id).toBe(1001);
    expect(sleeps).toEqual([1000, 3000]);
    fake.failNext(3, 500);
    await expect(client.summary(1001)).rejects.toBeInstanceOf(EnphaseUnavailable);
  });
});

describe('Enphase calls reserved at once near a minute\'s end', () => {
  // Enphase counts a call in the minute it arrives: several calls reserved at 12:00:57 and sent over the next second
  // or two would land partly in 12:01, on top of 12:01's own reservations.
  it('are counted in the next minute too when fewer than 5 s are left, without waiting; a single call or an earlier reservation only in its own', async () => {
    const reserved: { atMs: number; calls: number }[] = [];
    const budget = { reserve: async (nowMs: number, calls = 1) => void reserved.push({ atMs: nowMs, calls }), throttled: async () => undefined };
    const waits: number[] = [];
    const c = new FixedClock(T0 + 57_000);
    const client = new EnphaseClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', clock: c, tokens: { accessToken: async () => 't' }, budget, sleep: async (ms) => { waits.push(ms); c.advance(ms); } });
    await client.withCallsReserved(6);
    expect(reserved).toEqual([{ atMs: T0 + 57_000, calls: 6 }, { atMs: T0 + 60_000, calls: 6 }]);
    c.set(T0 + 2 * 60_000 + 54_000); // 6 s left: its own minute only
    await client.withCallsReserved(6);
    c.set(T0 + 3 * 60_000 + 58_000); // a single call: its own minute only
    await client.withCallsReserved(1);
    expect(reserved.map((r) => r.atMs - T0)).toEqual([57_000, 60_000, 174_000, 238_000]);
    expect(waits).toEqual([]);
  });

  it('refused in the next minute, the calls are not given (what the first minute counted stays counted)', async () => {
    const c = new FixedClock(T0 + 58_000);
    const budget = {
      reserve: async (nowMs: number) => { if (nowMs >= T0 + 60_000) throw new BudgetExhausted('minute', T0 + 120_000); },
      throttled: async () => undefined,
    };
    const client = new EnphaseClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', clock: c, tokens: { accessToken: async () => 't' }, budget });
    await expect(client.withCallsReserved(6)).rejects.toBeInstanceOf(BudgetExhausted);
  });
});
