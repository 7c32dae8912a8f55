/**
 * Kill tests: the real CLI in a child process, SIGKILLed at random moments (seeded) while it writes. Afterwards the
 * store must open again, a file import must be there completely or not at all, each ingest chunk likewise, a first
 * migration all or nothing, a killed telemetry poll never loses earlier rows and a later poll still works, and the
 * primary-key indexes of prices and telemetry must agree with their tables.
 *
 * Rounds are modest by default; ERCOT_ARB_KILL_ROUNDS=10 runs ten times as many, ERCOT_ARB_KILL_SEED picks the seed.
 * The suite is called by two test files, kill-pglite.test.ts (the embedded store, always) and kill-postgres.test.ts
 * (a database of its own, when DATABASE_URL is set), so that vitest runs the two backends in parallel workers: in one
 * file they ran one after the other and the file was the suite's long pole (141 s of a 272 s run).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeErcotServer } from '../../src/adapters/fakes/ercot/server.js';
import { startFakeEnphase, type FakeEnphase } from '../../src/adapters/fakes/enphase/server.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrateToLatest, migrationStatus } from '../../src/store/migrator.js';
import { rtDay } from '../adapters/ercot/harness.js';
import { indexAgrees, rounds, runCliChild, seededRandom, type KillBackend } from './kill-harness.js';

const SEED = Number(process.env.ERCOT_ARB_KILL_SEED ?? '20261130');
const ALL_MIGRATIONS = Object.keys(MIGRATIONS).sort();
const IMPORT_ROWS = 8_000; // 15-minute prices from 2024-01-01T00:00Z: about 83 days
const INGEST_DAYS = 21; // 2024-08-01 .. 2024-08-21, three 7-day chunks
const INGEST_POINTS = ['HB_NORTH', 'HB_WEST'];
const KILL_TIMEOUT_MS = 600_000;
type Opened = Awaited<ReturnType<KillBackend['open']>>;

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ercot-arb-kill-'));
  dirs.push(d);
  return d;
}

let csvFile = '';
let fake: FakeErcotServer;
let enphase: FakeEnphase;

function registerFixtures(): void {
  beforeAll(async () => {
    const lines = ['interval_start,price'];
    for (let i = 0; i < IMPORT_ROWS; i++) {
      const price = i % 97 === 0 ? 4_500 : i % 13 === 0 ? -12.5 : Math.round(30 + 25 * Math.sin(i / 17));
      lines.push(`${new Date(Date.UTC(2024, 0, 1) + i * 900_000).toISOString()},${price}`);
    }
    csvFile = join(tmp(), 'year.csv');
    writeFileSync(csvFile, `${lines.join('\n')}\n`);
    fake = await new FakeErcotServer().start();
    enphase = await startFakeEnphase();
    for (let d = 1; d <= INGEST_DAYS; d++) {
      const date = `2024-08-${String(d).padStart(2, '0')}`;
      fake.data.upsert('NP6-905-CD', INGEST_POINTS.flatMap((p) => rtDay(date, p, (h) => (h === 18 ? 900 : h < 5 ? -3 : 20 + h))));
    }
  });
  afterAll(async () => {
    await fake?.stop();
    await enphase?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
}

function ercotEnv(): Record<string, string> {
  return {
    ERCOT_API_BASE_URL: fake.baseUrl, ERCOT_TOKEN_URL: fake.tokenUrl, ERCOT_API_USERNAME: fake.credentials.username,
    ERCOT_API_PASSWORD: fake.credentials.password, ERCOT_API_SUBSCRIPTION_KEY: fake.credentials.subscriptionKey,
    ERCOT_SETTLEMENT_POINTS: INGEST_POINTS.join(','),
  };
}

function enphaseEnv(): Record<string, string> {
  return {
    ENPHASE_API_BASE_URL: enphase.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: enphase.apiKey,
    ENPHASE_REDIRECT_URI: 'http://127.0.0.1:9/cb', ERCOT_ARB_SECRET_KEY: 'kill test key', ENPHASE_CALLS_PER_MINUTE: '1000', ENPHASE_CALLS_PER_MONTH: '100000',
  };
}

/** Registers the kill tests for one backend; `makeBackend` gets a maker of temporary folders (removed afterwards). */
export function describeKills(name: 'pglite' | 'postgres', makeBackend: (tmp: () => string) => Promise<KillBackend>): void {
  registerFixtures();
  describe(`SIGKILL during writes on ${name}`, () => {
    killTests(name, () => makeBackend(tmp));
  });
}

