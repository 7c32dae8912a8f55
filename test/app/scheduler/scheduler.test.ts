import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../../src/app/logger.js';
import { Scheduler } from '../../../src/app/scheduler/scheduler.js';
import { cronMatcher, scheduledBetween } from '../../../src/app/scheduler/cron-match.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { listJobRuns } from '../../../src/store/job-runs-repo.js';
import { backends, useDatabase } from '../../store/harness.js';

const MIN = 60_000;

describe('cron matching', () => {
  it('lists the scheduled minutes in a window, in the given time zone', () => {
    const m = cronMatcher('5,20,35,50 * * * *');
    const from = Date.parse('2024-08-20T10:00:00Z');
    expect(scheduledBetween(m, from, from + 60 * MIN).map((t) => new Date(t).toISOString())).toEqual([
      '2024-08-20T10:05:00.000Z', '2024-08-20T10:20:00.000Z', '2024-08-20T10:35:00.000Z', '2024-08-20T10:50:00.000Z',
    ]);
    const chicago = cronMatcher('0 13 * * *', 'America/Chicago');
    expect(chicago.matches(Date.parse('2024-08-20T18:00:00Z'))).toBe(true); // 13:00 CDT
    expect(chicago.matches(Date.parse('2024-12-20T19:00:00Z'))).toBe(true); // 13:00 CST
    expect(chicago.matches(Date.parse('2024-12-20T18:00:00Z'))).toBe(false);
    expect(() => cronMatcher('not a cron')).toThrow(/invalid cron/);
  });
});

describe.each(backends())('scheduler on $name', (backend) => {
  const database = useDatabase(backend);

  it('runs each slot once, records outcomes, catches up only the latest missed slot, and never double-runs across instances', async () => {
    const db = database().db;
    const clock = new FixedClock(Date.parse('2024-08-20T10:00:30Z'));
    const ran: Array<[string, number]> = [];
    const make = (id: string, on = db) => {
      const s = new Scheduler({ db: on, logger: silentLogger(), clock, instanceId: id, catchUpWindowMs: 60 * MIN });
      s.registerJob({ name: 'every-15', cron: '*/15 * * * *', run: async (ctx) => void ran.push([id, ctx.scheduledForMs]) });
      s.registerJob({ name: 'flaky', cron: '*/30 * * * *', run: async (ctx) => {
        if (ctx.scheduledForMs === Date.parse('2024-08-20T10:30:00Z')) throw new Error('boom');
        return { skipped: true };
      } });
      return s;
    };
    // On PostgreSQL the second instance has a pool of its own, as a second engine process would.
    const other = database().openAnother ? await database().openAnother!() : undefined;
    onTestFinished(async () => {
      await other?.close();
    });
    const a = make('a');
    const b = make('b', other?.db ?? db);
    // First tick: the window (09:00:30..10:00:30) holds 09:15, 09:30, 09:45, 10:00 → only 10:00 runs (latest).
    await Promise.all([a.tick(), b.tick()]);
    expect(ran.map(([, t]) => new Date(t).toISOString())).toEqual(['2024-08-20T10:00:00.000Z']);
    clock.set(Date.parse('2024-08-20T10:15:10Z'));
    await a.tick();
    await b.tick();
    clock.set(Date.parse('2024-08-20T10:30:05Z'));
    const reports = [...(await a.tick()), ...(await b.tick())];
    expect(reports.filter((r) => r.outcome === 'claimed-elsewhere')).toHaveLength(2);
    expect(ran.map(([, t]) => new Date(t).toISOString())).toEqual(['2024-08-20T10:00:00.000Z', '2024-08-20T10:15:00.000Z', '2024-08-20T10:30:00.000Z']);
    const runs = await listJobRuns(db, { jobName: 'flaky' });
    expect(runs.map((r) => [new Date(r.scheduledForMs).toISOString(), r.outcome])).toEqual([
      ['2024-08-20T10:30:00.000Z', 'failed'], ['2024-08-20T10:00:00.000Z', 'skipped'],
    ]);
    expect(runs[0].error).toMatch(/boom/);

    // A restarted process (new scheduler) does not repeat 10:30 but catches up a slot it missed while down.
    clock.set(Date.parse('2024-08-20T11:20:00Z'));
    const c = make('c');
    await c.tick();
    expect(ran.slice(3).map(([id, t]) => [id, new Date(t).toISOString()])).toEqual([['c', '2024-08-20T11:15:00.000Z']]);
    // The clock jumping backwards runs nothing again.
    clock.set(Date.parse('2024-08-20T10:40:00Z'));
    await c.tick();
    expect(ran).toHaveLength(4);
  });

  it('with catchUp "all" runs every missed slot oldest first', async () => {
    const db = database().db;
    const clock = new FixedClock(Date.parse('2024-08-21T03:00:00Z'));
    const s = new Scheduler({ db, logger: silentLogger(), clock, catchUpWindowMs: 2 * 3_600_000 + MIN });
    const seen: number[] = [];
    s.registerJob({ name: 'hourly-all', cron: '0 * * * *', catchUp: 'all', run: async (ctx) => void seen.push(ctx.scheduledForMs) });
    await s.tick();
    expect(seen.map((t) => new Date(t).toISOString())).toEqual(['2024-08-21T01:00:00.000Z', '2024-08-21T02:00:00.000Z', '2024-08-21T03:00:00.000Z']);
  });
});

describe('scheduler in the foreground', () => {
  const database = useDatabase(backends()[0]);

  it('runUntilSignal catches up on start, announces its jobs and stops cleanly on SIGTERM', async () => {
    const clock = new FixedClock(Date.parse('2024-08-20T10:07:00Z'));
    const s = new Scheduler({ db: database().db, logger: silentLogger(), clock, instanceId: 'fg', catchUpWindowMs: 60 * MIN });
    const ran: number[] = [];
    s.registerJob({ name: 'fg-every-15', cron: '*/15 * * * *', run: async (ctx) => void ran.push(ctx.scheduledForMs) });
    let announced: string[] = [];
    const done = s.runUntilSignal((names) => (announced = names));
    expect(announced).toEqual(['fg-every-15']);
    // no tick() here: stopping waits for the catch-up tick that start() itself began, and nothing else runs it
    process.emit('SIGTERM');
    await done;
    expect(ran).toEqual([Date.parse('2024-08-20T10:00:00Z')]);
    const runs = await listJobRuns(database().db, { jobName: 'fg-every-15' });
    expect(runs.map((r) => r.outcome)).toEqual(['succeeded']);
  });
});
