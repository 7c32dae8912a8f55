/**
 * Fleet benchmark: one full cycle (telemetry pulled from the Enphase fake, plan, decide, apply to the fake VPP) for N
 * simulated sites with 2 worker processes (graphile-worker, concurrency 4 each) on the local PostgreSQL, in a fresh
 * database (dropped afterwards). The fakes run on loopback in this process (they share the 2 cores with the workers
 * and PostgreSQL; their CPU is this process's user+sys during the cycle, reported on its own).
 * FLEET_BENCH_HISTORY_DAYS=14: every site starts with 14 days of telemetry (a fleet in its steady state).
 * FLEET_BENCH_FAKES=none: the previous set-up (telemetry seeded in the store, the in-process simulator channel). Reports wall time (workers started -> last site done), time per site, rows written
 * per site (pg_stat_user_tables inserts+updates+deletes) and statements per site (pg_stat_database commits: each
 * autocommit statement is one transaction), and the load average. N list = FLEET_BENCH_SITES (default "1000,10000").
 * Needs DATABASE_URL (or BENCH_DATABASE_URL); skipped otherwise. Asserts nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { seedSimulatedFleet, SIM_NOW_MS } from '../src/app/fleet/simulated-fleet.js';
import { connectSimulatedAccount, startSimulatedFakes, type SimulatedFakes } from '../src/app/fleet/simulated-fakes.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';

const baseUrl = (): string | undefined => process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function stats(url: string): Promise<{ commits: number; rows: number }> {
  return admin(url, async (c) => {
    await c.query('select pg_stat_clear_snapshot()');
    const d = await c.query('select xact_commit::float8 as n from pg_stat_database where datname = current_database()');
    const t = await c.query("select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::float8 as n from pg_stat_user_tables where schemaname = 'public'");
    return { commits: Number(d.rows[0].n), rows: Number(t.rows[0].n) };
  });
}

function workerEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  return { file: here.replace(/bench[/\\]fleet\.bench\.(ts|js)$/, `src/app/fleet/worker-main.${ts ? 'ts' : 'js'}`), execArgv: ts ? ['--import', 'tsx'] : [] };
}

const TICKS_PER_S = 100;

/** user+sys CPU seconds of a live process from /proc (0 when gone or unreadable). */
function procCpuS(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** Samples the CPU time of the PostgreSQL backends serving `dbName` (max seen per pid) until stopped. */
function sampleBackendCpu(url: string, dbName: string): { stop(): Promise<number> } {
  const seen = new Map<number, number>();
  let stopped = false;
  const loop = admin(url, async (c) => {
    while (!stopped) {
      const r = await c.query('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
      for (const { pid } of r.rows as { pid: number }[]) seen.set(pid, Math.max(seen.get(pid) ?? 0, procCpuS(pid)));
      await new Promise((res) => setTimeout(res, 100));
    }
  });
  return { async stop() { stopped = true; await loop; return [...seen.values()].reduce((a, b) => a + b, 0); } };
}

async function benchSites(n: number): Promise<string> {
  const base = baseUrl()!;
  const dbName = `fleet_bench_${Date.now().toString(36)}`;
  await admin(base, (c) => c.query(`create database ${dbName}`));
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const dbUrl = url.toString();
  const withFakes = process.env.FLEET_BENCH_FAKES !== 'none';
  let fakes: SimulatedFakes | undefined;
  try {
    const opened = await openDatabase({ databaseUrl: dbUrl, poolSize: 4 });
    await migrateToLatest(opened.db);
    const ts = performance.now();
    if (withFakes) fakes = await startSimulatedFakes(n);
    // FLEET_BENCH_HISTORY_DAYS=14: every site starts with 14 days of telemetry (a fleet in its steady state).
    const historyDays = Number(process.env.FLEET_BENCH_HISTORY_DAYS ?? 0);
    await seedSimulatedFleet(opened.db, n, SIM_NOW_MS, withFakes ? { channel: 'enphase-vpp', telemetryAtMs: null, historyDays } : { historyDays });
    if (fakes) await connectSimulatedAccount(opened.db, fakes, n);
    const seedMs = performance.now() - ts;
    await opened.close();
    // FLEET_BENCH_LOG_STATEMENTS=1: every statement of the bench database goes to the server log (profiling; small N).
    if (process.env.FLEET_BENCH_LOG_STATEMENTS === '1') await admin(base, (c) => c.query(`alter database ${dbName} set log_statement = 'all'`));
    await new Promise((r) => setTimeout(r, 1500));
    const before = await stats(dbUrl);
    const load0 = loadavg().map((x) => x.toFixed(1)).join(' ');
    const { file, execArgv } = workerEntry();
    const backendCpu = sampleBackendCpu(base, dbName);
    const extraArgs = (process.env.FLEET_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const fakesEnv = fakes?.workerEnv({ perMinute: 100 * n, perMonth: 10_000 * n }) ?? { FLEET_TELEMETRY: '0' };
    const callsBefore = fakes?.enphase.apiRequests().length ?? 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const children = [0, 1].map(() => spawn(process.execPath, [...execArgv, ...extraArgs, file], {
      env: { ...process.env, ...fakesEnv, DATABASE_URL: dbUrl, FLEET_SCHEMA: 'public', FLEET_CONCURRENCY: process.env.FLEET_BENCH_CONCURRENCY ?? '4', FLEET_TICK_MS: '2000', FLEET_SIM_NOW_MS: String(SIM_NOW_MS), FLEET_UNTIL_DONE: '1', FLEET_LEASE_MS: '600000', FLEET_STATUS_EVERY_MS: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    }));
    const outputs = children.map((c) => {
      let text = '';
      c.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      return new Promise<string>((r) => c.once('exit', () => r(text)));
    });
    let startupCpuS = 0;
    const stages: Record<string, number> = {};
    const telemetry: Record<string, number> = {};
    const workerCpuS = (await Promise.all(outputs)).reduce((sum, text) => {
      const line = text.trim().split('\n').pop() ?? '{}';
      const r = JSON.parse(line) as { cpuUs?: number; readyCpuUs?: number; stagesMs?: Record<string, number>; telemetry?: Record<string, number> };
      startupCpuS += (r.readyCpuUs ?? 0) / 1e6;
      for (const [k, v] of Object.entries(r.stagesMs ?? {})) stages[k] = (stages[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.telemetry ?? {})) telemetry[k] = (telemetry[k] ?? 0) + v;
      return sum + (r.cpuUs ?? 0) / 1e6;
    }, 0);
    const wallMs = performance.now() - t0;
    const cpu1 = process.cpuUsage(cpu0);
    const fakesCpuS = fakes ? (cpu1.user + cpu1.system) / 1e6 : 0;
    const pgCpuS = await backendCpu.stop();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await stats(dbUrl);
    const span = await admin(dbUrl, (c) => c.query('select (max(finished_at_ms) - min(started_at_ms))::float8 as ms, count(*)::int as n from fleet_site_runs'));
    const cycleMs = Number(span.rows[0].ms);
    const sends = await admin(dbUrl, (c) => c.query("select count(*)::int as n from commands where external_id is not null"));
    const stageTotal = Object.values(stages).reduce((a, b) => a + b, 0);
    const split = Object.entries(stages).map(([k, v]) => `${k} ${(v / n).toFixed(1)} ms (${((100 * v) / stageTotal).toFixed(0)} %)`).join(', ');
    const callsByPath = (reqs: { method: string; path: string }[]): string => {
      const by = new Map<string, number>();
      for (const r of reqs) {
        const k = `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/{id}').replace(/\/[0-9a-f-]{16,}(?=\/|$)/gi, '/{id}')}`;
        by.set(k, (by.get(k) ?? 0) + 1);
      }
      return [...by].map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ');
    };
    const fakesLine = fakes
      ? `; fakes on loopback (this process, same 2 cores): Enphase ${((fakes.enphase.apiRequests().length - callsBefore) / n).toFixed(1)} calls/site (${callsByPath(fakes.enphase.apiRequests().slice(callsBefore))}), VPP ${(fakes.vpp.apiRequests().length / n).toFixed(1)} calls/site (${callsByPath(fakes.vpp.apiRequests())}), ${fakes.vpp.createdEvents().length} events created, CPU ${((fakesCpuS * 1000) / n).toFixed(2)} ms/site (${fakesCpuS.toFixed(1)} s); telemetry ${JSON.stringify(telemetry)}`
      : '; no fakes (telemetry seeded, simulator channel)';
    return `fleet cycle, ${n} sites, 2 worker processes x ${process.env.FLEET_BENCH_CONCURRENCY ?? 4}${fakes ? ', telemetry from the Enphase fake, commands to the fake VPP' : ''}: ${(wallMs / 1000).toFixed(1)} s wall (start-up included), ${(cycleMs / 1000).toFixed(1)} s first claim -> last done, ` +
      `${(cycleMs / n).toFixed(1)} ms/site; ${span.rows[0].n} site runs, ${sends.rows[0].n} commands sent; ` +
      `${((after.rows - before.rows) / n).toFixed(1)} rows written/site, ${((after.commits - before.commits) / n).toFixed(1)} statements/site; CPU/site: workers ${((workerCpuS * 1000) / n).toFixed(2)} ms + postgres ${((pgCpuS * 1000) / n).toFixed(2)} ms = ${(((workerCpuS + pgCpuS) * 1000) / n).toFixed(2)} ms ` +
      `(without the workers' start-up, ${startupCpuS.toFixed(1)} s: ${(((workerCpuS - startupCpuS) * 1000) / n).toFixed(2)} + ${((pgCpuS * 1000) / n).toFixed(2)} = ${(((workerCpuS - startupCpuS + pgCpuS) * 1000) / n).toFixed(2)} ms); seeding ${(seedMs / 1000).toFixed(0)} s; load ${load0} -> ${loadavg().map((x) => x.toFixed(1)).join(' ')}` +
      `; per-site wall by stage (summed over sites, concurrent): ${split}${fakesLine}`;
  } finally {
    await fakes?.close();
    await admin(base, (c) => c.query(`drop database if exists ${dbName} with (force)`));
  }
}

export async function run(): Promise<void> {
  if (!baseUrl()) {
    console.log('fleet: skipped (set DATABASE_URL or BENCH_DATABASE_URL to a PostgreSQL database)');
    return;
  }
  const sizes = (process.env.FLEET_BENCH_SITES ?? '1000,10000').split(',').map((s) => Number.parseInt(s, 10));
  const lines: string[] = [];
  for (const n of sizes) {
    const line = await benchSites(n);
    console.log(line);
    lines.push(line);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
