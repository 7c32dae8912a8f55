/**
 * One full dispatch cycle on the real path, for N simulated sites on the embedded store (issue 9's target: 1,000
 * sites in under 30 s): the simulated world of src/app/demo/sim-world.ts (fake ERCOT server with the bundled real
 * HB_HOUSTON prices, one Enphase account whose fake reports what the simulated batteries did, half the sites on the
 * Enphase VPP fake, half on the Texture fake) and the daemon's own jobs (buildDaemonJobs) on PGlite in a fresh
 * temporary folder (DISPATCH_CYCLE_STORE=memory: in memory).
 *
 * Set-up (not timed as the cycle): the account is connected and its N systems synced, 18 days of price history are
 * fetched through the ERCOT client, and one warm-up quarter hour runs (first telemetry, first plans and commands).
 * Then one quarter hour is timed tick by tick, as the daemon's heartbeat runs them:
 *   telemetry   :03  enphase-telemetry-poll (the Enphase client, N systems on one account)
 *   prices      :05  ercot-rt-spp (the ERCOT client) + command-status-refresh (:04, the channel fakes)
 *   dispatch    :07  plan-dispatch: per site resolve/refresh, plan (DP), decide, apply to the VPP / Texture fakes
 *   rest        :10, :14  reconcile, command-status-refresh, backfill (reported, not part of the cycle)
 * The dispatch tick's split (refresh, plan, decide, apply) comes from the daemon's own per-stage metric. Wall and
 * CPU (user+sys of this process) per stage. The fakes run in a child process, as the outside world would (this
 * process is the daemon alone; DISPATCH_CYCLE_FAKES=local keeps them in this process, whose CPU then includes
 * serving them). N = DISPATCH_CYCLE_SITES (default 100).
 * `npm run bench -- dispatch-cycle`. Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { DEMO_SETTLEMENT_POINT, DEMO_START_MS, demoErcotData, demoErcotFiles } from '../src/app/demo/live-demo.js';
import { createSimWorld, createSimWorldWithFakesInChild, type SimSiteSpec } from '../src/app/demo/sim-world.js';
import { silentLogger } from '../src/app/logger.js';
import { MINUTE_MS, INTERVAL_MS, intervalFloor } from '../src/domain/time/interval.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import type { TickReport } from '../src/app/scheduler/scheduler.js';
import { PGlite } from '@electric-sql/pglite';

/** DISPATCH_CYCLE_SQL=1: statements per SQL text during the timed cycle (calls, ms, rows), the top 25 printed. */
const sqlStats = new Map<string, { calls: number; ms: number; rows: number }>();
let sqlOn = false;
if (process.env.DISPATCH_CYCLE_SQL) {
  let proto = PGlite.prototype as unknown as { query: unknown } | null;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'query')) proto = Object.getPrototypeOf(proto) as { query: unknown } | null;
  const original = proto!.query as (this: PGlite, q: string, p?: unknown[]) => Promise<{ rows: unknown[] }>;
  proto!.query = async function (this: PGlite, q: string, p?: unknown[]) {
    const t = performance.now();
    const r = await original.call(this, q, p);
    if (sqlOn) {
      const e = sqlStats.get(q) ?? { calls: 0, ms: 0, rows: 0 };
      e.calls++; e.ms += performance.now() - t; e.rows += r.rows.length;
      sqlStats.set(q, e);
    }
    return r;
  };
}

interface Measured { wallMs: number; cpuMs: number; jobs: string[]; failed: string[] }

