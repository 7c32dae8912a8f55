import { describe, expect, it } from 'vitest';
import { getPriceCoverage, getPriceRevisions, getPrices, getPriceSeries, latestPriceStartMs, missingPriceStarts, upsertPrices, type PriceRecord } from '../../src/store/prices-repo.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';
import { InvalidPriceData } from '../../src/domain/errors.js';
import { backends, useDatabase } from './harness.js';

const T0 = Date.UTC(2024, 2, 10, 6, 0); // 2024-03-10 00:00 CST, the spring-forward day (92 intervals)
const FETCHED = Date.UTC(2024, 2, 11, 12, 0);

function day(point: string, n: number, price: (i: number) => number): PriceRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    market: 'rt15' as const,
    settlementPoint: point,
    intervalStartMs: T0 + i * INTERVAL_MS,
    intervalMinutes: 15,
    priceUsdPerMwh: price(i),
    source: 'test',
    fetchedAtMs: FETCHED,
  }));
}

describe.each(backends())('prices repository on $name', (backend) => {
  const db = useDatabase(backend);

  it('inserts, then re-ingesting the same values writes nothing', async () => {
    const records = day('HB_NORTH', 92, (i) => (i % 7 === 0 ? -12.5 : 20 + i * 0.37));
    const first = await upsertPrices(db().db, records);
    expect(first).toEqual({ inserted: 92, updated: 0, unchanged: 0 });
    const again = await upsertPrices(db().db, records);
    expect(again).toEqual({ inserted: 0, updated: 0, unchanged: 92 });
    const stored = await getPrices(db().db, { market: 'rt15', settlementPoint: 'HB_NORTH', startMs: T0, endMs: T0 + 92 * INTERVAL_MS });
    expect(stored).toHaveLength(92);
    expect(stored.map((p) => p.priceUsdPerMwh)).toEqual(records.map((r) => r.priceUsdPerMwh));
    expect(stored.every((p) => p.revision === 0)).toBe(true);
    expect(stored[0].intervalStartMs).toBe(T0);
    expect(stored[0].fetchedAtMs).toBe(FETCHED);
    const revisions = await getPriceRevisions(db().db, { market: 'rt15', settlementPoint: 'HB_NORTH', intervalStartMs: T0 });
    expect(revisions).toEqual([]);
  });

  it('a corrected price keeps the old value as a revision', async () => {
    const records = day('HB_WEST', 4, (i) => 30 + i);
    await upsertPrices(db().db, records);
    const corrected = { ...records[2], priceUsdPerMwh: 4999.99, fetchedAtMs: FETCHED + 3_600_000, source: 'correction' };
    const counts = await upsertPrices(db().db, [records[0], records[1], corrected, records[3]]);
    expect(counts).toEqual({ inserted: 0, updated: 1, unchanged: 3 });
    const twice = { ...corrected, priceUsdPerMwh: 5000 };
    expect((await upsertPrices(db().db, [twice])).updated).toBe(1);
    const [now] = await getPrices(db().db, { market: 'rt15', settlementPoint: 'HB_WEST', startMs: corrected.intervalStartMs, endMs: corrected.intervalStartMs + 1 });
    expect(now.priceUsdPerMwh).toBe(5000);
    expect(now.revision).toBe(2);
    const history = await getPriceRevisions(db().db, { market: 'rt15', settlementPoint: 'HB_WEST', intervalStartMs: corrected.intervalStartMs });
    expect(history.map((h) => [h.revision, h.priceUsdPerMwh, h.source])).toEqual([
      [0, 32, 'test'],
      [1, 4999.99, 'correction'],
    ]);
  });

  it('duplicates in one batch: the last wins; chunking gives the same result', async () => {
    const records = day('HB_SOUTH', 50, (i) => i);
    const dup = { ...records[10], priceUsdPerMwh: 999 };
    const counts = await upsertPrices(db().db, [...records, dup], { chunkSize: 7 });
    expect(counts.inserted).toBe(50);
    const stored = await getPrices(db().db, { market: 'rt15', settlementPoint: 'HB_SOUTH', startMs: T0, endMs: T0 + 50 * INTERVAL_MS });
    expect(stored[10].priceUsdPerMwh).toBe(999);
    expect(await latestPriceStartMs(db().db, 'rt15', 'HB_SOUTH')).toBe(T0 + 49 * INTERVAL_MS);
  });

  it('series, gaps and coverage', async () => {
    const records = day('HB_HOUSTON', 8, (i) => 10 * i).filter((_, i) => i !== 3 && i !== 4);
    await upsertPrices(db().db, records);
    const q = { market: 'rt15' as const, settlementPoint: 'HB_HOUSTON', startMs: T0, endMs: T0 + 8 * INTERVAL_MS };
    const series = await getPriceSeries(db().db, q);
    expect(series.pricesUsdPerMwh.length).toBe(8);
    expect(Number.isNaN(series.pricesUsdPerMwh[3])).toBe(true);
    expect(series.pricesUsdPerMwh[7]).toBe(70);
    expect(await missingPriceStarts(db().db, q)).toEqual([T0 + 3 * INTERVAL_MS, T0 + 4 * INTERVAL_MS]);
    const coverage = await getPriceCoverage(db().db, { settlementPoint: 'HB_HOUSTON' });
    expect(coverage).toEqual([
      expect.objectContaining({ market: 'rt15', settlementPoint: 'HB_HOUSTON', count: 6, firstStartMs: T0, lastStartMs: T0 + 7 * INTERVAL_MS, revisedCount: 0 }),
    ]);
  });

  it('rejects a non-finite price naming the record, and writes nothing', async () => {
    const records = day('LZ_AEN', 3, () => 1);
    records[1] = { ...records[1], priceUsdPerMwh: Number.NaN };
    await expect(upsertPrices(db().db, records)).rejects.toBeInstanceOf(InvalidPriceData);
    expect(await getPrices(db().db, { market: 'rt15', settlementPoint: 'LZ_AEN', startMs: T0, endMs: T0 + 10 * INTERVAL_MS })).toEqual([]);
  });
});
