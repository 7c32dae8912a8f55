/**
 * Three worker processes on one PostgreSQL schema over a simulated fleet on the enphase-vpp channel against the fake
 * VPP on loopback (one server in the test process, shared by every worker, counting the events really created), each
 * site's telemetry pulled in its cycle from the Enphase fake on loopback (whose batteries are the VPP fake's) under one
 * account's per-minute budget, far too small for the fleet in one minute (24 sites x 6 calls against 30 a minute):
 * the fake never answers 429 and counts no minute above the limit, the sites the budget refused still run their
 * cycle, on their last good reading (2 h old, inside the 3 h staleness limit), without waiting;
 * every site's cycle runs once for the slot although each site's job is delivered twice; one worker SIGKILLed while
 * it holds a site's run and that site completes on another worker after the lease (which resolves a command the dead
 * one may have sent by listing the site's events on the fake); no event is created twice; the shared rate limit is
 * never exceeded. PostgreSQL only (skipped without DATABASE_URL). Cost: ~3 worker processes' start-up (the built worker when dist is fresh, see test/support/entry.ts) plus 24
 * site cycles, about 6-8 s CPU in total.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphileJobQueue } from '../../../src/adapters/jobs/graphile.js';
import { SITE_CYCLE } from '../../../src/app/fleet/cycle-jobs.js';
import { seedSimulatedFleet, simSiteId, simVppSiteId, SIM_NOW_MS } from '../../../src/app/fleet/simulated-fleet.js';
import { connectSimulatedAccount, startSimulatedFakes, type SimulatedFakes } from '../../../src/app/fleet/simulated-fakes.js';
import { HOUR_MS, intervalFloor } from '../../../src/domain/time/interval.js';
import { slotOf } from '../../../src/app/fleet/site-runs.js';
import { openDatabase, sql } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { DATABASE_URL, dropSchema, uniqueSchema } from '../../store/harness.js';
import { nodeArgs } from '../../support/entry.js';

const SITES = 24;
const RATE_LIMIT = 6;
/** Enphase calls per minute for the account (each site's first poll takes 6: three products and three settings). */
const ENPHASE_PER_MIN = 30;
/** The last good reading stored before the run (the fallback of a site whose poll the budget refuses). */
const SEEDED_AT_MS = intervalFloor(SIM_NOW_MS) - 2 * HOUR_MS;
const schema = uniqueSchema('fleet');

