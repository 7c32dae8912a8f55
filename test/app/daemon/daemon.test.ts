/**
 * The daemon with a simulated clock on a real database: one cycle runs each due job once; two daemons on one
 * database run every slot once between them; a restart catches up missed slots inside the window; shutdown stops a
 * running job at its safe point or abandons it after the grace period, recorded in job_runs.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/app/logger.js';
import { loadConfig } from '../../../src/app/config.js';
import { Daemon } from '../../../src/app/daemon/daemon.js';
import { buildDaemonJobs, COMMAND_REFRESH_JOB, DISPATCH_JOB } from '../../../src/app/daemon/jobs.js';
import type { JobDefinition } from '../../../src/app/scheduler/scheduler.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import type { OpenedDatabase } from '../../../src/store/database.js';
import { listJobRuns } from '../../../src/store/job-runs-repo.js';
import { backends, useDatabase } from '../../store/harness.js';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Three jobs like the real ones (15-minute, hourly with all missed slots, a Chicago-time one) that log their slots. */
function countingJobs(log: Array<[string, string]>, who = ''): JobDefinition[] {
  const run = (name: string) => async (ctx: { scheduledForMs: number }) => void log.push([name, iso(ctx.scheduledForMs) + who]);
  return [
    { name: 'quarter', cron: '5,20,35,50 * * * *', run: run('quarter') },
    { name: 'hourly-all', cron: '40 * * * *', catchUp: 'all', run: run('hourly-all') },
    { name: 'chicago-13', cron: '0 13 * * *', timeZone: 'America/Chicago', run: run('chicago-13') },
  ];
}

function daemon(opened: OpenedDatabase, clock: FixedClock, jobs: JobDefinition[], extra: { instanceId?: string; catchUpWindowMs?: number; shutdownGraceMs?: number } = {}): Daemon {
  return new Daemon({ db: opened.db, schema: opened.schema, clock, logger: silentLogger(), jobs, catchUpWindowMs: extra.catchUpWindowMs ?? 6 * 60 * MIN, instanceId: extra.instanceId, shutdownGraceMs: extra.shutdownGraceMs });
}

