/**
 * For the kill tests: run the real CLI in a child process and SIGKILL it at a chosen moment; a seeded random source;
 * the store backends as the CLI sees them (an embedded data directory, or a PostgreSQL database of its own).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type OpenedDatabase } from '../../src/store/database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = `${ROOT}dist/src/cli/main.bundle.mjs`;

/** The built CLI as bin/ercot-arb.js runs it (the bundle) when there is one (npm test builds first), else the sources through tsx. */
export function cliArgv(): string[] {
  return existsSync(BUILT) ? [BUILT] : ['--import', 'tsx', `${ROOT}src/cli/main.ts`];
}

export interface ChildRun {
  /** Exit code, or null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (an env value '' unsets that variable); with `killAfterMs`, sends SIGKILL after that long (if it is still running). */
export function runCliChild(args: string[], env: Record<string, string>, killAfterMs?: number): Promise<ChildRun> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  for (const [key, value] of Object.entries(env)) {
    if (value === '') delete childEnv[key]; // '' means unset
    else childEnv[key] = value;
  }
  const child = spawn(process.execPath, [...cliArgv(), ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started, stdout, stderr });
    });
  });
}

/** mulberry32: a small seeded generator, so a failing round can be replayed (ERCOT_ARB_KILL_SEED). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds per scenario: the given default times ERCOT_ARB_KILL_ROUNDS (a multiplier, default 1). */
export function rounds(base: number): number {
  const factor = Number(process.env.ERCOT_ARB_KILL_ROUNDS ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

export interface KillBackend {
  name: 'pglite' | 'postgres';
  /** Environment for the child CLI. */
  env: Record<string, string>;
  /** Opens the same store in this process (close it before the next child runs: the embedded store has one writer). */
  open(): Promise<OpenedDatabase>;
  /** A new, empty store (a new data directory, or a new database). */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export async function pgliteKillBackend(makeDir: () => string): Promise<KillBackend> {
  const backend: KillBackend = {
    name: 'pglite',
    env: { ERCOT_ARB_DATA_DIR: makeDir(), DATABASE_URL: '' },
    open: () => openDatabase({ dataDir: backend.env.ERCOT_ARB_DATA_DIR }),
    async reset() {
      backend.env.ERCOT_ARB_DATA_DIR = makeDir();
    },
    async dispose() {},
  };
  return backend;
}

export async function postgresKillBackend(url: string): Promise<KillBackend> {
  const created: string[] = [];
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const newDatabase = async () => {
    const name = `ercot_kill_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    await admin(`create database ${name}`);
    created.push(name);
    // Its sessions skip the log flush wait like every test session (PGOPTIONS, test/global-setup.ts): the children
    // are killed, never the server.
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const backend: KillBackend = {
    name: 'postgres',
    env: { DATABASE_URL: await newDatabase() },
    open: () => openDatabase({ databaseUrl: backend.env.DATABASE_URL, poolSize: 2 }),
    async reset() {
      backend.env.DATABASE_URL = await newDatabase();
    },
    async dispose() {
      for (const name of created) await admin(`drop database if exists ${name} with (force)`);
    },
  };
  return backend;
}

/**
 * Rows of a table counted through its primary-key index (on `keyColumn`, a text column) and through the heap: they
 * differ when the index is corrupt (what two writers on one PGlite folder did to `prices`).
 */
export async function indexAgrees(opened: OpenedDatabase, table: 'prices' | 'telemetry', keyColumn: 'market' | 'site_id'): Promise<{ viaIndex: number; viaHeap: number }> {
  return opened.db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    await sql`set local enable_bitmapscan = off`.execute(trx);
    const viaIndex = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(keyColumn)} >= ''`.execute(trx);
    await sql`set local enable_seqscan = on`.execute(trx);
    await sql`set local enable_indexscan = off`.execute(trx);
    await sql`set local enable_indexonlyscan = off`.execute(trx);
    const viaHeap = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(trx);
    return { viaIndex: viaIndex.rows[0].n, viaHeap: viaHeap.rows[0].n };
  });
}
