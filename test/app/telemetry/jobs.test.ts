import { afterEach, describe, expect, it } from 'vitest';
import { BACKFILL_JOB, enphaseJobs, POLL_JOB, pollCron } from '../../../src/app/telemetry/jobs.js';
import { Scheduler } from '../../../src/app/scheduler/scheduler.js';
import { silentLogger } from '../../../src/app/logger.js';
import { productCoverage } from '../../../src/app/telemetry/coverage.js';
import { backends } from '../../store/harness.js';
import { makeWorld, T0, type World } from './world.js';

describe('poll cron', () => {
  it('runs a few minutes after each interval ends', () => {
    expect(pollCron(15)).toBe('3,18,33,48 * * * *');
    expect(pollCron(30)).toBe('3,33 * * * *');
    expect(pollCron(7)).toBe('*/7 * * * *');
  });
});

describe.each(backends())('Enphase jobs in the scheduler on $name', (backend) => {
  let w: World;
  afterEach(async () => w?.close());

  it('registers the poll and backfill jobs; each slot runs once and stores telemetry', async () => {
    w = await makeWorld(backend);
    w.clock.set(T0 + 3 * 60_000);
    const scheduler = new Scheduler({ db: w.db.db, logger: silentLogger(), clock: w.clock, catchUpWindowMs: 10 * 60_000 });
    for (const job of enphaseJobs(async () => [w.ctx()], 15)) scheduler.registerJob(job);
    expect(scheduler.jobNames()).toEqual([POLL_JOB, BACKFILL_JOB]);
    const first = await scheduler.tick();
    expect(first).toEqual([{ job: POLL_JOB, scheduledForMs: T0 + 3 * 60_000, outcome: 'succeeded' }]);
    expect((await productCoverage(w.db.db, 'enphase-1001', 'battery', T0 - 86_400_000)).newestEndMs).toBe(T0);
    expect(await scheduler.tick()).toEqual([]); // same minute: nothing runs twice
    w.clock.set(T0 + 18 * 60_000);
    const second = await scheduler.tick();
    expect(second.map((r) => [r.job, r.outcome])).toEqual([[POLL_JOB, 'succeeded']]);
    expect((await productCoverage(w.db.db, 'enphase-1001', 'battery', T0 - 86_400_000)).newestEndMs).toBe(T0 + 15 * 60_000);
  });
});
