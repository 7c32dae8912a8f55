/**
 * Job-engine comparison on the local PostgreSQL: graphile-worker 0.17 vs pg-boss 10 (both run on Node 20).
 * For each engine, in its own schema (dropped afterwards): 2 worker processes (concurrency 4 each);
 * (1) throughput: enqueue N no-op jobs in one batch, time until all are done; (2) pickup latency: 30 jobs enqueued one
 * at a time on idle workers, enqueue -> handler start; (3) dedupe: the same key enqueued 5 times -> rows kept.
 * N = JOB_BENCH_N (default 2000). Needs DATABASE_URL (or BENCH_DATABASE_URL); skipped otherwise. Asserts nothing.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

type Engine = 'graphile-worker' | 'pg-boss';
const ENGINES: Engine[] = ['graphile-worker', 'pg-boss'];
const url = (): string | undefined => process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const schemaOf = (e: Engine): string => (e === 'pg-boss' ? 'bench_pgboss' : 'bench_gw');

async function sql(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url() });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

/** Child process: runs the engine's worker; each job writes its pickup latency to bench_jobs.done. */
async function worker(engine: Engine): Promise<void> {
  const pool = new pg.Pool({ connectionString: url(), max: 2 });
  const record = async (payload: { id: string; t: number }): Promise<void> => {
    const latencyMs = Date.now() - payload.t;
    await pool.query('insert into bench_jobs.done(engine, job_id, latency_ms) values ($1,$2,$3)', [engine, payload.id, latencyMs]);
  };
  if (engine === 'graphile-worker') {
    const { run, Logger } = await import('graphile-worker');
    await run({ logger: new Logger(() => () => undefined), connectionString: url(), schema: schemaOf(engine), concurrency: 4, noHandleSignals: false, pollInterval: 1000, taskList: { noop: async (p) => record(p as never) } });
  } else {
    const PgBoss = (await import('pg-boss')).default;
    const boss = new PgBoss({ connectionString: url(), schema: schemaOf(engine), max: 4, supervise: false, schedule: false });
    await boss.start();
    for (let i = 0; i < 4; i++) await boss.work('noop', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async ([job]) => record(job!.data as never));
  }
  process.send?.('ready');
}

interface Producer {
  add(jobs: { id: string; key?: string }[]): Promise<void>;
  close(): Promise<void>;
}

async function producer(engine: Engine): Promise<Producer> {
  if (engine === 'graphile-worker') {
    const { makeWorkerUtils } = await import('graphile-worker');
    const utils = await makeWorkerUtils({ connectionString: url(), schema: schemaOf(engine) });
    await utils.migrate();
    return {
      add: async (jobs) => void (await utils.addJobs(jobs.map((j) => ({ identifier: 'noop', payload: { id: j.id, t: Date.now() }, jobKey: j.key })))),
      close: async () => {
        await utils.release();
      },
    };
  }
  const PgBoss = (await import('pg-boss')).default;
  const boss = new PgBoss({ connectionString: url(), schema: schemaOf(engine), max: 2, supervise: false, schedule: false });
  await boss.start();
  await boss.createQueue('noop');
  return {
    add: async (jobs) => {
      if (jobs.length === 1) await boss.send('noop', { id: jobs[0]!.id, t: Date.now() }, jobs[0]!.key ? { singletonKey: jobs[0]!.key, singletonSeconds: 900 } : {});
      else await boss.insert(jobs.map((j) => ({ name: 'noop', data: { id: j.id, t: Date.now() }, singletonKey: j.key, singletonSeconds: j.key ? 900 : undefined })));
    },
    close: () => boss.stop({ graceful: false, wait: true }),
  };
}

async function doneCount(engine: Engine, prefix: string): Promise<number> {
  const r = await sql('select count(*)::int n from bench_jobs.done where engine=$1 and job_id like $2', [engine, `${prefix}%`]);
  return r.rows[0].n as number;
}

async function waitDone(engine: Engine, prefix: string, n: number, timeoutMs = 300_000): Promise<void> {
  const t0 = Date.now();
  while ((await doneCount(engine, prefix)) < n) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${engine}: timed out waiting for ${n} ${prefix} jobs`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function benchEngine(engine: Engine, n: number): Promise<string> {
  await sql(`drop schema if exists ${schemaOf(engine)} cascade`);
  const prod = await producer(engine);
  const children = [0, 1].map(() => fork(fileURLToPath(import.meta.url), ['job-engine-worker', engine], { stdio: 'inherit' }));
  try {
    await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
    const t0 = performance.now();
    for (let i = 0; i < n; i += 500) await prod.add(Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ id: `tp-${i + k}` })));
    const enqueueMs = performance.now() - t0;
    await waitDone(engine, 'tp-', n);
    const totalMs = performance.now() - t0;
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      await prod.add([{ id: `lat-${i}` }]);
      await waitDone(engine, `lat-${i}`, 1);
    }
    const r = await sql("select latency_ms from bench_jobs.done where engine=$1 and job_id like 'lat-%'", [engine]);
    lat.push(...r.rows.map((x) => Number(x.latency_ms)));
    for (let i = 0; i < 5; i++) await prod.add([{ id: `dup-${i}`, key: 'site-1:slot-42' }]);
    await new Promise((res) => setTimeout(res, 2000));
    const dup = await doneCount(engine, 'dup-');
    return `${engine.padEnd(16)} ${n} jobs: enqueue ${enqueueMs.toFixed(0)} ms, all done ${totalMs.toFixed(0)} ms (${((n / totalMs) * 1000).toFixed(0)} jobs/s); pickup latency p50 ${pct(lat, 50)} ms p95 ${pct(lat, 95)} ms max ${Math.max(...lat)} ms; same key x5 -> ${dup} run(s)`;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await prod.close();
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sql(`drop schema if exists ${schemaOf(engine)} cascade`);
  }
}

export async function run(): Promise<void> {
  if (!url()) {
    console.log('job-engines: skipped (set DATABASE_URL or BENCH_DATABASE_URL to a PostgreSQL database)');
    return;
  }
  const n = Number.parseInt(process.env.JOB_BENCH_N ?? '2000', 10);
  await sql('create schema if not exists bench_jobs; drop table if exists bench_jobs.done; create table bench_jobs.done(engine text, job_id text, latency_ms int)');
  try {
    const only = process.env.JOB_BENCH_ENGINE as Engine | undefined;
    for (const e of ENGINES.filter((x) => !only || x === only)) console.log(await benchEngine(e, n));
    const os = await import('node:os');
    console.log(`job-engines: 2 worker processes x concurrency 4, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await sql('drop schema if exists bench_jobs cascade');
  }
}

if (process.argv[2] === 'job-engine-worker') await worker(process.argv[3] as Engine);
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
