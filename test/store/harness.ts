/**
 * The backends every repository test runs against: PGlite in memory always, PostgreSQL when DATABASE_URL is set
 * (a unique schema per opened database, dropped afterwards). Use with describe.each(backends()).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { openDatabase, type OpenedDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrator.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Opens a fresh, empty database (its own schema on PostgreSQL). */
  open(options?: { migrate?: boolean }): Promise<TestDatabase>;
}

export interface TestDatabase extends OpenedDatabase {
  /** Closes and, on PostgreSQL, drops the schema. */
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

const pglite: Backend = {
  name: 'pglite',
  async open(options = {}) {
    const opened = await openDatabase({ inMemory: true });
    if (options.migrate !== false) await migrateToLatest(opened.db);
    return { ...opened, dispose: () => opened.close() };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open(options = {}) {
    const schema = uniqueSchema();
    const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 });
    if (options.migrate !== false) await migrateToLatest(opened.db, { schema });
    return {
      ...opened,
      openAnother: () => openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 4 }),
      dispose: async () => {
        await opened.close();
        await dropSchema(DATABASE_URL!, schema);
      },
    };
  },
};

export function backends(): Backend[] {
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