function startWorker(fakes: SimulatedFakes): ChildProcess {
  return spawn(process.execPath, nodeArgs('src/app/fleet/worker-main.ts'), {
    env: {
      ...process.env, DATABASE_URL, FLEET_SCHEMA: schema, FLEET_CONCURRENCY: '2', FLEET_LEASE_MS: '3000', FLEET_TICK_MS: '500',
      FLEET_SIM_NOW_MS: String(SIM_NOW_MS), FLEET_RATE_PER_MIN: String(RATE_LIMIT), FLEET_RATE_WINDOW_MS: '1000', FLEET_UNTIL_DONE: '1',
      ...fakes.workerEnv({ perMinute: ENPHASE_PER_MIN, perMonth: 100_000 }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

describe.skipIf(!DATABASE_URL)('fleet: three worker processes on PostgreSQL', () => {
  afterAll(async () => {
    if (!DATABASE_URL) return;
    await dropSchema(DATABASE_URL, schema);
    await dropSchema(DATABASE_URL, `${schema}_jobs`);
  });

  it('runs each site once per slot on the fake VPP with telemetry from the Enphase fake, survives a SIGKILL, never creates an event twice, keeps the rate limits', async () => {
    const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 2 });
    const db = opened.db;
    const workers: ChildProcess[] = [];
    const fakes = await startSimulatedFakes(SITES, { enphasePerMinuteLimit: ENPHASE_PER_MIN });
    const vpp = fakes.vpp;
    try {
      await migrateToLatest(db, { schema });
      await seedSimulatedFleet(db, SITES, SIM_NOW_MS, { channel: 'enphase-vpp', telemetryAtMs: SEEDED_AT_MS });
      await connectSimulatedAccount(db, fakes, SITES);
      // At-least-once delivery: every site's job is also delivered a second time under another key.
      const queue = new GraphileJobQueue({ connectionString: DATABASE_URL!, schema: `${schema}_jobs` });
      const slotMs = slotOf(SIM_NOW_MS);
      await queue.enqueue(Array.from({ length: SITES }, (_, i) => ({ kind: SITE_CYCLE, payload: { siteId: simSiteId(i), slotMs }, key: `redelivery:${i}` })));
      await queue.stop();
      for (let i = 0; i < 3; i++) workers.push(startWorker(fakes));
      const victim = workers[0]!;
      // Kill the first worker while it holds a site's run.
      let victimSite: string | null = null;
      for (let i = 0; i < 1200 && !victimSite; i++) {
        const r = await sql<{ site_id: string }>`select site_id from fleet_site_runs where status = 'running' and worker_id like ${`%:${victim.pid}:%`} limit 1`.execute(db);
        victimSite = r.rows[0]?.site_id ?? null;
        if (!victimSite) await new Promise((res) => setTimeout(res, 50));
      }
      expect(victimSite).not.toBeNull();
      victim.kill('SIGKILL');
      // A claim the victim had already sent still commits on the server after the kill: let it land before reading
      // which runs the victim holds.
      await new Promise((res) => setTimeout(res, 1000));
      const held = await sql<{ site_id: string }>`select site_id from fleet_site_runs where status = 'running' and worker_id like ${`%:${victim.pid}:%`}`.execute(db);
      const victimSites = new Set(held.rows.map((r) => r.site_id));
      expect(victimSites.has(victimSite!)).toBe(true);
      await Promise.all(workers.slice(1).map(exited));

      const runs = await sql<{ site_id: string; status: string; attempts: number; worker_id: string }>`
        select site_id, status, attempts, worker_id from fleet_site_runs where slot_ms = ${slotOf(SIM_NOW_MS)} order by site_id`.execute(db);
      expect(runs.rows).toHaveLength(SITES);
      expect(runs.rows.every((r) => r.status === 'done')).toBe(true);
      for (const taken of runs.rows.filter((r) => victimSites.has(r.site_id))) {
        expect(taken.attempts).toBe(2);
        expect(taken.worker_id).not.toContain(`:${victim.pid}:`);
      }
      // Every other site was claimed (run) exactly once although its job came twice.
      expect(runs.rows.filter((r) => !victimSites.has(r.site_id)).map((r) => r.attempts)).toEqual(Array(SITES - victimSites.size).fill(1));
      // Sites run once: one plan version per site, except the taken-over one (at most two).
      const plans = await sql<{ site_id: string; n: number }>`select site_id, count(*)::int as n from plans group by site_id`.execute(db);
      for (const p of plans.rows) expect(p.n).toBeLessThanOrEqual(victimSites.has(p.site_id) ? 2 : 1);
      expect(plans.rows.length).toBe(SITES);
      // No event created twice on the fake VPP (it counts what it really booked), and every booked event is a command row.
      const created = vpp.createdEvents();
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((e) => `${e.siteId}|${e.startMs}|${e.mode}`)).size).toBe(created.length);
      const sent = await sql<{ external_id: string }>`select external_id from commands where external_id is not null`.execute(db);
      expect(sent.rows.map((r) => r.external_id).sort()).toEqual(created.map((e) => e.eventId).sort());
      // The shared rate limit held across the processes.
      const counters = await sql<{ count: number }>`select count from rate_counters where bucket = 'enphase-vpp:minute'`.execute(db);
      expect(Math.max(...counters.rows.map((c) => c.count))).toBeLessThanOrEqual(RATE_LIMIT);
      expect(counters.rows.reduce((a, c) => a + c.count, 0)).toBeGreaterThanOrEqual(SITES);

      // Enphase: the account's budget held across the three processes. The fake (which answers 429 past the limit,
      // counting wall-clock minutes as the budget does) never had to say no and served at most the limit per minute.
      const enphase = fakes.enphase;
      expect(enphase.requests.filter((r) => r.status === 429)).toEqual([]);
      const perMinute = [...enphase.callsPerMinute.values()];
      expect(perMinute.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6);
      expect(Math.max(...perMinute)).toBeLessThanOrEqual(ENPHASE_PER_MIN);
      const usage = await sql<{ calls: number }>`select calls from enphase_api_usage where period = 'minute'`.execute(db);
      expect(Math.max(...usage.rows.map((u) => u.calls))).toBeLessThanOrEqual(ENPHASE_PER_MIN);
      // Each site planned on the newest SoC it had: the fake's (as it reported it) for the sites polled, the seeded
      // reading for those the budget refused (there must be some: 144 calls do not fit in the few minutes of the run).
      const newest = await sql<{ site_id: string; end_ms: number; soc: number }>`
        select distinct on (site_id) site_id, (extract(epoch from interval_end) * 1000)::float8 as end_ms, soc_percent::float8 as soc
        from telemetry where soc_percent is not null order by site_id, interval_end desc`.execute(db);
      const polled = newest.rows.filter((r) => r.end_ms !== SEEDED_AT_MS);
      const refused = newest.rows.filter((r) => r.end_ms === SEEDED_AT_MS);
      expect(polled.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(polled.length + refused.length).toBe(SITES);
      for (const r of polled) {
        const i = Number(r.site_id.slice(1));
        expect(r.end_ms).toBe(intervalFloor(SIM_NOW_MS));
        expect(r.soc).toBe(enphase.site(simVppSiteId(i)).get(r.end_ms)!.socPercent);
      }
      // ... and planned on it: each site's newest plan is anchored on that reading.
      const anchors = await sql<{ site_id: string; as_of_ms: number }>`
        select distinct on (site_id) site_id, (inputs->'socAnchor'->>'asOfMs')::float8 as as_of_ms from plans order by site_id, created_at desc`.execute(db);
      expect(Object.fromEntries(anchors.rows.map((a) => [a.site_id, a.as_of_ms]))).toEqual(Object.fromEntries(newest.rows.map((r) => [r.site_id, r.end_ms])));
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await fakes.close();
      await opened.close();
    }
  }, 240_000);
});
