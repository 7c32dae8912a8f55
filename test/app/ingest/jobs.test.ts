import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/app/logger.js';
import { DAM_JOB, priceJobs, RT_JOB } from '../../../src/app/ingest/jobs.js';
import type { IngestDeps } from '../../../src/app/ingest/price-ingest.js';
import { Scheduler } from '../../../src/app/scheduler/scheduler.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { listJobRuns } from '../../../src/store/job-runs-repo.js';
import { getPriceRevisions, getPrices } from '../../../src/store/prices-repo.js';
import { rtDay, startHarness, type Harness } from '../../adapters/ercot/harness.js';
import { backends, useDatabase } from '../../store/harness.js';

function damDay(date: string, point: string, price: number) {
  return Array.from({ length: 24 }, (_, i) => ({ deliveryDate: date, hourEnding: `${String(i + 1).padStart(2, '0')}:00`, settlementPoint: point, settlementPointPrice: price + i, DSTFlag: false }));
}

describe.each(backends())('scheduled price jobs on $name', (backend) => {
  const database = useDatabase(backend);
  let h: Harness;
  afterEach(async () => h?.stop());

  async function setup(nowIso: string) {
    h = await startHarness();
    h.clock.set(Date.parse(nowIso));
    const db = database().db;
    await db.deleteFrom('job_runs').execute();
    await db.deleteFrom('price_revisions').execute();
    await db.deleteFrom('prices').execute();
    const deps: IngestDeps = { db, client: h.client, clock: h.clock, logger: silentLogger() };
    const scheduler = new Scheduler({ db, logger: silentLogger(), clock: h.clock, catchUpWindowMs: 20 * 60_000 });
    for (const job of priceJobs(deps, { settlementPoints: ['HB_NORTH'], trailingHours: 3 })) scheduler.registerJob(job);
    return { db, scheduler };
  }

  it('day-ahead: fails retryably while tomorrow is unpublished, stores it when it appears, then skips', async () => {
    const { db, scheduler } = await setup('2024-08-20T18:16:00Z'); // 13:16 CDT
    let reports = await scheduler.tick();
    expect(reports.find((r) => r.job === DAM_JOB)).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/RetryableError: NP4-190-CD for 2024-08-21 not \(fully\) published yet: HB_NORTH misses 24 h/) });
    h.fake.data.upsert('NP4-190-CD', damDay('2024-08-21', 'HB_NORTH', 40));
    h.clock.set(Date.parse('2024-08-20T18:31:00Z'));
    reports = await scheduler.tick();
    expect(reports.find((r) => r.job === DAM_JOB)?.outcome).toBe('succeeded');
    const d = ercotDay('2024-08-21');
    expect(await getPrices(db, { market: 'dam', settlementPoint: 'HB_NORTH', startMs: d.startMs, endMs: d.endMs })).toHaveLength(24);
    const damCalls = h.fake.apiRequests('dam_stlmnt_pnt_prices').length;
    h.clock.set(Date.parse('2024-08-20T18:46:00Z'));
    reports = await scheduler.tick();
    expect(reports.find((r) => r.job === DAM_JOB)?.outcome).toBe('skipped');
    expect(h.fake.apiRequests('dam_stlmnt_pnt_prices')).toHaveLength(damCalls);
    const runs = await listJobRuns(db, { jobName: DAM_JOB });
    expect(runs.map((r) => r.outcome)).toEqual(['skipped', 'succeeded', 'failed']);
  });

  it('real time: each run re-reads the trailing window, so a late correction becomes a revision', async () => {
    const { db, scheduler } = await setup('2024-08-20T15:05:30Z'); // 10:05 CDT
    h.fake.data.upsert('NP6-905-CD', rtDay('2024-08-20', 'HB_NORTH', () => 25).filter((r) => r.deliveryHour <= 10));
    let reports = await scheduler.tick();
    expect(reports.find((r) => r.job === RT_JOB)?.outcome).toBe('succeeded');
    // ERCOT corrects 09:30 and posts 10:00–10:15.
    h.fake.data.upsert('NP6-905-CD', [{ ...rtDay('2024-08-20', 'HB_NORTH', () => 0)[39], settlementPointPrice: 6100 }, ...rtDay('2024-08-20', 'HB_NORTH', () => 26).filter((r) => r.deliveryHour === 11 && r.deliveryInterval === 1)]);
    h.clock.set(Date.parse('2024-08-20T15:20:30Z'));
    reports = await scheduler.tick();
    expect(reports.find((r) => r.job === RT_JOB)?.outcome).toBe('succeeded');
    const at = Date.parse('2024-08-20T14:45:00Z'); // HE10 interval 4 = 09:45 CDT
    const [row] = await getPrices(db, { market: 'rt15', settlementPoint: 'HB_NORTH', startMs: at, endMs: at + 900_000 });
    expect(row).toMatchObject({ priceUsdPerMwh: 6100, revision: 1 });
    expect((await getPriceRevisions(db, { market: 'rt15', settlementPoint: 'HB_NORTH', intervalStartMs: at })).map((r) => r.priceUsdPerMwh)).toEqual([25]);
    const d = ercotDay('2024-08-20');
    expect(await getPrices(db, { market: 'rt15', settlementPoint: 'HB_NORTH', startMs: d.startMs, endMs: d.endMs })).toHaveLength(41);
  });
});