async function measure(fn: () => Promise<TickReport[]>): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reports = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    wallMs, cpuMs: (cpu.user + cpu.system) / 1000,
    jobs: reports.filter((r) => r.outcome !== 'skipped').map((r) => r.job),
    failed: reports.filter((r) => r.outcome === 'failed').map((r) => `${r.job}: ${r.error ?? ''}`),
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function run(): Promise<void> {
  const n = Number.parseInt(process.env.DISPATCH_CYCLE_SITES ?? '100', 10);
  const inMemory = process.env.DISPATCH_CYCLE_STORE === 'memory';
  const dir = inMemory ? undefined : mkdtempSync(join(tmpdir(), 'ercot-arb-bench-cycle-'));
  const tSetup = performance.now();
  const opened = await openDatabase(inMemory ? { inMemory: true } : { dataDir: dir });
  try {
    await migrateToLatest(opened.db);
    // As the demo: sites alternate between the VPP fake and Texture (enrolled in grid services), 18 days of history.
    // The Enphase budget is raised: syncing 1,000 systems takes more than 1,000 calls in one (simulated) minute.
    const sites: SimSiteSpec[] = Array.from({ length: n }, (_, i) => (i % 2 === 0
      ? { channel: 'enphase-vpp' as const, systemId: 1001 + i }
      : { channel: 'texture' as const, systemId: 1001 + i, controlSettings: { exportAllowed: true } }));
    const fakesLocal = process.env.DISPATCH_CYCLE_FAKES === 'local';
    const common = {
      db: opened.db, logger: silentLogger(), startMs: DEMO_START_MS, settlementPoint: DEMO_SETTLEMENT_POINT, sites, historyDays: 18,
      env: { RECONCILE_LOOKBACK_HOURS: '6', ENPHASE_CALLS_PER_MINUTE: String(Math.max(1000, 10 * n)) },
    };
    const world = fakesLocal ? await createSimWorld({ ...common, ercotData: demoErcotData() }) : await createSimWorldWithFakesInChild({ ...common, ercotFiles: demoErcotFiles() });
    const demo = world;
    try {
      const setupMs = performance.now() - tSetup;
      const warm = await measure(async () => (await world.step()).reports);
      const startMs = intervalFloor(world.clock.nowMs());
      const tickAt = (minute: number) => measure(async () => {
        await world.moveTo(startMs + minute * MINUTE_MS);
        return world.daemon.tick();
      });
      const profile = process.env.DISPATCH_CYCLE_PROFILE;
      const session = profile ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      sqlOn = true;
      const stageBefore = await world.daemon.metrics.dispatchStageSeconds();
      const telemetry = await tickAt(3);
      const prices = await tickAt(5);
      const dispatch = await tickAt(7);
      const stageAfter = await world.daemon.metrics.dispatchStageSeconds();
      if (session && profile) {
        const { profile: p } = await session.post('Profiler.stop');
        writeFileSync(profile, JSON.stringify(p));
        session.disconnect();
      }
      sqlOn = false;
      const rest = [await tickAt(10), await tickAt(14)];
      await world.moveTo(startMs + INTERVAL_MS);
      const split = Object.fromEntries(Object.keys(stageAfter).map((k) => [k, (stageAfter[k] - (stageBefore[k] ?? 0)) * 1000]));
      const cycle = [telemetry, prices, dispatch];
      const failed = [...warm.failed, ...cycle.flatMap((m) => m.failed), ...rest.flatMap((m) => m.failed)];
      const line = (label: string, m: Measured) => `  ${label.padEnd(10)} ${s(m.wallMs).padStart(8)} wall, ${s(m.cpuMs).padStart(8)} CPU  (${m.jobs.join(', ') || 'nothing due'})`;
      console.log([
        `dispatch cycle on the real path, ${n} sites (${n - Math.floor(n / 2)} Enphase VPP, ${Math.floor(n / 2)} Texture; one Enphase account), PGlite ${inMemory ? 'in memory' : 'in a new folder'}:`,
        `  set-up ${s(setupMs)} (connect, sites sync, 18 days of prices through the ERCOT client); warm-up quarter hour ${s(warm.wallMs)} wall, ${s(warm.cpuMs)} CPU`,
        `  cycle   ${s(cycle.reduce((a, m) => a + m.wallMs, 0))} wall, ${s(cycle.reduce((a, m) => a + m.cpuMs, 0))} CPU:`,
        line('telemetry', telemetry), line('prices', prices), line('dispatch', dispatch),
        `             of which refresh ${s(split.refresh ?? 0)}, plan ${s(split.plan ?? 0)}, decide ${s(split.decide ?? 0)}, apply ${s(split.apply ?? 0)}`,
        line('after', { wallMs: rest[0].wallMs + rest[1].wallMs, cpuMs: rest[0].cpuMs + rest[1].cpuMs, jobs: [...rest[0].jobs, ...rest[1].jobs], failed: [] }),
        `  commands received by the fakes ${await world.fakes.commandsReceived()} (fakes ${fakesLocal ? 'in this process' : 'in a child process'}); rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB` +
          (failed.length ? `\n  FAILED: ${failed.join('; ')}` : ''),
      ].join('\n'));
      if (sqlStats.size) {
        const all = [...sqlStats.values()].reduce((a, e) => ({ calls: a.calls + e.calls, ms: a.ms + e.ms, rows: a.rows + e.rows }), { calls: 0, ms: 0, rows: 0 });
        console.log(`  SQL in the cycle: ${all.calls} statements (${(all.calls / n).toFixed(1)} per site), ${s(all.ms)}, ${all.rows} rows`);
        for (const [q, e] of [...sqlStats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`${e.ms.toFixed(0).padStart(7)} ms ${String(e.calls).padStart(6)} calls ${String(e.rows).padStart(8)} rows  ${q.replace(/\s+/g, ' ').slice(0, 260)}`);
      }
    } finally {
      await demo.close();
    }
  } finally {
    await opened.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
