/**
 * A small kysely dialect over PGlite (embedded PostgreSQL in WebAssembly). PGlite is one session, so the driver
 * hands out its single connection to one user at a time (a FIFO mutex): a transaction holds it from BEGIN to
 * COMMIT/ROLLBACK and other queries wait. Query compilation and adapter are kysely's PostgreSQL ones (introspection is
 * limited to the store's schema, schema-introspector.ts),
 * so the SQL is exactly what runs on a real server.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { SchemaIntrospector } from './schema-introspector.js';

export class PgliteDialect implements Dialect {
  /** `schema`: the one the store's tables live in, for introspection (see schema-introspector.ts); default public. */
  constructor(
    private readonly pglite: PGlite,
    private readonly schema = 'public',
  ) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteDriver(this.pglite);
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

/** Array type oid → its element type: the types PGlite parses by default (bool, int, text, json, dates…) and a few more. */
const ARRAYS_OF_DEFAULT_TYPES: Readonly<Record<number, number>> = {
  1000: 16, 1001: 17, 1016: 20, 1005: 21, 1007: 23, 1009: 25, 1028: 26, 199: 114, 1021: 700, 1022: 701,
  1014: 1042, 1015: 1043, 1182: 1082, 1115: 1114, 1185: 1184, 3807: 3802,
  // element types without a default parser (their elements stay text), kept so such arrays still come back as arrays
  1231: 1700, 1187: 1186, 2951: 2950, 1183: 1083,
};

/**
 * PGlite copies its instance parser table (`{ ...parsers }`) to parse every result, and after start that table holds
 * an array parser for each of the ~300 types in pg_type (numeric keys: a slow dictionary copy, ~0.3 ms per statement,
 * a third of a trivial query's time; at 1,000 sites × ~40 statements that was seconds of every dispatch cycle). The
 * base types fall back to PGlite's default parsers anyway, so only those default types and their arrays are kept: every column our schema returns parses exactly as before. (If PGlite rebuilds the table later, e.g. after
 * CREATE TYPE, it is simply the full one again.)
 */
export function slimParsers(pglite: PGlite): void {
  const all = pglite.parsers as Record<number | string, unknown> | undefined;
  if (!all) return;
  const kept: Record<number, unknown> = {};
  for (const [array, element] of Object.entries(ARRAYS_OF_DEFAULT_TYPES)) {
    // An array parser looks its element's parser up in this same table when it runs: keep both.
    if (all[array] !== undefined) kept[Number(array)] = all[array];
    if (all[element] !== undefined) kept[element] = all[element];
  }
  (pglite as unknown as { parsers: Record<number, unknown> }).parsers = kept;
}

class PgliteConnection implements DatabaseConnection {
  /** `schema`: the one the store's tables live in, for introspection (see schema-introspector.ts); default public. */
  constructor(
    private readonly pglite: PGlite,
    private readonly schema = 'public',
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiledQuery.sql, compiledQuery.parameters as unknown[]);
    const kind = compiledQuery.query?.kind;
    const mutates = kind === 'InsertQueryNode' || kind === 'UpdateQueryNode' || kind === 'DeleteQueryNode' || kind === 'MergeQueryNode';
    return {
      rows: result.rows,
      ...(mutates || result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows ?? 0) } : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect: streaming queries are not supported');
  }
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection;
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly pglite: PGlite) {
    this.connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
    slimParsers(this.pglite);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) {
      const parts = ['start transaction'];
      if (settings.isolationLevel) parts.push(`isolation level ${settings.isolationLevel}`);
      if (settings.accessMode) parts.push(settings.accessMode);
      await connection.executeQuery(CompiledQuery.raw(parts.join(' ')));
    } else {
      await connection.executeQuery(CompiledQuery.raw('begin'));
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name.replace(/"/g, '""')}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint "${name.replace(/"/g, '""')}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint "${name.replace(/"/g, '""')}"`));
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    // Wait for whoever holds the connection, then close.
    await this.queue;
    if (!this.pglite.closed) await this.pglite.close();
  }
}
