/**
 * The ERCOT client's system forecast reports (NP3-565-CD load, NP4-732-CD wind, NP4-745-CD solar) against the fake:
 * paging, the shared 30/min limiter, DST hours (hour ending 24, the fall-back day's repeated hour by DSTFlag, an
 * ambiguous posting time), load rows of models not in use, bad rows. Expected instants are written out by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LOAD_FORECAST, SOLAR_FORECAST, WIND_FORECAST } from '../../../src/adapters/ercot/forecast-products.js';
import { RT_SPP } from '../../../src/adapters/ercot/products.js';
import { InvalidErcotData } from '../../../src/adapters/ercot/wire.js';
import { rtDay, startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => h?.stop());

const at = (iso: string) => Date.parse(iso);
const wind = (posted: string, date: string, he: number, stwpf: number, dst = false) => ({
  postedDatetime: posted, deliveryDate: date, hourEnding: he, STWPFSystemWide: stwpf, WGRPPSystemWide: stwpf - 100, COPHSLSystemWide: stwpf + 50,
  STWPFLoadZoneWest: stwpf / 2, STWPFLoadZoneNorth: null, genSystemWide: null, DSTFlag: dst,
});
const load = (posted: string, date: string, he: string, total: number, model: string, inUse: boolean, dst = false) => ({
  postedDatetime: posted, deliveryDate: date, hourEnding: he, coast: total / 4, east: null, systemTotal: total, model, inUseFlag: inUse, DSTFlag: dst,
});

describe('ErcotClient system forecasts against the fake ERCOT', () => {
  it('follows every page of a posting range and returns each region value once (ERCOT-wide and the zones ERCOT filled)', async () => {
    h = await startHarness({}, { pageSize: 5 });
    const rows = [];
    for (let he = 1; he <= 24; he++) rows.push(wind('2024-08-20T09:55:00', '2024-08-21', he, 1000 + he));
    h.fake.forecasts.upsert('NP4-732-CD', rows);
    h.fake.forecasts.upsert('NP4-732-CD', [wind('2024-08-20T10:55:00', '2024-08-21', 1, 5)]); // posted later: outside the range
    const got = await h.client.fetchSystemForecasts(WIND_FORECAST, { postedFromMs: at('2024-08-20T14:00:00Z'), postedToMs: at('2024-08-20T15:00:00Z') });
    const calls = h.fake.apiRequests('wpp_hrly_avrg_actl_fcast');
    expect(calls.map((c) => Number(c.query.page))).toEqual([1, 2, 3, 4, 5]);
    expect(calls[0].query).toMatchObject({ postedDatetimeFrom: '2024-08-20T09:00:00', postedDatetimeTo: '2024-08-20T10:00:00', size: '5' });
    const system = got.filter((r) => r.region === 'SYSTEM');
    expect(system).toHaveLength(24);
    expect(got.filter((r) => r.region === 'LZ_WEST')).toHaveLength(24);
    expect(got.filter((r) => r.region === 'LZ_NORTH')).toHaveLength(0); // null: left out, not zero
    // HE1 of 2024-08-21 (CDT) starts 05:00Z; posted 09:55 CDT = 14:55Z
    expect(system[0]).toMatchObject({ kind: 'wind', intervalStartMs: at('2024-08-21T05:00:00Z'), postedMs: at('2024-08-20T14:55:00Z'), valueMw: 1001 });
    expect(system[23]).toMatchObject({ intervalStartMs: at('2024-08-22T04:00:00Z'), valueMw: 1024 }); // HE24
  });

  it('tells the fall-back day\'s repeated hour by DSTFlag, reads hour ending 24:00, and an ambiguous posting time as the later instant', async () => {
    h = await startHarness();
    h.fake.forecasts.upsert('NP3-565-CD', [
      load('2024-11-03T01:30:00', '2024-11-03', '02:00', 41_000, 'E', true, true), // repeated HE2, listed first on purpose
      load('2024-11-03T01:30:00', '2024-11-03', '02:00', 40_000, 'E', true),
      load('2024-11-03T01:30:00', '2024-11-03', '24:00', 44_000, 'E', true),
      load('2024-11-03T01:30:00', '2024-11-03', '24:00', 99_000, 'A3', false), // not the model in use
    ]);
    const got = await h.client.fetchSystemForecasts(LOAD_FORECAST, { postedFromMs: at('2024-11-03T05:00:00Z'), postedToMs: at('2024-11-03T08:00:00Z') });
    expect(h.fake.apiRequests('lf_by_model_weather_zone')[0].query.inUseFlag).toBe('true');
    const system = got.filter((r) => r.region === 'SYSTEM').map((r) => [new Date(r.intervalStartMs).toISOString(), r.valueMw, r.model]);
    expect(system).toEqual([
      ['2024-11-03T07:00:00.000Z', 41_000, 'E'], // 01:00 CST
      ['2024-11-03T06:00:00.000Z', 40_000, 'E'], // 01:00 CDT
      ['2024-11-04T05:00:00.000Z', 44_000, 'E'], // 23:00 CST
    ]);
    // 01:30 happens twice that night (06:30Z CDT, 07:30Z CST): never claim it was known at the earlier one
    expect(new Set(got.map((r) => r.postedMs))).toEqual(new Set([at('2024-11-03T07:30:00Z')]));
  });

  it('fails naming the field when a required field is missing or a value is not a number, and on a spring-forward hour that does not exist', async () => {
    h = await startHarness();
    const range = { postedFromMs: at('2024-03-10T00:00:00Z'), postedToMs: at('2024-03-10T23:00:00Z') };
    h.fake.forecasts.upsert('NP4-745-CD', [{ postedDatetime: '2024-03-10T10:00:00', deliveryDate: '2024-03-10', hourEnding: 12, STPPFSystemWide: 'lots', DSTFlag: false }]);
    await expect(h.client.fetchSystemForecasts(SOLAR_FORECAST, range)).rejects.toThrow(/NP4-745-CD .*row 1.*field STPPFSystemWide/);
    h.fake.forecasts.upsert('NP4-745-CD', [{ postedDatetime: '2024-03-10T10:00:00', deliveryDate: '2024-03-10', hourEnding: 3, STPPFSystemWide: 0, DSTFlag: false }]);
    h.fake.forecasts.upsert('NP4-745-CD', [{ postedDatetime: '2024-03-10T10:00:00', deliveryDate: '2024-03-10', hourEnding: 12, STPPFSystemWide: 9000, DSTFlag: false }]);
    await expect(h.client.fetchSystemForecasts(SOLAR_FORECAST, range)).rejects.toThrow(/hour-ending 3 does not exist on 2024-03-10/);
    h.fake.omitField('NP4-745-CD', 'STPPFSystemWide');
    const error = await h.client.fetchSystemForecasts(SOLAR_FORECAST, range).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidErcotData);
    expect((error as Error).message).toMatch(/lacks field\(s\) STPPFSystemWide/);
  });

  it('shares the 30 requests per minute with the price reports (waits instead of being throttled)', async () => {
    h = await startHarness({ rateLimitPerMinute: 30 }, { pageSize: 2 });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 1).slice(0, 40)); // 20 pages
    const rows = [];
    for (let he = 1; he <= 24; he++) rows.push(wind('2024-08-20T09:55:00', '2024-08-21', he, he)); // 12 pages
    h.fake.forecasts.upsert('NP4-732-CD', rows);
    const t0 = h.clock.nowMs();
    const [prices, forecasts] = await Promise.all([
      h.client.fetchPrices(RT_SPP, { fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }),
      h.newClient().fetchSystemForecasts(WIND_FORECAST, { postedFromMs: at('2024-08-20T14:00:00Z'), postedToMs: at('2024-08-20T15:00:00Z') }),
    ]);
    expect(prices).toHaveLength(40);
    expect(forecasts.filter((r) => r.region === 'SYSTEM')).toHaveLength(24);
    expect(h.fake.apiRequests()).toHaveLength(32);
    expect(h.fake.apiRequests().filter((r) => r.status === 429)).toHaveLength(0);
    expect(h.clock.nowMs() - t0).toBeGreaterThanOrEqual(60_000);
  });
});
