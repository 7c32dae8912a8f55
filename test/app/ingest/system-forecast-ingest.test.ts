/**
 * ERCOT system forecasts from the fake into the store: idempotent (a re-run writes nothing), every posting kept, and
 * "as of" reads (SQL and the forecaster's KnownAt view over the stored postings) returning the latest value posted at
 * or before the instant. Expected values come from the fake's wire rows, instants are written by hand (CDT = UTC−5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/app/logger.js';
import { ingestSystemForecasts, SYSTEM_FORECAST_JOB, systemForecastJobs } from '../../../src/app/ingest/system-forecast-ingest.js';
import type { IngestDeps } from '../../../src/app/ingest/price-ingest.js';
import { KnownAt } from '../../../src/domain/forecast/known-at.js';
import { emptySeries } from '../../../src/domain/prices/price-series.js';
import { getSystemForecastPoints, systemForecastAsOf } from '../../../src/store/system-forecasts-repo.js';
import { startHarness, type Harness } from '../../adapters/ercot/harness.js';
import { backends, useDatabase } from '../../store/harness.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe.each(backends())('system forecast ingest into $name', (backend) => {
  const database = useDatabase(backend);
  let h: Harness;
  afterEach(async () => h?.stop());

  async function setup(): Promise<IngestDeps> {
    h = await startHarness({}, { pageSize: 10 });
    await database().db.deleteFrom('system_forecasts').execute();
    // postings at 09:30, 10:30, 11:30 CDT on 2024-08-20, each for the 6 hours from the hour it is posted in
    h.fake.forecasts.generate({ firstPostedMs: at('2024-08-20T14:30:00Z'), lastPostedMs: at('2024-08-20T16:30:00Z'), horizonHours: 6 });
    return { db: database().db, client: h.client, clock: h.clock, logger: silentLogger() };
  }

  async function snapshot() {
    return (await database().db.selectFrom('system_forecasts').selectAll().orderBy('kind').orderBy('region').orderBy('delivery_start').orderBy('posted_at').execute())
      .map((r) => `${r.kind}|${r.region}|${r.delivery_start.toISOString()}|${r.posted_at.toISOString()}|${r.value_mw}|${r.model}`);
  }

  /** The fake's value for (product, posting text, delivery hour start) read straight from its wire rows. */
  function wireValue(product: 'NP3-565-CD' | 'NP4-732-CD' | 'NP4-745-CD', posted: string, hourStartMs: number): number {
    const field = { 'NP3-565-CD': 'systemTotal', 'NP4-732-CD': 'STWPFSystemWide', 'NP4-745-CD': 'STPPFSystemWide' }[product];
    const row = h.fake.forecasts.rows(product).find((r) => r.postedDatetime === posted && (r.model === undefined || r.inUseFlag === true) &&
      at(`${r.deliveryDate as string}T${String(Number(String(r.hourEnding).split(':')[0]) - 1).padStart(2, '0')}:00:00-05:00`) === hourStartMs);
    if (!row) throw new Error(`no wire row ${product} ${posted} ${new Date(hourStartMs).toISOString()}`);
    return row[field] as number;
  }

  it('stores every posting once with its posting time; a re-run writes nothing; only the model in use', async () => {
    const deps = await setup();
    const range = { postedFromMs: at('2024-08-20T14:00:00Z'), postedToMs: at('2024-08-20T17:00:00Z') };
    const first = await ingestSystemForecasts(deps, range);
    expect(first).toMatchObject({ rows: 54, inserted: 54, updated: 0, unchanged: 0 });
    expect(first.byKind.load).toEqual({ rows: 18, inserted: 18, postings: 3 });
    const before = await snapshot();
    expect(before.filter((r) => r.startsWith('load|')).every((r) => r.endsWith('|E'))).toBe(true);
    const again = await ingestSystemForecasts(deps, range);
    expect(again).toMatchObject({ rows: 54, inserted: 0, updated: 0, unchanged: 54 });
    expect(await snapshot()).toEqual(before);
    // the zones too when asked: NP3-565-CD has 8 weather zones besides the total
    const zones = await ingestSystemForecasts(deps, { ...range, kinds: ['load'], allRegions: true });
    expect(zones).toMatchObject({ rows: 162, inserted: 144, unchanged: 18 });
  });

  it('answers "as of" with the latest value posted at or before the instant, in SQL and through KnownAt', async () => {
    const deps = await setup();
    await ingestSystemForecasts(deps, { postedFromMs: at('2024-08-20T14:00:00Z'), postedToMs: at('2024-08-20T17:00:00Z') });
    const hours = { fromMs: at('2024-08-20T14:00:00Z'), toMs: at('2024-08-20T22:00:00Z') };
    const windAt = async (iso: string) => (await systemForecastAsOf(deps.db, 'wind', at(iso), hours)).map((v) => [new Date(v.intervalStartMs).toISOString(), v.valueMw]);

    expect(await windAt('2024-08-20T14:29:59Z')).toEqual([]);
    const hour = (k: number) => at('2024-08-20T14:00:00Z') + k * HOUR;
    // between the first and the second posting: the first posting's six hours
    expect(await windAt('2024-08-20T15:29:59Z')).toEqual([0, 1, 2, 3, 4, 5].map((k) => [new Date(hour(k)).toISOString(), wireValue('NP4-732-CD', '2024-08-20T09:30:00', hour(k))]));
    // at the second posting: its hours (15Z..20Z) from it, hour 14Z still from the first
    expect(await windAt('2024-08-20T15:30:00Z')).toEqual([
      [new Date(hour(0)).toISOString(), wireValue('NP4-732-CD', '2024-08-20T09:30:00', hour(0))],
      ...[1, 2, 3, 4, 5, 6].map((k) => [new Date(hour(k)).toISOString(), wireValue('NP4-732-CD', '2024-08-20T10:30:00', hour(k))]),
    ]);
    // the postings differ (so the reads above tell them apart)
    expect(wireValue('NP4-732-CD', '2024-08-20T10:30:00', hour(3))).not.toBe(wireValue('NP4-732-CD', '2024-08-20T09:30:00', hour(3)));

    // the forecaster's view over every stored posting, cut at 16:10Z (after the 15:30 posting, before 16:30)
    const points = await getSystemForecastPoints(deps.db, hours);
    const known = new KnownAt({ realTime: emptySeries(hours.fromMs, hours.toMs), dayAhead: null, systemForecasts: points }, at('2024-08-20T16:10:00Z'));
    for (const k of [1, 4, 6]) {
      const ms = hour(k) + 45 * 60_000; // any 15-minute interval of the hour
      const posted = '2024-08-20T10:30:00';
      expect(known.systemForecastMw('wind', ms)).toBe(wireValue('NP4-732-CD', posted, hour(k)));
      expect(known.netLoadMw(ms)).toBeCloseTo(wireValue('NP3-565-CD', posted, hour(k)) - wireValue('NP4-732-CD', posted, hour(k)) - wireValue('NP4-745-CD', posted, hour(k)), 6);
    }
    expect(known.systemForecastMw('wind', hour(7))).toBeNaN(); // only the 16:30 posting covers 21Z: not known at 16:10
  });

  it('the hourly job reads what was posted since the newest stored posting', async () => {
    const deps = await setup();
    const [job] = systemForecastJobs(deps, { maxCatchUpHours: 6 });
    expect(job.name).toBe(SYSTEM_FORECAST_JOB);
    const ctx = (iso: string) => ({ scheduledForMs: at(iso), nowMs: at(iso), logger: silentLogger(), signal: new AbortController().signal });
    await job.run(ctx('2024-08-20T16:50:00Z'));
    expect((await snapshot()).length).toBe(54);
    h.fake.forecasts.generate({ firstPostedMs: at('2024-08-20T17:30:00Z'), lastPostedMs: at('2024-08-20T17:30:00Z'), horizonHours: 6 });
    const before = h.fake.apiRequests().length;
    const second = ((await job.run(ctx('2024-08-20T17:50:00Z'))) as { details: Record<string, { inserted: number }> }).details;
    expect(Object.values(second).map((d) => d.inserted)).toEqual([6, 6, 6]);
    const asked = h.fake.apiRequests().slice(before);
    expect(asked.every((r) => r.query.postedDatetimeFrom === '2024-08-20T11:30:01')).toBe(true); // after the newest stored posting
  });
});
