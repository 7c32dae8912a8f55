import { afterEach, describe, expect, it } from 'vitest';
import { DAM_SPP, RT_SPP } from '../../../src/adapters/ercot/products.js';
import { InvalidErcotData } from '../../../src/adapters/ercot/wire.js';
import { silentLogger } from '../../../src/app/logger.js';
import { backfill, findGaps } from '../../../src/app/ingest/gaps.js';
import { ingestPrices, type IngestDeps } from '../../../src/app/ingest/price-ingest.js';
import { RetryableError } from '../../../src/domain/errors.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { getPriceCoverage, getPriceRevisions, getPrices } from '../../../src/store/prices-repo.js';
import { rtDay, startHarness, type Harness } from '../../adapters/ercot/harness.js';
import { backends, useDatabase } from '../../store/harness.js';
import { ercotDatasetText } from '../../datasets.js';


describe.each(backends())('price ingest into $name', (backend) => {
  const database = useDatabase(backend);
  let h: Harness;
  afterEach(async () => h?.stop());

  async function setup(fakeOptions = {}, clientOptions = {}): Promise<IngestDeps> {
    h = await startHarness(fakeOptions, clientOptions);
    await database().db.deleteFrom('price_revisions').execute();
    await database().db.deleteFrom('prices').execute();
    return { db: database().db, client: h.client, clock: h.clock, logger: silentLogger() };
  }

  async function snapshot() {
    return (await database().db.selectFrom('prices').select(['market', 'settlement_point', 'interval_start', 'price_usd_per_mwh', 'revision']).orderBy('settlement_point').orderBy('interval_start').execute())
      .map((r) => `${r.market}|${r.settlement_point}|${r.interval_start.toISOString()}|${r.price_usd_per_mwh}|${r.revision}`);
  }

  it('stores a day, changes nothing when re-run, and keeps a revision when ERCOT corrects a price', async () => {
    const deps = await setup();
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', (hr, i) => hr + i / 10));
    const first = await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(first).toMatchObject({ rows: 96, inserted: 96, updated: 0 });
    const before = await snapshot();
    const again = await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(again).toMatchObject({ rows: 96, inserted: 0, updated: 0, unchanged: 96 });
    expect(await snapshot()).toEqual(before);

    const corrected = { ...rtDay('2024-08-20', 'HB_NORTH', () => 0)[77], settlementPointPrice: 123.45 }; // HE20 interval 2
    h.fake.data.upsert('NP6-905-CD', [corrected]);
    const third = await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    expect(third).toMatchObject({ inserted: 0, updated: 1, unchanged: 95 });
    const startMs = ercotDay('2024-08-20').startMs + 77 * INTERVAL_MS;
    const [stored] = await getPrices(deps.db, { market: 'rt15', settlementPoint: 'HB_NORTH', startMs, endMs: startMs + INTERVAL_MS });
    expect(stored).toMatchObject({ priceUsdPerMwh: 123.45, revision: 1 });
    const revisions = await getPriceRevisions(deps.db, { market: 'rt15', settlementPoint: 'HB_NORTH', intervalStartMs: startMs });
    expect(revisions.map((r) => r.priceUsdPerMwh)).toEqual([20 + 2 / 10]);
  });

  it('stores both DST days with 92 and 100 intervals and no gaps, prices above $5,000 and below zero as they are', async () => {
    const deps = await setup();
    const spring = rtDay('2024-03-10', 'HB_WEST', (hr) => (hr === 5 ? -12.5 : 20)).filter((r) => r.deliveryHour !== 3);
    const fall = rtDay('2024-11-03', 'HB_WEST', (hr) => (hr === 19 ? 5006.59 : 30));
    const repeated = fall.filter((r) => r.deliveryHour === 2).map((r) => ({ ...r, DSTFlag: true, settlementPointPrice: 31 }));
    h.fake.data.upsert('NP6-905-CD', [...spring.reverse(), ...repeated, ...fall.reverse()]);
    await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-03-10', toDate: '2024-03-10', settlementPoints: ['HB_WEST'] });
    await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_WEST'] });
    for (const [date, n] of [['2024-03-10', 92], ['2024-11-03', 100]] as const) {
      const d = ercotDay(date);
      const rows = await getPrices(deps.db, { market: 'rt15', settlementPoint: 'HB_WEST', startMs: d.startMs, endMs: d.endMs });
      expect(rows).toHaveLength(n);
    }
    const gaps = await findGaps(deps.db, { market: 'rt15', settlementPoints: ['HB_WEST'], fromDate: '2024-03-10', toDate: '2024-03-10', nowMs: h.clock.nowMs() });
    expect(gaps[0].missing).toBe(0);
    const prices = (await getPrices(deps.db, { market: 'rt15', settlementPoint: 'HB_WEST', startMs: 0, endMs: Date.parse('2030-01-01') })).map((p) => p.priceUsdPerMwh);
    expect(prices).toContain(5006.59);
    expect(prices).toContain(-12.5);
    const atRepeat = await getPrices(deps.db, { market: 'rt15', settlementPoint: 'HB_WEST', startMs: Date.parse('2024-11-03T07:00:00Z'), endMs: Date.parse('2024-11-03T08:00:00Z') });
    expect(atRepeat.map((p) => p.priceUsdPerMwh)).toEqual([31, 31, 31, 31]);
  });

  it('ingests real DAM rows (bundled data, unsorted) for both DST days: 23 and 25 hours', async () => {
    const deps = await setup();
    h.fake.data.loadCsv(ercotDatasetText('dam-spp-hourly/dam_spp_HB_HOUSTON.csv.gz'));
    const r = await ingestPrices(deps, { product: DAM_SPP, fromDate: '2024-03-10', toDate: '2024-03-10', settlementPoints: ['HB_HOUSTON'] });
    expect(r.rows).toBe(23);
    const r2 = await ingestPrices(deps, { product: DAM_SPP, fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_HOUSTON'] });
    expect(r2.rows).toBe(25);
    const gaps = await findGaps(deps.db, { market: 'dam', settlementPoints: ['HB_HOUSTON'], fromDate: '2024-11-03', toDate: '2024-11-03', nowMs: h.clock.nowMs() });
    expect(gaps[0].missing).toBe(0);
  });

  it('fails a 5xx storm with a clear RetryableError and writes nothing of the run', async () => {
    const deps = await setup({}, { retry: { maxAttempts: 3 } });
    for (const p of ['HB_NORTH', 'HB_SOUTH']) h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', p, () => 10));
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-19', 'HB_NORTH', () => 9));
    await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-19', toDate: '2024-08-19', settlementPoints: ['HB_NORTH'] });
    const before = await snapshot();
    expect(before).toHaveLength(96);
    // HB_NORTH's page is served normally, then every call fails: HB_NORTH's fetched rows must not be written either.
    h.fake.enqueue({ path: 'spp_node_zone_hub', delayMs: 1 }, ...Array.from({ length: 20 }, () => ({ status: 502, path: 'spp_node_zone_hub' })));
    const run = ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH', 'HB_SOUTH'] });
    const err = await run.catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toMatch(/NP6-905-CD 2024-08-20\.\.2024-08-20 HB_SOUTH page 1: HTTP 502 after 3 attempts/);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['a non-numeric price', (hh: Harness) => hh.fake.data.upsert('NP6-905-CD', [{ ...rtDay('2024-08-20', 'HB_NORTH', () => 0)[41], settlementPointPrice: 'abc' }]), /NP6-905-CD.*2024-08-20.*row 42.*settlementPointPrice/],
    ['malformed JSON', (hh: Harness) => hh.fake.enqueue({ status: 200, body: '<html>oops' }), /NP6-905-CD 2024-08-20\.\.2024-08-20 HB_NORTH page 1: response is not valid JSON/],
    ['a missing field', (hh: Harness) => hh.fake.omitField('NP6-905-CD', 'deliveryHour'), /NP6-905-CD 2024-08-20\.\.2024-08-20 HB_NORTH page 1.*lacks field\(s\) deliveryHour/],
  ])('fails on %s naming product, date and row, leaving stored rows untouched', async (_n, spoil, pattern) => {
    const deps = await setup();
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 10));
    await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] });
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 11)); // would change every row
    const before = await snapshot();
    spoil(h);
    const err = await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-20', settlementPoints: ['HB_NORTH'] }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidErcotData);
    expect(err.message).toMatch(pattern);
    expect(await snapshot()).toEqual(before);
  });

  it('finds gaps per settlement point and backfills exactly them', async () => {
    const deps = await setup();
    h.clock.set(Date.parse('2024-08-23T12:00:00Z'));
    for (const p of ['HB_NORTH', 'HB_SOUTH']) h.fake.data.upsert('NP6-905-CD', [...rtDay('2024-08-20', p, () => 1), ...rtDay('2024-08-21', p, () => 2)]);
    await ingestPrices(deps, { product: RT_SPP, fromDate: '2024-08-20', toDate: '2024-08-21', settlementPoints: ['HB_NORTH', 'HB_SOUTH'] });
    const d = ercotDay('2024-08-21');
    await deps.db.deleteFrom('prices').where('settlement_point', '=', 'HB_SOUTH')
      .where('interval_start', '>=', new Date(d.startMs + 8 * INTERVAL_MS)).where('interval_start', '<', new Date(d.startMs + 12 * INTERVAL_MS)).execute();
    const gaps = await findGaps(deps.db, { market: 'rt15', settlementPoints: ['HB_NORTH', 'HB_SOUTH'], fromDate: '2024-08-20', toDate: '2024-08-21', nowMs: h.clock.nowMs() });
    expect(gaps.find((g) => g.settlementPoint === 'HB_NORTH')?.missing).toBe(0);
    const south = gaps.find((g) => g.settlementPoint === 'HB_SOUTH')!;
    expect(south.ranges).toEqual([{ startMs: d.startMs + 8 * INTERVAL_MS, endMs: d.startMs + 12 * INTERVAL_MS, intervals: 4 }]);
    expect(south.dates).toEqual(['2024-08-21']);
    const before = h.fake.apiRequests().length;
    const result = await backfill(deps, { product: RT_SPP, settlementPoints: ['HB_NORTH', 'HB_SOUTH'], fromDate: '2024-08-20', toDate: '2024-08-21' });
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({ fromDate: '2024-08-21', toDate: '2024-08-21', inserted: 4 });
    expect(h.fake.apiRequests().slice(before).map((r) => r.query.settlementPoint)).toEqual(['HB_SOUTH']);
    const after = await findGaps(deps.db, { market: 'rt15', settlementPoints: ['HB_SOUTH'], fromDate: '2024-08-20', toDate: '2024-08-21', nowMs: h.clock.nowMs() });
    expect(after[0].missing).toBe(0);
  });

  it('takes dates older than the query endpoints from the archive (zip of CSVs), fall-back day included', async () => {
    const deps = { ...(await setup({ queryFromDate: '2023-12-11' })), queryApiFromDate: '2023-12-11' };
    const fall = rtDay('2023-11-05', 'HB_HOUSTON', (hr) => hr);
    const repeated = fall.filter((r) => r.deliveryHour === 2).map((r) => ({ ...r, DSTFlag: true, settlementPointPrice: -2 }));
    h.fake.data.upsert('NP6-905-CD', [...repeated, ...fall, ...rtDay('2023-11-06', 'HB_HOUSTON', () => 7), ...rtDay('2023-11-05', 'HB_NORTH', () => 8)]);
    const r = await ingestPrices(deps, { product: RT_SPP, fromDate: '2023-11-05', toDate: '2023-11-05', settlementPoints: ['HB_HOUSTON'] });
    expect(r.inserted).toBe(100);
    expect(h.fake.apiRequests('spp_node_zone_hub')).toHaveLength(0);
    expect(h.fake.apiRequests('/archive/NP6-905-CD/download')).toHaveLength(1);
    const cov = await getPriceCoverage(deps.db, { market: 'rt15' });
    expect(cov).toMatchObject([{ settlementPoint: 'HB_HOUSTON', count: 100 }]);
    const [row] = await getPrices(deps.db, { market: 'rt15', settlementPoint: 'HB_HOUSTON', startMs: Date.parse('2023-11-05T07:00:00Z'), endMs: Date.parse('2023-11-05T07:15:00Z') });
    expect(row).toMatchObject({ priceUsdPerMwh: -2, source: 'ercot-archive:NP6-905-CD' });
  });
});