describe.each(backends())('daemon on $name', (backend) => {
  const database = useDatabase(backend);

  it('one cycle (run --once --now) runs each due job once, at its latest slot; the same cycle again runs nothing', async () => {
    const log: Array<[string, string]> = [];
    const clock = new FixedClock(at('2024-08-20T18:07:00Z')); // 13:07 CDT
    const reports = await daemon(database(), clock, countingJobs(log), { instanceId: 'once-1' }).tick();
    expect(log.sort()).toEqual([
      ['chicago-13', '2024-08-20T18:00:00.000Z'],
      // catch-up 'all': every missed hourly slot inside the 6 h window, oldest first
      ['hourly-all', '2024-08-20T12:40:00.000Z'], ['hourly-all', '2024-08-20T13:40:00.000Z'], ['hourly-all', '2024-08-20T14:40:00.000Z'],
      ['hourly-all', '2024-08-20T15:40:00.000Z'], ['hourly-all', '2024-08-20T16:40:00.000Z'], ['hourly-all', '2024-08-20T17:40:00.000Z'],
      ['quarter', '2024-08-20T18:05:00.000Z'],
    ]);
    expect(reports.every((r) => r.outcome === 'succeeded')).toBe(true);
    // A second `run --once` at the same instant (a new process): every slot is claimed already.
    const again = await daemon(database(), clock, countingJobs(log), { instanceId: 'once-2' }).tick();
    expect(again.map((r) => r.outcome)).toEqual(again.map(() => 'claimed-elsewhere'));
    expect(log).toHaveLength(8);
  });

  it('two daemons on one database: every slot runs exactly once between them', async () => {
    const other = backend.name === 'postgres' ? await database().openAnother!() : database();
    try {
      const log: Array<[string, string]> = [];
      const clock = new FixedClock(at('2024-09-02T00:00:00Z'));
      const a = daemon(database(), clock, countingJobs(log, ' a'), { instanceId: 'a', catchUpWindowMs: 10 * MIN });
      const b = daemon(other, clock, countingJobs(log, ' b'), { instanceId: 'b', catchUpWindowMs: 10 * MIN });
      for (let step = 0; step < 24; step++) {
        clock.advance(5 * MIN);
        await Promise.all([a.tick(), b.tick()]);
      }
      // 2 h of 5-minute steps: quarter 00:05…01:50 (8), hourly 00:40, 01:40 (2), none at 13:00 Chicago.
      const slots = log.map(([job, s]) => `${job} ${s.slice(0, 24)}`);
      expect(new Set(slots).size).toBe(slots.length);
      expect(slots.filter((s) => s.startsWith('quarter'))).toHaveLength(8);
      expect(slots.filter((s) => s.startsWith('hourly-all'))).toHaveLength(2);
      const runs = await listJobRuns(database().db, { limit: 1000 });
      expect(runs.filter((r) => r.jobName !== 'chicago-13' && r.scheduledForMs >= at('2024-09-02T00:00:00Z'))).toHaveLength(10);
    } finally {
      if (other !== database()) await other.close();
    }
  });

  it('after a restart, missed slots inside the window are caught up, older ones are not', async () => {
    const log: Array<[string, string]> = [];
    const clock = new FixedClock(at('2024-10-01T10:00:00Z'));
    await daemon(database(), clock, countingJobs(log), { instanceId: 'before' }).tick();
    log.length = 0;
    // Down from 10:00 to 13:02; window 2 h: hourly slots 11:40 and 12:40 (10:40 is older than 11:02), quarter only 12:50.
    clock.set(at('2024-10-01T13:02:00Z'));
    await daemon(database(), clock, countingJobs(log), { instanceId: 'after', catchUpWindowMs: 2 * 60 * MIN }).tick();
    expect(log).toEqual(expect.arrayContaining([['hourly-all', '2024-10-01T11:40:00.000Z'], ['hourly-all', '2024-10-01T12:40:00.000Z'], ['quarter', '2024-10-01T12:50:00.000Z']]));
    expect(log).toHaveLength(3);
  });

  it('shutdown: a job told to stop finishes its step; one that does not is abandoned after the grace period', async () => {
    const clock = new FixedClock(at('2024-11-05T09:16:00Z'));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const polite: JobDefinition = {
      name: 'polite', cron: '15 * * * *',
      run: async (ctx) => {
        started();
        await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
        return { skipped: true, details: { stoppedAt: 'between sites' } };
      },
    };
    const d = daemon(database(), clock, [polite], { instanceId: 'polite', shutdownGraceMs: 60_000 });
    const tick = d.tick();
    await running;
    expect(await d.shutdown('SIGTERM')).toEqual({ abandoned: [] });
    expect((await tick).map((r) => r.outcome)).toEqual(['skipped']);
    const [run] = await listJobRuns(database().db, { jobName: 'polite' });
    expect(run).toMatchObject({ outcome: 'skipped', details: { stoppedAt: 'between sites' } });
    expect(run.finishedAtMs).toBe(clock.nowMs());

    let release!: () => void;
    let startedStubborn!: () => void;
    const stubbornRunning = new Promise<void>((r) => (startedStubborn = r));
    const stubborn: JobDefinition = { name: 'stubborn', cron: '15 * * * *', run: () => new Promise((r) => { startedStubborn(); release = () => r(undefined); }) };
    const s = daemon(database(), clock, [stubborn], { instanceId: 'stubborn', shutdownGraceMs: 50 });
    void s.tick();
    await stubbornRunning;
    expect(await s.shutdown('SIGTERM')).toEqual({ abandoned: ['stubborn'] });
    const [abandoned] = await listJobRuns(database().db, { jobName: 'stubborn' });
    expect(abandoned.outcome).toBe('failed');
    expect(abandoned.error).toMatch(/abandoned at shutdown/);
    release();
    await new Promise((r) => setTimeout(r, 20));
    // Its late finish does not overwrite the record, and nobody runs the slot again.
    expect((await listJobRuns(database().db, { jobName: 'stubborn' }))[0].outcome).toBe('failed');
    expect((await daemon(database(), clock, [stubborn], { instanceId: 'next' }).tick()).map((r) => r.outcome)).toEqual(['claimed-elsewhere']);
  });

  it('the configuration decides which real jobs run', async () => {
    const clock = new FixedClock(at('2024-08-20T18:07:00Z'));
    const bare = await buildDaemonJobs({ db: database().db, cfg: loadConfig({}), clock, logger: silentLogger() });
    expect(bare.jobs.map((j) => j.name)).toEqual(['reconcile', DISPATCH_JOB, COMMAND_REFRESH_JOB]);
    expect(bare.notRegistered.map((n) => n.job)).toEqual(['ercot-*', 'enphase-telemetry-*']);
    const full = await buildDaemonJobs({
      db: database().db, clock, logger: silentLogger(),
      cfg: loadConfig({ ERCOT_API_USERNAME: 'u', ERCOT_API_PASSWORD: 'p', ERCOT_API_SUBSCRIPTION_KEY: 'k', ERCOT_ARB_SECRET_KEY: 'test key', ERCOT_SCED_ENABLED: 'true' }),
    });
    expect(full.jobs.map((j) => j.name)).toEqual(['ercot-rt-spp', 'ercot-dam-spp', 'ercot-sced-lmp', 'ercot-system-forecasts', 'enphase-telemetry-poll', 'enphase-telemetry-backfill', 'reconcile', DISPATCH_JOB, COMMAND_REFRESH_JOB]);
    // Every real job registers with the daemon's scheduler (valid cron, unique names).
    expect(daemon(database(), clock, full.jobs).jobNames()).toHaveLength(9);
  });
});
