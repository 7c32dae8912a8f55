/**
 * Migrations: kysely's Migrator with the static list from migrations/index.ts. `migrateToLatest` is what the
 * long-running commands call on start; it refuses a database migrated by a newer program (MigrationsAhead).
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { StoreLogger } from './store-logger.js';
import { MigrationsAhead } from './errors.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Readonly<Record<string, Migration>>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...this.migrations };
  }
}

export interface MigrateOptions {
  /** The schema holding the tables (as given to openDatabase); default public. */
  schema?: string;
  logger?: StoreLogger;
  /** For tests: a different list of migrations. */
  migrations?: Readonly<Record<string, Migration>>;
}

export function createMigrator(db: Kysely<Database>, options: MigrateOptions = {}): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(options.migrations ?? MIGRATIONS),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    // Always explicit: the introspector lists tables of every schema, and a kysely_migration elsewhere must not count.
    migrationTableSchema: options.schema ?? 'public',
  });
}

export interface MigrationStatus {
  applied: { name: string; executedAtMs: number }[];
  pending: string[];
  /** Applied in the database but unknown to this program (a newer version migrated it). */
  unknown: string[];
}

/** Applied, pending and unknown migrations, read without changing anything. */
export async function migrationStatus(db: Kysely<Database>, options: MigrateOptions = {}): Promise<MigrationStatus> {
  const known = Object.keys(options.migrations ?? MIGRATIONS).sort();
  const applied = await appliedMigrations(db, options.schema ?? 'public');
  const appliedNames = new Set(applied.map((a) => a.name));
  return {
    applied,
    pending: known.filter((name) => !appliedNames.has(name)),
    unknown: applied.map((a) => a.name).filter((name) => !known.includes(name)),
  };
}

async function appliedMigrations(db: Kysely<Database>, schema: string): Promise<{ name: string; executedAtMs: number }[]> {
  const exists = await sql<{ found: boolean }>`
    select exists (select 1 from information_schema.tables where table_schema = ${schema} and table_name = ${MIGRATION_TABLE}) as found`.execute(db);
  if (!exists.rows[0]?.found) return [];
  const rows = await sql<{ name: string; timestamp: string }>`
    select name, timestamp from ${sql.table(`${schema}.${MIGRATION_TABLE}`)} order by name`.execute(db);
  return rows.rows.map((r) => ({ name: r.name, executedAtMs: Date.parse(r.timestamp) }));
}

/** Refuses (MigrationsAhead) when the database knows migrations this program does not. */
export async function assertSchemaNotAhead(db: Kysely<Database>, options: MigrateOptions = {}): Promise<MigrationStatus> {
  const status = await migrationStatus(db, options);
  if (status.unknown.length) throw new MigrationsAhead(status.unknown);
  return status;
}

export interface MigrateResult {
  /** Names of the migrations this call applied (empty when already up to date). */
  applied: string[];
}

/** Applies every pending migration; idempotent. Call on start of long-running commands. */
export async function migrateToLatest(db: Kysely<Database>, options: MigrateOptions = {}): Promise<MigrateResult> {
  const before = await assertSchemaNotAhead(db, options);
  if (before.pending.length === 0) return { applied: [] };
  const { error, results } = await createMigrator(db, options).migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = (results ?? []).find((r) => r.status === 'Error');
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${message}`, { cause: error });
  }
  for (const name of applied) options.logger?.info({ migration: name }, 'migration applied');
  return { applied };
}
