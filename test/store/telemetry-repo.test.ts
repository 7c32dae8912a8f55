import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { getTelemetry, latestTelemetry, telemetryGaps, upsertTelemetry, upsertTelemetryMerged, type TelemetryRecord } from '../../src/store/telemetry-repo.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';
import { backends, useDatabase } from './harness.js';
import { testSite } from './fixtures.js';

const START = Date.UTC(2024, 10, 3, 5, 0); // 2024-11-03 00:00 CDT, the fall-back day (100 intervals)

function rows(siteId: string, n: number, skip: number[] = []): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let i = 1; i <= n; i++) {
    if (skip.includes(i)) continue;
    out.push({
      siteId,
      intervalEndMs: START + i * INTERVAL_MS,
      socPercent: 20 + (i % 60),
      chargeWh: i % 3 === 0 ? 1250 : 0,
      dischargeWh: i % 5 === 0 ? 800.5 : 0,
      consumptionWh: 400 + i,
      productionWh: i > 40 && i < 70 ? 900 : 0,
      devicesReporting: i === 7 ? null : 2,
    });
  }
  return out;
}

describe.each(backends())('telemetry repository on $name', (backend) => {
  const db = useDatabase(backend);
  beforeAll(async () => {
    await upsertSite(db().db, testSite('site-a'));
    await upsertSite(db().db, testSite('site-b'));
  });

  it('upserts by (site, interval end); identical re-sends write nothing, changes overwrite', async () => {
    const day = rows('site-a', 100);
    expect(await upsertTelemetry(db().db, day, { chunkSize: 33 })).toEqual({ written: 100, unchanged: 0 });
    expect(await upsertTelemetry(db().db, day)).toEqual({ written: 0, unchanged: 100 });
    const changed = { ...day[9], socPercent: 99.5 };
    expect(await upsertTelemetry(db().db, [changed])).toEqual({ written: 1, unchanged: 0 });
    const stored = await getTelemetry(db().db, 'site-a', START, START + 100 * INTERVAL_MS);
    expect(stored).toHaveLength(100);
    expect(stored[9].socPercent).toBe(99.5);
    expect(stored[6].devicesReporting).toBeNull();
    expect(stored[4].dischargeWh).toBe(800.5);
    expect(stored[0].intervalEndMs).toBe(START + INTERVAL_MS);
    expect((await latestTelemetry(db().db, 'site-a'))?.intervalEndMs).toBe(START + 100 * INTERVAL_MS);
    expect(await getTelemetry(db().db, 'site-b', START, START + 100 * INTERVAL_MS)).toEqual([]);
  });

  it('with `columns`, merges one product into stored rows: the other columns keep their values', async () => {
    await upsertSite(db().db, testSite('site-c'));
    const end = START + 3 * INTERVAL_MS;
    const empty = { siteId: 'site-c', intervalEndMs: end, socPercent: null, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: null };
    expect(await upsertTelemetry(db().db, [{ ...empty, socPercent: 55, chargeWh: 100, dischargeWh: 0 }], { columns: ['soc_percent', 'charge_wh', 'discharge_wh'] })).toEqual({ written: 1, unchanged: 0 });
    expect(await upsertTelemetry(db().db, [{ ...empty, consumptionWh: 420 }], { columns: ['consumption_wh'] })).toEqual({ written: 1, unchanged: 0 });
    // the same consumption again writes nothing; a production reading leaves SoC and consumption alone
    expect(await upsertTelemetry(db().db, [{ ...empty, consumptionWh: 420 }], { columns: ['consumption_wh'] })).toEqual({ written: 0, unchanged: 1 });
    await upsertTelemetry(db().db, [{ ...empty, productionWh: 900 }], { columns: ['production_wh'] });
    const [row] = await getTelemetry(db().db, 'site-c', end - INTERVAL_MS, end);
    expect(row).toMatchObject({ socPercent: 55, chargeWh: 100, dischargeWh: 0, consumptionWh: 420, productionWh: 900, devicesReporting: null });
  });

  it('a poll\'s products in one statement: rows merge by interval end, stored columns not in the poll are kept, counts per product, and the extra statement runs with it', async () => {
    await upsertSite(db().db, testSite('site-m'));
    const e1 = START + 900 * INTERVAL_MS;
    const e2 = e1 + INTERVAL_MS;
    const empty = { siteId: 'site-m', socPercent: null, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: null };
    // stored before: e1 has a consumption reading and a device count from an earlier poll
    await upsertTelemetry(db().db, [{ ...empty, intervalEndMs: e1, consumptionWh: 300, devicesReporting: 3 }]);
    const poll = [
      { ...empty, intervalEndMs: e1, socPercent: 40, chargeWh: 0, dischargeWh: 250 }, // battery product
      { ...empty, intervalEndMs: e1, consumptionWh: 300 }, // consumption product, unchanged
      { ...empty, intervalEndMs: e1, productionWh: 120 }, // production product
      { ...empty, intervalEndMs: e2, consumptionWh: 310 },
    ];
    const also = sql`update sites set name = 'merged poll' where site_id = 'site-m'`;
    expect(await upsertTelemetryMerged(db().db, poll, also)).toEqual({ written: 2, battery: 1, consumption: 1, production: 1 });
    const stored = await getTelemetry(db().db, 'site-m', e1 - INTERVAL_MS, e2);
    expect(stored.map(({ receivedAtMs: _, ...r }) => r)).toEqual([
      { ...empty, intervalEndMs: e1, socPercent: 40, chargeWh: 0, dischargeWh: 250, consumptionWh: 300, productionWh: 120, devicesReporting: 3 },
      { ...empty, intervalEndMs: e2, consumptionWh: 310 },
    ]);
    expect((await db().db.selectFrom('sites').select('name').where('site_id', '=', 'site-m').executeTakeFirstOrThrow()).name).toBe('merged poll');
    // the same poll again writes nothing and counts nothing
    expect(await upsertTelemetryMerged(db().db, poll)).toEqual({ written: 0, battery: 0, consumption: 0, production: 0 });
  });

  it('lists missing intervals as ends and as ranges', async () => {
    await upsertTelemetry(db().db, rows('site-b', 12, [1, 5, 6, 7, 12]));
    const gaps = await telemetryGaps(db().db, 'site-b', START, START + 12 * INTERVAL_MS);
    expect(gaps.expected).toBe(12);
    expect(gaps.missingEndsMs).toEqual([1, 5, 6, 7, 12].map((i) => START + i * INTERVAL_MS));
    expect(gaps.ranges).toEqual([
      { startMs: START, endMs: START + INTERVAL_MS },
      { startMs: START + 4 * INTERVAL_MS, endMs: START + 7 * INTERVAL_MS },
      { startMs: START + 11 * INTERVAL_MS, endMs: START + 12 * INTERVAL_MS },
    ]);
    const none = await telemetryGaps(db().db, 'site-b', START + INTERVAL_MS, START + 4 * INTERVAL_MS);
    expect(none.missingEndsMs).toEqual([]);
  });

  it('rejects telemetry of an unknown site (foreign key) and writes nothing of the batch', async () => {
    const batch = [...rows('site-a', 2).map((r) => ({ ...r, intervalEndMs: r.intervalEndMs + 500 * INTERVAL_MS })), ...rows('nope', 1)];
    await expect(upsertTelemetry(db().db, batch)).rejects.toThrow();
    expect(await getTelemetry(db().db, 'site-a', START + 500 * INTERVAL_MS, START + 600 * INTERVAL_MS)).toEqual([]);
  });
});
