/**
 * The backends every repository test runs against: PGlite in memory always, PostgreSQL when DATABASE_URL is set.
 * Use with describe.each(backends()).
 *
 * One migrated store per test file, emptied between tests. A migrated database costs ~1.3 s of CPU on PGlite (start
 * the WebAssembly PostgreSQL from the initdb archive, then run the migrations) and a schema plus migrations on
 * PostgreSQL; emptying one costs ~0.07 s. So `open()` lends out an idle migrated database (PGlite: an instance of its
 * own; PostgreSQL: a schema of its own) and makes a new one only when none is idle (two open at once get two).
 * `dispose()` (or `close()`) hands it back: the borrower's Kysely is destroyed and its later queries fail (as on a
 * closed database), a transaction left open is rolled back, the session is reset (`discard all`), and when the schema
 * is still exactly the freshly migrated one (tables, columns, constraints, indexes, triggers, functions and the
 * migration rows compared), every table is truncated and its identity sequences restarted: the next borrower sees a
 * freshly migrated, empty database. A database whose schema a test changed is closed (its schema dropped) instead.
 * `open({ migrate: false })` is always a new, unmigrated database, never reused. After the suite that called
 * `backends()` (afterAll) the idle databases are closed and their schemas dropped.
 */
import { randomBytes } from 'node:crypto';
import { Kysely, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase, type OpenedDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { openPgliteInMemory } from '../../src/store/pglite-store.js';
import { PgliteDialect } from '../../src/store/pglite-dialect.js';
import type { Database } from '../../src/store/schema.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** A freshly migrated, empty database (its own schema on PostgreSQL); `migrate: false` for an empty one. */
  open(options?: { migrate?: boolean }): Promise<TestDatabase>;
}

export interface TestDatabase extends OpenedDatabase {
  /** Hands the database back (emptied for the next test, or closed and, on PostgreSQL, its schema dropped). */
  dispose(): Promise<void>;
  /** PostgreSQL only: another, independent pool on the same schema (as a second engine process would have). */
  openAnother?(): Promise<OpenedDatabase>;
}

export const DATABASE_URL = process.env.DATABASE_URL;

export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** What a freshly migrated schema looks like (and a test must not have changed): one text, compared as a whole. */
function fingerprintSql(schemas: string): string {
  return `
    select string_agg(x, E'\\n' order by x) as fp from (
      select 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text as x
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${schemas}
      union all
      select 'col ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where ${schemas} and a.attnum > 0 and not a.attisdropped
      union all
      select 'con ' || n.nspname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
        from pg_constraint co join pg_namespace n on n.oid = co.connamespace where ${schemas}
      union all
      select 'idx ' || n.nspname || ' ' || pg_get_indexdef(i.indexrelid)
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where ${schemas}
      union all
      select 'trg ' || n.nspname || '.' || c.relname || ' ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where ${schemas} and not t.tgisinternal
      union all
      select 'fn ' || n.nspname || '.' || p.proname || ' ' || md5(coalesce(p.prosrc, ''))
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${schemas}
    ) parts`;
}

/** Tables to empty, and the migration rows (part of the fingerprint: a test may add one, see migrations.test.ts). */
async function inspectSchema(run: (text: string) => Promise<Record<string, unknown>[]>, schema: string, schemas: string): Promise<{ fingerprint: string; tables: string[] }> {
  const [fp] = await run(fingerprintSql(schemas));
  const migrations = await run(`select name from ${schema}.kysely_migration order by name`).catch(() => []);
  const locks = await run(`select id || ':' || is_locked as l from ${schema}.kysely_migration_lock order by id`).catch(() => []);
  const tables = (await run(`select tablename from pg_tables where schemaname = '${schema}' and tablename not like 'kysely_migration%' order by tablename`)).map((r) => String(r.tablename));
  return { fingerprint: [String(fp?.fp), ...migrations.map((r) => String(r.name)), ...locks.map((r) => String(r.l))].join('\n'), tables };
}

function truncateSql(schema: string, tables: string[]): string {
  return `truncate ${tables.map((t) => `${schema}."${t}"`).join(', ')} restart identity cascade`;
}

// ---------------------------------------------------------------------------------------------------------------
// PGlite: idle migrated instances of this file.

const PGLITE_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'`;

interface PgliteSlot {
  pglite: PGlite;
  close(): Promise<void>;
}

const idlePglite: PgliteSlot[] = [];
let pgliteBaseline: { fingerprint: string; tables: string[] } | undefined;

const pgliteRun = (pglite: PGlite) => async (text: string) => (await pglite.query<Record<string, unknown>>(text)).rows;

/**
 * The borrower's view of an instance: every query fails once it is handed back, and closing it (the dialect closes
 * its PGlite when the Kysely is destroyed) only ends the loan.
 */
function lend(slot: PgliteSlot): { pglite: PGlite; end(): void } {
  let ended = false;
  const guard = (name: string, fn: (...args: never[]) => unknown) => (...args: never[]) => {
    if (ended) throw new Error(`the test database was disposed (${name} after dispose)`);
    return fn.apply(slot.pglite, args);
  };
  const pglite = new Proxy(slot.pglite, {
    get(target, prop) {
      if (prop === 'close') return async () => undefined;
      if (prop === 'closed') return ended || target.closed;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? guard(String(prop), value as (...args: never[]) => unknown) : value;
    },
  });
  return { pglite, end: () => void (ended = true) };
}