function killTests(name: string, makeBackend: () => Promise<KillBackend>): void {
  let backend: KillBackend;
  const random = seededRandom(SEED + name.length);
  const killAt = (cleanMs: number) => Math.floor(random() * cleanMs);
  beforeAll(async () => {
    backend = await makeBackend();
  });
  afterAll(async () => {
    await backend?.dispose();
    // How many rounds the kill landed in (the rest finished before it): a summary for people, not an assertion.
    console.log(`kills on ${name} (seed ${SEED}): ${Object.entries(tally).map(([k, [killed, done]]) => `${k} ${killed} killed, ${done} finished first`).join('; ')}`);
  });
  const tally: Record<string, [number, number]> = {};
  async function killRun(label: string, args: string[], env: Record<string, string>, afterMs: number) {
    const run = await runCliChild(args, env, afterMs);
    const counts = (tally[label] ??= [0, 0]);
    counts[run.signal ? 0 : 1]++;
    return run;
  }

  /** Opens the store (it must open), runs the checks, closes it again before the next child. */
  async function inspect<T>(check: (opened: Opened) => Promise<T>): Promise<T> {
    const opened = await backend.open();
    try {
      for (const [table, key] of [['prices', 'market'], ['telemetry', 'site_id']] as const) {
        const counts = await indexAgrees(opened, table, key).catch(() => undefined); // no tables before migrating
        if (counts) expect(counts.viaIndex, `${table} index`).toBe(counts.viaHeap);
      }
      return await check(opened);
    } finally {
      await opened.close();
    }
  }

  it('db migrate on a new store: afterwards the store opens, with every migration or none', async () => {
    const clean = await runCliChild(['db', 'migrate'], backend.env);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    for (let r = 0; r < rounds(3); r++) {
      await backend.reset();
      const run = await killRun('migrate', ['db', 'migrate'], backend.env, killAt(clean.ms));
      await inspect(async (opened) => {
        const applied = (await migrationStatus(opened.db)).applied.map((a) => a.name);
        expect([[], ALL_MIGRATIONS], `round ${r}: killed=${run.signal !== null}`).toContainEqual(applied);
        await migrateToLatest(opened.db);
        expect((await migrationStatus(opened.db)).pending).toEqual([]);
      });
      if (backend.name === 'pglite') expect(readdirSync(backend.env.ERCOT_ARB_DATA_DIR).filter((n) => n.startsWith('.pglite-new-'))).toEqual([]);
    }
  }, KILL_TIMEOUT_MS);

  it('prices import: afterwards the file is there completely or not at all', async () => {
    await backend.reset();
    const args = ['prices', 'import', csvFile, '--format', 'csv', '--point', 'HB_KILL', '--market', 'rt15'];
    const clean = await runCliChild(args, backend.env);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const countAndClear = (o: Opened) => countPrices(o, 'HB_KILL').finally(() => sql`delete from prices where settlement_point = 'HB_KILL'`.execute(o.db));
    expect(await inspect(countAndClear)).toBe(IMPORT_ROWS);
    let killed = 0;
    for (let r = 0; r < rounds(4); r++) {
      const run = await killRun('import', args, backend.env, killAt(clean.ms));
      if (run.signal) killed++;
      const count = await inspect(countAndClear);
      expect([0, IMPORT_ROWS], `round ${r}: killed=${run.signal !== null}`).toContain(count);
    }
    expect(killed).toBeGreaterThan(0);
  }, KILL_TIMEOUT_MS);

  it('prices ingest from the fake ERCOT API: afterwards each 7-day chunk is there completely or not at all', async () => {
    const args = ['prices', 'ingest', '--product', 'rt15', '--from', '2024-08-01', '--to', `2024-08-${INGEST_DAYS}`];
    const env = { ...backend.env, ...ercotEnv() };
    const clean = await runCliChild(args, env);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const full = 7 * 96 * INGEST_POINTS.length;
    const countAndClear = (o: Opened) =>
      chunkCounts(o).finally(() => sql`delete from prices where market = 'rt15' and settlement_point in ('HB_NORTH', 'HB_WEST')`.execute(o.db));
    expect(await inspect(countAndClear)).toEqual([full, full, full]);
    for (let r = 0; r < rounds(4); r++) {
      const run = await killRun('ingest', args, { ...backend.env, ...ercotEnv() }, killAt(clean.ms));
      const counts = await inspect(countAndClear);
      for (const c of counts) expect([0, full], `round ${r}: killed=${run.signal !== null}, chunks ${counts.join('/')}`).toContain(c);
    }
  }, KILL_TIMEOUT_MS);

  it('telemetry poll against the fake Enphase: afterwards the store opens, its indexes agree, and a poll still works', async () => {
    await backend.reset();
    const env = { ...backend.env, ...enphaseEnv() };
    const connect = await runCliChild(['enphase', 'connect', '--code', `http://127.0.0.1:9/cb?code=${enphase.oauth.issueCode()}`], env);
    expect(connect.stderr).toBe('');
    expect(connect.code).toBe(0);
    expect((await runCliChild(['sites', 'sync'], env)).code).toBe(0);
    const clean = await runCliChild(['telemetry', 'poll'], env);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const rowsAfterClean = await inspect((o) => countRows(o, 'telemetry'));
    expect(rowsAfterClean).toBeGreaterThan(0);
    for (let r = 0; r < rounds(3); r++) {
      await killRun('poll', ['telemetry', 'poll'], env, killAt(clean.ms));
      // Telemetry is only ever added to or corrected: a killed poll never loses what an earlier poll stored.
      expect(await inspect((o) => countRows(o, 'telemetry')), `round ${r}`).toBeGreaterThanOrEqual(rowsAfterClean);
    }
    const after = await runCliChild(['telemetry', 'poll'], env);
    expect(after.stderr).not.toMatch(/internal error/);
    expect(after.code).not.toBe(1);
  }, KILL_TIMEOUT_MS);
}

async function countRows(opened: Opened, table: 'telemetry'): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(opened.db);
  return r.rows[0].n;
}

async function countPrices(opened: Opened, point: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from prices where settlement_point = ${point}`.execute(opened.db);
  return r.rows[0].n;
}

/** Rows per 7-day chunk of the ingest (Central dates 08-01..07, 08..14, 15..21). */
async function chunkCounts(opened: Opened): Promise<number[]> {
  const out: number[] = [];
  for (const [from, to] of [['2024-08-01', '2024-08-08'], ['2024-08-08', '2024-08-15'], ['2024-08-15', '2024-08-22']]) {
    const r = await sql<{ n: number }>`
      select count(*)::int as n from prices
      where market = 'rt15' and settlement_point in ('HB_NORTH', 'HB_WEST')
        and interval_start >= ${`${from}T00:00:00-05:00`}::timestamptz and interval_start < ${`${to}T00:00:00-05:00`}::timestamptz`.execute(opened.db);
    out.push(r.rows[0].n);
  }
  return out;
}
