/**
 * The one way the application opens its database: from the validated config (DATABASE_URL, else the PGlite store in
 * ERCOT_ARB_DATA_DIR), optionally migrating to the latest schema (long-running commands do; it refuses a database
 * migrated by a newer program).
 */
import type { StoreLogger } from './store-logger.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { assertSchemaNotAhead, migrateToLatest } from './migrator.js';

export interface OpenStoreOptions {
  logger?: StoreLogger;
  /** Run pending migrations (default true). With false, the schema is still checked for newer migrations. */
  migrate?: boolean;
  /** Override ERCOT_ARB_DATA_DIR (e.g. a --data-dir option). */
  dataDir?: string;
  schema?: string;
}

/** The two settings the store reads (the app's validated Config has both). */
export interface StoreSettings {
  DATABASE_URL?: string;
  ERCOT_ARB_DATA_DIR: string;
}

export async function openStore(cfg: StoreSettings, options: OpenStoreOptions = {}): Promise<OpenedDatabase> {
  const opened = await openDatabase({
    databaseUrl: cfg.DATABASE_URL,
    dataDir: options.dataDir ?? cfg.ERCOT_ARB_DATA_DIR,
    schema: options.schema,
    logger: options.logger,
  });
  try {
    // Either way, a database migrated by a newer program is refused (MigrationsAhead).
    if (options.migrate !== false) await migrateToLatest(opened.db, { schema: opened.schema, logger: options.logger });
    else await assertSchemaNotAhead(opened.db, { schema: opened.schema });
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}
