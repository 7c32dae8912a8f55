/**
 * The embedded store runs the same fleet jobs through the same port, in process: every site's cycle runs once per
 * slot even when its job is delivered again; the shared rate counters refuse the token past the limit (on every
 * backend, and concurrently from two pools on PostgreSQL); a site whose Enphase poll fails in its cycle plans on its
 * last stored reading while the others plan on what they pulled from the Enphase fake.
 */
import { describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '../../../src/adapters/jobs/in-process.js';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { fleetHandlers, SITE_CYCLE, SITE_STATUS, TICK, tickJob } from '../../../src/app/fleet/cycle-jobs.js';
import { takeToken } from '../../../src/app/fleet/rate-limit.js';
import { SharedErcotRateLimiter, ercotLimiterFor } from '../../../src/app/fleet/shared-ercot-limiter.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { seedSimulatedFleet, simSiteId, simulatedChannel, simVppSiteId, SIM_NOW_MS } from '../../../src/app/fleet/simulated-fleet.js';
import { slotOf } from '../../../src/app/fleet/site-runs.js';
import { sql } from '../../../src/store/database.js';
import { backends, useDatabase } from '../../store/harness.js';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import { connectSimulatedAccount, SIM_SECRET_KEY, startSimulatedFakes } from '../../../src/app/fleet/simulated-fakes.js';
import { fleetTelemetry, type SiteTelemetryOutcome } from '../../../src/app/fleet/site-telemetry.js';
import { loadConfig } from '../../../src/app/config.js';
import { systemClock } from '../../../src/app/system-clock.js';
import { HOUR_MS, intervalFloor } from '../../../src/domain/time/interval.js';
import { createSecretBox } from '../../../src/store/secret-box.js';

describe.each(backends())('fleet jobs on $name', (backend) => {
  const get = useDatabase(backend);

  it('rate counters never grant more than the limit in a window, even from two pools at once', async () => {
    const { db } = get();
    const other = (await get().openAnother?.()) ?? null;
    const limit = { bucket: 'enphase:account:a1:minute', windowMs: 60_000, limit: 5 };
    const now = Date.UTC(2026, 6, 1, 12, 0, 10);
    const takes = await Promise.all(Array.from({ length: 12 }, (_, i) => takeToken(i % 2 && other ? other.db : db, limit, now)));
    expect(takes.filter((t) => t.ok)).toHaveLength(5);
    const refused = takes.find((t) => !t.ok);
    expect(refused).toEqual({ ok: false, retryAtMs: Date.UTC(2026, 6, 1, 12, 1, 0) });
    expect((await takeToken(db, limit, Date.UTC(2026, 6, 1, 12, 1, 0))).ok).toBe(true);
    await other?.close();
  });

  it('ERCOT limiter shared by two processes: at most 30 requests in any 60 s window, then waits for the oldest', async () => {
    const { db } = get();
    const other = (await get().openAnother?.()) ?? null;
    const clock = new FixedClock(Date.UTC(2026, 6, 1, 12, 0, 30));
    const sleep = async (ms: number): Promise<void> => clock.advance(ms);
    const a = new SharedErcotRateLimiter(db, 'sub1', { clock, sleep });
    const b = new SharedErcotRateLimiter(other?.db ?? db, 'sub1', { clock, sleep });
    const start = clock.nowMs();
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      await a.acquire();
      times.push(clock.nowMs());
      await b.acquire();
      times.push(clock.nowMs());
    }
    // 40 requests from two limiters that each allow 30 alone: the first 30 at once, the other 10 one window later.
    expect(times.filter((t) => t === start)).toHaveLength(30);
    expect(times.slice(30).every((t) => t >= start + 60_000)).toBe(true);
    for (const t of times) expect(times.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(30);
    await other?.close();
  });

  it('the ERCOT clients\' limiter: shared on PostgreSQL by subscription (keyed by a hash, never the key), none on the embedded store', async () => {
    const { db } = get();
    expect(ercotLimiterFor(db, undefined, 'k')).toBeUndefined();
    const clock = new FixedClock(Date.UTC(2026, 6, 2, 12, 0, 30));
    const sleep = async (ms: number): Promise<void> => clock.advance(ms);
    const a = ercotLimiterFor(db, 'postgres://daemon', 'the-subscription-key', { clock, sleep })!;
    const b = ercotLimiterFor(db, 'postgres://prices-ingest', 'the-subscription-key', { clock, sleep })!;
    const start = clock.nowMs();
    let atStart = 0;
    for (let i = 0; i < 20; i++) {
      for (const limiter of [a, b]) {
        await limiter.acquire();
        if (clock.nowMs() === start) atStart++;
      }
    }
    expect(atStart).toBe(30); // two clients on one subscription: 30 in the first minute together, not 30 each
    const buckets = await sql<{ bucket: string }>`select distinct bucket from rate_grants where granted_at_ms >= ${start}`.execute(db);
    expect(buckets.rows.map((r) => r.bucket).join(' ')).not.toMatch(/the-subscription-key/);
  });

  it('in process: a tick fans out one site.cycle per site; a second delivery of every job runs nothing again', async () => {
    const { db } = get();
    await seedSimulatedFleet(db, 4, SIM_NOW_MS);
    const queue = new InProcessJobQueue();
    const channel = simulatedChannel(SIM_NOW_MS);
    const deps = { db, queue, planner: await createPlanner('dp'), channelFor: () => channel, workerId: 'w1', now: () => SIM_NOW_MS, cycleNowMs: () => SIM_NOW_MS };
    await queue.start(fleetHandlers(deps), { concurrency: 2 });
    const slotMs = slotOf(SIM_NOW_MS);
    await queue.enqueue([tickJob(slotMs)]);
    await queue.idle();
    const runs = await sql<{ site_id: string; status: string; attempts: number }>`select site_id, status, attempts from fleet_site_runs where slot_ms = ${slotMs} order by site_id`.execute(db);
    expect(runs.rows).toEqual([0, 1, 2, 3].map((i) => ({ site_id: simSiteId(i), status: 'done', attempts: 1 })));
    const sent = channel instanceof Object && 'sendCount' in channel ? (channel as { sendCount(): number }).sendCount() : -1;
    expect(sent).toBeGreaterThan(0);
    await queue.enqueue([{ kind: TICK, payload: { slotMs } }, ...[0, 1, 2, 3].map((i) => ({ kind: SITE_CYCLE, payload: { siteId: simSiteId(i), slotMs }, key: `again:${i}` }))]);
    await queue.idle();
    const again = await sql<{ n: number }>`select count(*)::int as n from fleet_site_runs where attempts > 1`.execute(db);
    expect(again.rows[0]!.n).toBe(0);
    expect((channel as unknown as { sendCount(): number }).sendCount()).toBe(sent);
    await queue.stop();
  });

  it('site.status: between cycles the live commands are polled by their own job kind, once per window, without re-planning', async () => {
    const { db } = get();
    await seedSimulatedFleet(db, 3, SIM_NOW_MS);
    const queue = new InProcessJobQueue();
    const channel = simulatedChannel(SIM_NOW_MS);
    let polled = 0;
    const status = channel.status.bind(channel);
    channel.status = async (siteRef, id) => {
      polled++;
      return status(siteRef, id);
    };
    let nowMs = SIM_NOW_MS;
    const ran: string[] = [];
    const deps = { db, queue, planner: await createPlanner('dp'), channelFor: () => channel, workerId: 'w1', now: () => nowMs, cycleNowMs: () => nowMs, statusEveryMs: 5 * 60_000 };
    const handlers = fleetHandlers(deps);
    await queue.start({ ...handlers, [SITE_STATUS]: async (p, j) => { ran.push(String(p.siteId)); await handlers[SITE_STATUS]!(p, j); } }, { concurrency: 2 });
    const slotMs = slotOf(SIM_NOW_MS);
    await queue.enqueue([tickJob(slotMs)]);
    await queue.idle();
    const states = async () => (await sql<{ state: string }>`select state from commands order by site_id`.execute(db)).rows.map((r) => r.state);
    const before = await states();
    expect(before.length).toBeGreaterThan(0);
    expect(before.some((s) => s === 'scheduled' || s === 'accepted')).toBe(true);
    const plans = (await sql<{ n: number }>`select count(*)::int as n from plans`.execute(db)).rows[0]!.n;
    const live = [...new Set((await sql<{ site_id: string }>`select site_id from commands where state in ('accepted', 'scheduled', 'active')`.execute(db)).rows.map((r) => r.site_id))].sort();
    // 18:56 (same slot, 6 min later): the first tick of the 5-minute window 18:55 enqueues one site.status per site
    // with live commands; 18:58, a tick in the same window enqueues none. The commands' window starts at 19:00.
    nowMs = SIM_NOW_MS + 6 * 60_000;
    ran.length = 0;
    polled = 0;
    await queue.enqueue([{ kind: TICK, payload: { slotMs } }]);
    await queue.idle();
    expect(ran.sort()).toEqual(live);
    nowMs = SIM_NOW_MS + 8 * 60_000;
    await queue.enqueue([{ kind: TICK, payload: { slotMs } }]);
    await queue.idle();
    expect(ran).toHaveLength(live.length);
    // A new window (19:06): polled again, without a new plan.
    nowMs = SIM_NOW_MS + 16 * 60_000;
    await queue.enqueue([{ kind: TICK, payload: { slotMs } }]);
    await queue.idle();
    expect(ran).toHaveLength(2 * live.length);
    // Each run asked the channel for the status of each of the site's live commands.
    const liveCommands = (await sql<{ n: number }>`select count(*)::int as n from commands where state in ('accepted', 'scheduled', 'active')`.execute(db)).rows[0]!.n;
    expect(polled).toBe(2 * liveCommands);
    expect((await sql<{ n: number }>`select count(*)::int as n from plans`.execute(db)).rows[0]!.n).toBe(plans);
    await queue.stop();
  });

  it('telemetry in the cycle: a site whose Enphase poll fails (a 503, neither retried nor waited for) plans on its last stored reading, the others on the fake\'s', async () => {
    const { db } = get();
    const seededAtMs = intervalFloor(SIM_NOW_MS) - 2 * HOUR_MS;
    const fakes = await startSimulatedFakes(3);
    const queue = new InProcessJobQueue();
    try {
      await sql`truncate sites, fleet_site_runs cascade`.execute(db); // the file's earlier tests ran this slot on their sites
      await seedSimulatedFleet(db, 3, SIM_NOW_MS, { channel: 'enphase-vpp', telemetryAtMs: seededAtMs });
      await connectSimulatedAccount(db, fakes, 3);
      const env = fakes.workerEnv({ perMinute: 1000, perMonth: 100_000 });
      const cfg = loadConfig({ ...env, DATABASE_URL: undefined });
      const channel = createControlChannel('enphase-vpp', { baseUrl: env.FLEET_VPP_URL, programId: env.FLEET_VPP_PROGRAM, apiKey: env.FLEET_VPP_API_KEY, clientId: env.FLEET_VPP_CLIENT_ID, clientSecret: env.FLEET_VPP_CLIENT_SECRET, timeoutMs: 5_000 }, { clock: new FixedClock(SIM_NOW_MS) });
      const outcomes: Record<string, SiteTelemetryOutcome> = {};
      const deps = {
        db, queue, planner: await createPlanner('dp'), channelFor: () => channel, workerId: 'w1', now: Date.now, cycleNowMs: () => SIM_NOW_MS,
        telemetry: fleetTelemetry({ db, box: createSecretBox(SIM_SECRET_KEY), settings: cfg, clock: systemClock }),
        onTelemetry: (siteId: string, o: SiteTelemetryOutcome) => void (outcomes[siteId] = o),
      };
      fakes.enphase.failNext(1, 503); // the first site's first call
      await queue.start(fleetHandlers(deps), { concurrency: 1 });
      const slotMs = slotOf(SIM_NOW_MS);
      await queue.enqueue([tickJob(slotMs)]);
      await queue.idle();
      const runs = await sql<{ status: string }>`select status from fleet_site_runs where slot_ms = ${slotMs}`.execute(db);
      expect(runs.rows.map((r) => r.status)).toEqual(['done', 'done', 'done']);
      const failed = Object.keys(outcomes).filter((id) => outcomes[id]!.kind === 'failed');
      expect(failed).toHaveLength(1);
      expect(Object.values(outcomes).filter((o) => o.kind === 'polled')).toHaveLength(2);
      expect(fakes.enphase.apiRequests()).toHaveLength(1 + 2 * 6); // the failed site's one call was not retried
      const anchors = await sql<{ site_id: string; as_of_ms: number }>`select site_id, (inputs->'socAnchor'->>'asOfMs')::float8 as as_of_ms from plans order by site_id`.execute(db);
      expect(Object.fromEntries(anchors.rows.map((a) => [a.site_id, a.as_of_ms]))).toEqual(Object.fromEntries([0, 1, 2].map((i) => [simSiteId(i), failed.includes(simSiteId(i)) ? seededAtMs : intervalFloor(SIM_NOW_MS)])));
    } finally {
      await queue.stop();
      await fakes.close();
    }
  });

  it('settings once per cycle: the poll\'s battery settings and Storm Guard stand in for the VPP\'s (no settings call to the VPP, no read-back after its send); an alert the poll saw makes the site stand aside', async () => {
    const { db } = get();
    const fakes = await startSimulatedFakes(2);
    const queue = new InProcessJobQueue();
    try {
      await sql`truncate sites, fleet_site_runs, fleet_slots, enphase_site_state cascade`.execute(db); // earlier tests ran this slot and polled these sites
      await seedSimulatedFleet(db, 2, SIM_NOW_MS, { channel: 'enphase-vpp', telemetryAtMs: null });
      await connectSimulatedAccount(db, fakes, 2);
      const env = fakes.workerEnv({ perMinute: 1000, perMonth: 100_000 });
      const cfg = loadConfig({ ...env, DATABASE_URL: undefined });
      const channel = createControlChannel('enphase-vpp', { baseUrl: env.FLEET_VPP_URL, programId: env.FLEET_VPP_PROGRAM, apiKey: env.FLEET_VPP_API_KEY, clientId: env.FLEET_VPP_CLIENT_ID, clientSecret: env.FLEET_VPP_CLIENT_SECRET, timeoutMs: 5_000 }, { clock: new FixedClock(SIM_NOW_MS) });
      const deps = {
        db, queue, planner: await createPlanner('dp'), channelFor: () => channel, workerId: 'w1', now: Date.now, cycleNowMs: () => SIM_NOW_MS,
        telemetry: fleetTelemetry({ db, box: createSecretBox(SIM_SECRET_KEY), settings: cfg, clock: systemClock }),
      };
      // Storm Guard turns on at the second site's battery (one device: the Enphase fake reports the VPP fake's battery)
      fakes.vpp.setStormGuard(simVppSiteId(1), true);
      await queue.start(fleetHandlers(deps), { concurrency: 1 });
      await queue.enqueue([tickJob(slotOf(SIM_NOW_MS))]);
      await queue.idle();
      const enphaseCalls = fakes.enphase.apiRequests().map((r) => r.path.replace(/\d+/g, '{id}'));
      expect(enphaseCalls.filter((p) => p.endsWith('/battery_settings'))).toHaveLength(2);
      expect(enphaseCalls.filter((p) => p.endsWith('/storm_guard'))).toHaveLength(2);
      const vppCalls = fakes.vpp.apiRequests().map((r) => `${r.method} ${r.path.replace(/\d+/g, '{id}')}`);
      expect(vppCalls).toEqual(['POST /api/v{id}/events']); // the first site's command; no settings read before or after
      const status = await sql<{ site_id: string; status: string; reason: string }>`select site_id, status, reason from site_dispatch order by site_id`.execute(db);
      expect(status.rows[0]).toMatchObject({ site_id: simSiteId(0), status: 'dispatching' });
      expect(status.rows[1]).toMatchObject({ site_id: simSiteId(1), status: 'standing_aside' });
      expect(status.rows[1]!.reason).toMatch(/Storm Guard/);
    } finally {
      await queue.stop();
      await fakes.close();
    }
  });
});
