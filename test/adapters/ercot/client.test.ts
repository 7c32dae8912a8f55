import { afterEach, describe, expect, it } from 'vitest';
import { DAM_SPP, RT_SPP, SCED_LMP } from '../../../src/adapters/ercot/products.js';
import { InvalidErcotData } from '../../../src/adapters/ercot/wire.js';
import { PermanentError, RetryableError } from '../../../src/domain/errors.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS, HOUR_MS } from '../../../src/domain/time/interval.js';
import { FAKE_TOKEN_PATH } from '../../../src/adapters/fakes/ercot/server.js';
import { rtDay, startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => h?.stop());

describe('ErcotClient against the fake ERCOT server', () => {
  it('follows pagination across many pages and returns every row once, with both credentials on every call', async () => {
    h = await startHarness({}, { pageSize: 7 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', (hr, i) => hr * 10 + i));
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    const calls = h.fake.apiRequests('spp_node_zone_hub');
    expect(calls).toHaveLength(Math.ceil(96 / 7));
    expect(calls.map((c) => Number(c.query.page))).toEqual(calls.map((_, i) => i + 1));
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(rows).toHaveLength(96);
    expect(new Set(rows.map((r) => r.intervalStartMs)).size).toBe(96);
    const day = ercotDay('2024-08-20');
    expect(rows[0].intervalStartMs).toBe(day.startMs);
    expect(rows.find((r) => r.intervalStartMs === day.startMs + 5 * INTERVAL_MS)?.priceUsdPerMwh).toBe(22); // HE2 interval 2
  });

  it('respects 30 requests per minute with the shared bucket (waits instead of sending more)', async () => {
    h = await startHarness({ rateLimitPerMinute: 30 }, { pageSize: 2 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    const t0 = h.clock.nowMs();
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.fake.apiRequests().filter((r) => r.status === 429)).toHaveLength(0);
    // 48 requests at 30/min: the 31st had to wait for the first minute to pass.
    expect(h.clock.nowMs() - t0).toBeGreaterThanOrEqual(60_000);
  });

  it('shares one limiter between clients: two clients together still send at most 30 requests a minute', async () => {
    h = await startHarness({ rateLimitPerMinute: 30 }, { pageSize: 4 });
    for (const p of ['HB_NORTH', 'HB_SOUTH']) h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', p, () => 1));
    const other = h.newClient();
    const t0 = h.clock.nowMs();
    const [a, b] = await Promise.all([
      h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }),
      other.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_SOUTH'] }),
    ]);
    expect(a).toHaveLength(96);
    expect(b).toHaveLength(96);
    expect(h.fake.apiRequests()).toHaveLength(48);
    expect(h.fake.apiRequests().filter((r) => r.status === 429)).toHaveLength(0);
    expect(h.clock.nowMs() - t0).toBeGreaterThanOrEqual(60_000);
  });

  it('fetches exactly one new token when the id_token expires mid-run, also with many concurrent waiters', async () => {
    h = await startHarness({ tokenLifetimeS: 120, rateLimitPerMinute: 30 }, { pageSize: 1 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-19', 'HB_NORTH', () => 1).slice(0, 1));
    const t0 = h.clock.nowMs();
    // 96 pages at 30/min take three minutes of virtual time; the 120 s token must be renewed once, before expiry.
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.clock.nowMs() - t0).toBeGreaterThanOrEqual(180_000);
    expect(h.fake.tokenRequests).toBe(2);
    h.clock.advance(120_000); // the second token is now past its renewal point; eight callers need one at once
    const all = await Promise.all(Array.from({ length: 8 }, () =>
      h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-19', toDate: '2024-08-19', settlementPoints: ['HB_NORTH'] })));
    expect(all.every((r) => r.length === 1)).toBe(true);
    expect(h.fake.tokenRequests).toBe(3);
    expect(h.fake.apiRequests().filter((r) => r.status === 401 || r.status === 429)).toHaveLength(0);
  });

  it('recovers with one new token when the server says the token expired (401)', async () => {
    h = await startHarness({ tokenLifetimeS: 3600 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    h.fake.enqueue({ status: 401, body: '{"statusCode":401,"message":"Token expired."}' });
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.fake.tokenRequests).toBe(2);
  });

  it('backs off on 429 and then succeeds', async () => {
    h = await startHarness();
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    h.fake.enqueue({ status: 429 }, { status: 429, headers: { 'retry-after': '7' } });
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.client.http.stats.throttled).toBe(2);
    expect(h.slept).toContain(2000); // "Try again in 2 seconds."
    expect(h.slept).toContain(7000); // Retry-After: 7
  });

  it('retries 5xx with growing jittered backoff, then fails with a RetryableError naming product, dates and page', async () => {
    h = await startHarness({}, { retry: { maxAttempts: 4, baseDelayMs: 1000 } });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    h.fake.enqueue(...Array.from({ length: 10 }, () => ({ status: 503 })));
    const err = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toMatch(/NP6-905-CD 2024-08-20\.\.2024-08-20 HB_NORTH page 1: HTTP 503 after 4 attempts/);
    const backoffs = h.slept.filter((ms) => ms >= 500);
    expect(backoffs).toEqual([750, 1500, 3000]);
    expect(h.fake.apiRequests()).toHaveLength(4);
  });

  it('retries a token request whose connection was reset or that got a 5xx, then fetches', async () => {
    h = await startHarness();
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    h.fake.enqueue({ path: FAKE_TOKEN_PATH, reset: true }, { path: FAKE_TOKEN_PATH, status: 503 });
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.fake.requests.filter((r) => r.path === FAKE_TOKEN_PATH)).toHaveLength(3);
    expect(h.client.http.stats.retries).toBe(2);
  });

  it('times out a slow response and retries it', async () => {
    h = await startHarness({}, { timeoutMs: 200 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    h.fake.enqueue({ delayMs: 1000 });
    const rows = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(rows).toHaveLength(96);
    expect(h.client.http.stats.retries).toBe(1);
  });

  it('refuses wrong credentials permanently without putting them in the message', async () => {
    h = await startHarness();
    const c = h.newClient({ credentials: { username: 'someone', password: 'hunter2-secret', subscriptionKey: h.fake.credentials.subscriptionKey } });
    const err = await c.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).not.toMatch(/hunter2/);
  });

  it('tells apart the fall-back day\'s repeated hour by DSTFlag, not by row order (100 intervals)', async () => {
    h = await startHarness({}, { pageSize: 13 });
    const rows = rtDay('2024-11-03', 'HB_HOUSTON', (hr, i) => hr * 100 + i);
    const repeated = [1, 2, 3, 4].map((i) => ({ ...rows[4 + i - 1], settlementPointPrice: -(200 + i), DSTFlag: true }));
    h.fake.data.upsert('NP6-905-CD', [...repeated, ...rows.reverse()]); // repeated copy first, the rest reversed
    const got = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_HOUSTON'] });
    const day = ercotDay('2024-11-03');
    expect(got).toHaveLength(100);
    const sorted = [...got].sort((a, b) => a.intervalStartMs - b.intervalStartMs);
    expect(sorted.map((r) => r.intervalStartMs)).toEqual(Array.from({ length: 100 }, (_, k) => day.startMs + k * INTERVAL_MS));
    // 01:00 CDT = 06:00Z (first HE2), 01:00 CST = 07:00Z (repeated HE2, flagged)
    expect(got.find((r) => r.intervalStartMs === Date.parse('2024-11-03T06:00:00Z'))?.priceUsdPerMwh).toBe(201);
    expect(got.find((r) => r.intervalStartMs === Date.parse('2024-11-03T07:00:00Z'))?.priceUsdPerMwh).toBe(-201);
  });

  it('has 92 intervals on the spring-forward day and maps DAM "24:00" to the next midnight', async () => {
    h = await startHarness();
    const spring = rtDay('2024-03-10', 'HB_WEST', () => 5).filter((r) => r.deliveryHour !== 3);
    h.fake.data.upsert('NP6-905-CD', spring.reverse());
    const got = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-03-10', toDate: '2024-03-10', settlementPoints: ['HB_WEST'] });
    expect(got).toHaveLength(92);
    expect(new Set(got.map((r) => r.intervalStartMs)).size).toBe(92);
    h.fake.data.upsert('NP4-190-CD', [{ deliveryDate: '2024-08-20', hourEnding: '24:00', settlementPoint: 'HB_WEST', settlementPointPrice: 41.5, DSTFlag: false }]);
    const dam = await h.client.fetchPrices(DAM_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_WEST'] });
    expect(dam).toHaveLength(1);
    expect(dam[0].intervalStartMs).toBe(ercotDay('2024-08-20').endMs - HOUR_MS);
    expect(dam[0].intervalStartMs).toBe(Date.parse('2024-08-21T04:00:00Z'));
  });

  it('places SCED runs inside the repeated fall-back hour by repeatHourFlag, not by row order', async () => {
    h = await startHarness();
    h.fake.data.upsert('NP6-788-CD', [
      { SCEDTimestamp: '2024-11-03T01:10:05', repeatHourFlag: true, settlementPoint: 'HB_HOUSTON', LMP: 21 },
      { SCEDTimestamp: '2024-11-03T01:10:07', repeatHourFlag: false, settlementPoint: 'HB_HOUSTON', LMP: 20 },
    ]);
    const got = await h.client.fetchPrices(SCED_LMP, { fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_HOUSTON'] });
    expect(got.map((r) => [new Date(r.intervalStartMs).toISOString(), r.priceUsdPerMwh])).toEqual([
      ['2024-11-03T07:10:05.000Z', 21], // 01:10:05 CST (second 01:00 hour)
      ['2024-11-03T06:10:07.000Z', 20], // 01:10:07 CDT
    ]);
  });

  it('drops LZEW rows so a load zone\'s LZ and LZEW prices never collide', async () => {
    h = await startHarness();
    h.fake.data.upsert('NP6-905-CD', [...rtDay('2024-08-20', 'LZ_HOUSTON', () => 30, 'LZ'), ...rtDay('2024-08-20', 'LZ_HOUSTON', () => 31, 'LZEW')]);
    const got = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['LZ_HOUSTON'] });
    expect(got).toHaveLength(96);
    expect(got.every((r) => r.priceUsdPerMwh === 30 && r.settlementPointType === 'LZ')).toBe(true);
  });

  it('keeps prices above $5,000 and below zero as they are', async () => {
    h = await startHarness();
    h.fake.data.upsert('NP6-788-CD', [
      { SCEDTimestamp: '2024-08-20T19:27:00', repeatHourFlag: false, settlementPoint: 'HB_HOUSTON', LMP: 5006.59 },
      { SCEDTimestamp: '2024-08-20T19:31:10', repeatHourFlag: false, settlementPoint: 'HB_HOUSTON', LMP: -74.11 },
    ]);
    const got = await h.client.fetchPrices(SCED_LMP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_HOUSTON'] });
    expect(got.map((r) => r.priceUsdPerMwh)).toEqual([5006.59, -74.11]);
    expect(got[0].intervalStartMs).toBe(Date.parse('2024-08-21T00:27:00Z'));
  });

  it.each([
    ['malformed JSON', (hh: Harness) => hh.fake.enqueue({ status: 200, body: '{"_meta": {"totalPages": 1,' }), /not valid JSON/],
    ['a missing field', (hh: Harness) => hh.fake.omitField('NP6-905-CD', 'settlementPointPrice'), /lacks field\(s\) settlementPointPrice/],
    ['a non-numeric price', (hh: Harness) => hh.fake.data.upsert('NP6-905-CD', [{ ...rtDay('2024-08-20', 'HB_NORTH', () => 1)[9], settlementPointPrice: 'N/A' }]), /row 10 \(date 2024-08-20\): field settlementPointPrice/],
    ['an unknown settlement point', (hh: Harness) => hh.fake.enqueue({ status: 200, body: JSON.stringify({ _meta: { totalPages: 1, currentPage: 1 }, fields: RT_SPP.fields.map((name) => ({ name })), data: [['2024-08-20', 1, 1, 'HB_NOWHERE', 'HU', 5, false]] }) }), /unknown settlement point "HB_NOWHERE".*2024-08-20/],
  ])('fails on %s with an error naming product, date and row', async (_name, setup, pattern) => {
    h = await startHarness();
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1));
    setup(h);
    const err = await h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidErcotData);
    expect(err.message).toMatch(/NP6-905-CD/);
    expect(err.message).toMatch(/2024-08-20/);
    expect(err.message).toMatch(pattern);
  });
});
