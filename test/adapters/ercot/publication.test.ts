/**
 * The fake ERCOT server on a simulated clock (`publishedOnly`): real-time prices appear when their interval ends,
 * a day's DAM at 13:00 Central the day before; UTC series become wire rows whose DST flag marks the repeated hour of
 * the 2024-11-03 fall-back day (read back through the client's own row parser).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErcotClient } from '../../../src/adapters/ercot/client.js';
import { DAM_SPP, RT_SPP } from '../../../src/adapters/ercot/products.js';
import { typedRow } from '../../../src/adapters/ercot/wire.js';
import { FakeErcotData } from '../../../src/adapters/fakes/ercot/data.js';
import { wireRowsFromUtc } from '../../../src/adapters/fakes/ercot/publication.js';
import { FakeErcotServer } from '../../../src/adapters/fakes/ercot/server.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const DAY_START = Date.parse('2024-11-03T05:00:00Z'); // 00:00 CDT
const DAY_END = Date.parse('2024-11-04T06:00:00Z'); // 00:00 CST: 25 hours
const rtSeries = Array.from({ length: 100 }, (_, i) => ({ startMs: DAY_START + i * 900_000, priceUsdPerMwh: 20 + i }));
const damSeries = Array.from({ length: 25 }, (_, i) => ({ startMs: DAY_START + i * 3_600_000, priceUsdPerMwh: 30 + i }));

let server: FakeErcotServer | undefined;
afterEach(async () => server?.stop());

describe('fake ERCOT publication on a simulated clock', () => {
  it('UTC series → wire rows: 100 RT / 25 DAM rows on the fall-back day, the repeated hour flagged, instants kept', () => {
    const rt = wireRowsFromUtc('NP6-905-CD', 'HB_X', rtSeries);
    expect(rt.filter((r) => r.DSTFlag === true).map((r) => `${r.deliveryHour}.${r.deliveryInterval}`)).toEqual(['2.1', '2.2', '2.3', '2.4']);
    expect(rt.map((r) => typedRow(RT_SPP, r, 't').intervalStartMs)).toEqual(rtSeries.map((p) => p.startMs));
    const dam = wireRowsFromUtc('NP4-190-CD', 'HB_X', damSeries);
    expect(dam.filter((r) => r.DSTFlag === true).map((r) => r.hourEnding)).toEqual(['02:00']);
    expect(dam.map((r) => typedRow(DAM_SPP, r, 't').intervalStartMs)).toEqual(damSeries.map((p) => p.startMs));
    expect(rtSeries.at(-1)!.startMs + 900_000).toBe(DAY_END);
  });

  it('serves only what was published by now: RT after each interval ends, the DAM from 13:00 Central the day before', async () => {
    const data = new FakeErcotData();
    data.upsert('NP6-905-CD', wireRowsFromUtc('NP6-905-CD', 'HB_X', rtSeries));
    data.upsert('NP4-190-CD', wireRowsFromUtc('NP4-190-CD', 'HB_X', damSeries));
    const clock = new FixedClock(Date.parse('2024-11-02T17:59:00Z')); // 12:59 CDT on Nov 2
    server = await new FakeErcotServer({ clock, data, publishedOnly: true }).start();
    const client = new ErcotClient({ baseUrl: server.baseUrl, tokenUrl: server.tokenUrl, credentials: server.credentials, clock });
    const fetch = async (product: typeof RT_SPP) => (await client.fetchPrices(product, { fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_X'] })).length;
    expect(await fetch(DAM_SPP)).toBe(0);
    clock.set(Date.parse('2024-11-02T18:00:00Z')); // 13:00 CDT
    expect(await fetch(DAM_SPP)).toBe(25);
    expect(await fetch(RT_SPP)).toBe(0);
    clock.set(Date.parse('2024-11-03T07:14:59Z')); // 01:14:59 CDT: 8 intervals have ended
    expect(await fetch(RT_SPP)).toBe(8);
    clock.set(Date.parse('2024-11-03T07:30:00Z')); // 01:30 CST, inside the repeated hour: 10 intervals have ended
    expect(await fetch(RT_SPP)).toBe(10);
  });
});
