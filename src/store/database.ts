/**
 * Opening the database: PostgreSQL when a URL is given (DATABASE_URL), otherwise the embedded PGlite store in
 * `<dataDir>/pglite` (ERCOT_ARB_DATA_DIR, default ./data; one process at a time, see pglite-store.ts), or in memory.
 * Same schema, same queries.
 */
import { Kysely, PostgresDialect, sql, type DatabaseIntrospector, type Transaction } from 'kysely';
import type { StoreLogger } from './store-logger.js';
import { DatabaseUnreachable } from './errors.js';
import { openPgliteFolder, openPgliteInMemory } from './pglite-store.js';
import { PgliteDialect } from './pglite-dialect.js';
import { prepareRepeatedStatements } from './prepared-statements.js';
import { SchemaIntrospector } from './schema-introspector.js';
import type { Database } from './schema.js';

export { checkPgliteDir, pgliteDir } from './pglite-store.js';

export type DatabaseKind = 'pglite' | 'postgres';
/** What every repository function takes first: the database or a transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; wins over dataDir/inMemory. */
  databaseUrl?: string;
  /** The data directory (ERCOT_ARB_DATA_DIR); the PGlite store lives in `<dataDir>/pglite`. Default ./data. */
  dataDir?: string;
  /** PGlite in memory (tests); ignored when databaseUrl is set. */
  inMemory?: boolean;
  /** Schema to use (search_path), created if missing. For test isolation; default public. */
  schema?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL: a statement text run again is sent as a named prepared statement, parsed and planned once per
   * connection (prepared-statements.ts). Default true; false for a pooler that cannot keep them (PgBouncer in
   * transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  logger?: StoreLogger;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** The schema the tables live in ('public' unless `schema` was given). */
  schema: string;
  /** Where the data is, for people: "postgres://host:port/db" (no password), a directory, or "memory". */
  location: string;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** kysely's PostgreSQL dialect with introspection limited to the store's schema (see schema-introspector.ts). */
class ScopedPostgresDialect extends PostgresDialect {
  constructor(
    private readonly schema: string,
    config: ConstructorParameters<typeof PostgresDialect>[0],
  ) {
    super(config);
  }
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}


export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  if (options.databaseUrl) return openPostgres(options.databaseUrl, schema, options);
  return openPglite(schema, options);
}

async function openPostgres(url: string, schema: string, options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const { host, port, database } = describeUrl(url);
  const pg = await import('pg');
  const Pool = pg.default.Pool;
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    // libpq's PGOPTIONS (session settings for every connection) is kept when the schema adds its search_path.
    ...(schema !== 'public' ? { options: [process.env.PGOPTIONS, `-c search_path=${schema}`].filter(Boolean).join(' ') } : {}),
  });
  pool.on('error', (error) => options.logger?.warn({ err: { message: error.message } }, 'idle PostgreSQL connection failed'));
  if (options.preparedStatements !== false) prepareRepeatedStatements(pool);
  try {
    const client = await pool.connect();
    try {
      if (schema !== 'public') await client.query(`create schema if not exists ${schema}`);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnreachable(host, port, connectReason(error, url));
  }
  const db = new Kysely<Database>({ dialect: new ScopedPostgresDialect(schema, { pool }) });
  options.logger?.debug({ host, port, database, schema }, 'database: PostgreSQL');
  return {
    db,
    kind: 'postgres',
    schema,
    location: `postgres://${host}:${port}/${database}`,
    close: () => db.destroy(),
  };
}

async function openPglite(schema: string, options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const opened = options.inMemory ? await openPgliteInMemory() : await openPgliteFolder(options.dataDir ?? './data');
  try {
    if (schema !== 'public') await opened.pglite.exec(`create schema if not exists ${schema}; set search_path to ${schema}`);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PgliteDialect(opened.pglite, schema) });
  options.logger?.debug({ dir: opened.dir ?? 'memory', schema, created: opened.created }, 'database: PGlite');
  return {
    db,
    kind: 'pglite',
    schema,
    location: opened.dir ?? 'memory',
    close: async () => {
      try {
        await db.destroy();
      } finally {
        await opened.close();
      }
    },
  };
}

function describeUrl(url: string): { host: string; port: number; database: string } {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '') || 'localhost';
    return { host, port: u.port ? Number(u.port) : 5432, database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres' };
  } catch {
    // Not a URL (e.g. "host=... dbname=..."): do not echo it, it may hold a password.
    return { host: 'unknown-host', port: 5432, database: 'unknown' };
  }
}

function connectReason(error: unknown, url: string): string {
  const e = error as { code?: string; message?: string };
  let message = e.message ?? String(error);
  // Never let the password through, whatever the driver put in its message.
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) message = message.split(password).join('***');
  } catch {
    /* not a URL */
  }
  message = message.split('\n')[0];
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
  if (e.code === 'ETIMEDOUT' || /timeout/i.test(message)) return 'connection timed out';
  return e.code ? `${message} (${e.code})` : message;
}

/** Runs `fn` in a transaction on `executor`, or directly when it already is one. */
export async function inTransaction<T>(executor: Executor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return fn(executor as Transaction<Database>);
  return (executor as Kysely<Database>).transaction().execute(fn);
}

/** Serializes a value for a jsonb column (both drivers take a JSON string; pg would turn arrays into SQL arrays). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export { sql };