async function newPgliteSlot(): Promise<PgliteSlot> {
  const opened = await openPgliteInMemory();
  const slot: PgliteSlot = { pglite: opened.pglite, close: opened.close };
  const db = new Kysely<Database>({ dialect: new PgliteDialect(opened.pglite) });
  await migrateToLatest(db); // not destroyed: that would close the instance
  pgliteBaseline ??= await inspectSchema(pgliteRun(opened.pglite), 'public', PGLITE_SCHEMAS);
  return slot;
}

async function retirePglite(slot: PgliteSlot): Promise<void> {
  await slot.close();
}

/** Empties the instance for the next borrower, or closes it when its schema is no longer the migrated one. */
async function returnPglite(slot: PgliteSlot): Promise<void> {
  try {
    const run = pgliteRun(slot.pglite);
    if (slot.pglite.closed) return;
    await slot.pglite.exec('rollback'); // a transaction left open (a warning, not an error, when there is none)
    await slot.pglite.exec('discard all');
    const now = await inspectSchema(run, 'public', PGLITE_SCHEMAS);
    if (!pgliteBaseline || now.fingerprint !== pgliteBaseline.fingerprint) return await retirePglite(slot);
    await slot.pglite.exec(truncateSql('public', now.tables));
    idlePglite.push(slot);
  } catch {
    await retirePglite(slot).catch(() => undefined);
  }
}

const pglite: Backend = {
  name: 'pglite',
  async open(options = {}) {
    if (options.migrate === false) {
      const opened = await openDatabase({ inMemory: true });
      return { ...opened, dispose: () => opened.close() };
    }
    const slot = idlePglite.pop() ?? (await newPgliteSlot());
    const loan = lend(slot);
    const db = new Kysely<Database>({ dialect: new PgliteDialect(loan.pglite) });
    let returned: Promise<void> | undefined;
    const dispose = () =>
      (returned ??= (async () => {
        await db.destroy().catch(() => undefined); // waits for a query in flight
        loan.end();
        await returnPglite(slot);
      })());
    return { db, kind: 'pglite', schema: 'public', location: 'memory', close: dispose, dispose };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL: idle migrated schemas of this file.

const idleSchemas: string[] = [];
let postgresBaseline: { fingerprint: string; tables: string[] } | undefined;

const schemaFilter = (schema: string) => `n.nspname = '${schema}'`;

/** The fingerprint with the schema's name taken out, so that schemas of the same file compare equal. */
async function inspectPostgres(client: pg.Client, schema: string) {
  const seen = await inspectSchema(async (text) => (await client.query(text)).rows as Record<string, unknown>[], schema, schemaFilter(schema));
  return { ...seen, fingerprint: seen.fingerprint.split(schema).join('<schema>') };
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function newSchema(): Promise<string> {
  const schema = uniqueSchema();
  const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 1 });
  try {
    await migrateToLatest(opened.db, { schema });
  } finally {
    await opened.close();
  }
  postgresBaseline ??= await withClient((client) => inspectPostgres(client, schema));
  return schema;
}

async function retireSchema(schema: string): Promise<void> {
  await dropSchema(DATABASE_URL!, schema);
}

async function returnSchema(schema: string): Promise<void> {
  try {
    const reusable = await withClient(async (client) => {
      await client.query(`set lock_timeout = '5s'`); // a connection a test leaked holds a lock: drop it instead
      const now = await inspectPostgres(client, schema);
      if (!postgresBaseline || now.fingerprint !== postgresBaseline.fingerprint) return false;
      await client.query(truncateSql(schema, now.tables));
      return true;
    });
    if (reusable) return void idleSchemas.push(schema);
  } catch {
    /* dropped below */
  }
  await retireSchema(schema);
}

function refuseAfter(ended: () => boolean): KyselyPlugin {
  return {
    transformQuery(args) {
      if (ended()) throw new Error('the test database was disposed (a query after dispose)');
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

const postgres: Backend = {
  name: 'postgres',
  async open(options = {}) {
    if (options.migrate === false) {
      const schema = uniqueSchema();
      const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 });
      return {
        ...opened,
        openAnother: () => openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 }),
        dispose: async () => {
          await opened.close();
          await dropSchema(DATABASE_URL!, schema);
        },
      };
    }
    const schema = idleSchemas.pop() ?? (await newSchema());
    const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 });
    let ended = false;
    let returned: Promise<void> | undefined;
    const dispose = () =>
      (returned ??= (async () => {
        ended = true;
        await opened.close();
        await returnSchema(schema);
      })());
    return {
      ...opened,
      // kysely still runs queries after destroy() on pg (a new pool connection): refuse them, the schema is reused.
      db: opened.db.withPlugin(refuseAfter(() => ended)),
      close: dispose,
      openAnother: () => openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 }),
      dispose,
    };
  },
};

/** Closes this file's idle databases and drops its schemas (a database still lent out is the test's to dispose). */
async function closeIdle(): Promise<void> {
  const slots = idlePglite.splice(0);
  const schemas = idleSchemas.splice(0);
  await Promise.all([
    ...slots.map((slot) => retirePglite(slot).catch(() => undefined)),
    ...schemas.map((schema) => retireSchema(schema).catch(() => undefined)),
  ]);
}

/**
 * The backends to run on. Call it while the file is collected (`describe.each(backends())`): it registers closing the
 * file's idle databases after the enclosing suite, once per call, so that this holds when vitest runs several files in
 * one process (isolate: false) too, where this module is loaded once.
 */
export function backends(): Backend[] {
  afterAll(closeIdle);
  return DATABASE_URL ? [pglite, postgres] : [pglite];
}

/** One migrated database for the enclosing describe block; `get()` inside tests. */
export function useDatabase(backend: Backend): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await backend.open();
  });
  afterAll(async () => {
    await current?.dispose();
  });
  return () => {
    if (!current) throw new Error('database not open yet');
    return current;
  };
}
