/**
 * The one way the application opens its database: from the validated config (DATABASE_URL, else the PGlite store in
 * ERCOT_ARB_DATA_DIR), optionally migrating to the latest schema (long-running commands do; it refuses a database
 * migrated by a newer program).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { programFile } from '../runtime-files.js';
import { fork } from 'node:child_process';
import type { StoreLogger } from './store-logger.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { assertSchemaNotAhead, migrateToLatest } from './migrator.js';
import { pgliteDir } from './pglite-store.js';
import { useLeanWasm } from './lean-wasm.js';

export interface OpenStoreOptions {
  logger?: StoreLogger;
  /** Run pending migrations (default true). With false, the schema is still checked for newer migrations. */
  migrate?: boolean;
  /** Override ERCOT_ARB_DATA_DIR (e.g. a --data-dir option). */
  dataDir?: string;
  schema?: string;
  /**
   * Create a new embedded store in a short-lived child process (createInChildProcess): for long-running processes
   * (`run`, `demo`), whose resident memory it keeps ~50 MB lower. Short commands create it in place: the child costs
   * a second Node start and PGlite load (~1 s CPU), and their memory is given back when they exit.
   */
  createInChild?: boolean;
  /** Long-running process on the embedded store: compile PGlite with V8's baseline compiler only (lean-wasm.ts). */
  leanWasm?: boolean;
}

/** The two settings the store reads (the app's validated Config has both). */
export interface StoreSettings {
  DATABASE_URL?: string;
  ERCOT_ARB_DATA_DIR: string;
  /** Default true (see OpenDatabaseOptions.preparedStatements). */
  DATABASE_PREPARED_STATEMENTS?: boolean;
}

export async function openStore(cfg: StoreSettings, options: OpenStoreOptions = {}): Promise<OpenedDatabase> {
  const dataDir = options.dataDir ?? cfg.ERCOT_ARB_DATA_DIR;
  if (!cfg.DATABASE_URL && options.leanWasm) useLeanWasm();
  if (!cfg.DATABASE_URL && options.migrate !== false && options.createInChild) await createInChildProcess(dataDir, options);
  const opened = await openDatabase({
    databaseUrl: cfg.DATABASE_URL,
    dataDir,
    schema: options.schema,
    logger: options.logger,
    preparedStatements: cfg.DATABASE_PREPARED_STATEMENTS,
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

/**
 * A new embedded store is created and migrated in a short-lived child process before this process opens it.
 * PGlite's WebAssembly memory only grows, and creating the catalogs of every table and index touched ~40–50 MB of
 * it, which a process that created its store in place kept resident for its whole life (a daemon's first start
 * peaked ~60 MB above a start on an existing store). A worker thread was tried first: the thread's malloc arena kept
 * ~60 MB resident after it ended, so it is a process. Only for a store that does not exist yet (an existing one is
 * migrated in place: usually nothing is pending), and only from the compiled program (from src/ under tsx or vitest
 * the child's file is not there, and the store is created in place as before). Any failure in the child is left to
 * the in-place open below, which reports it as usual (locked, not a store, migrations ahead…).
 */
export async function createInChildProcess(dataDir: string, options: OpenStoreOptions & { script?: string } = {}): Promise<string[] | null> {
  if (existsSync(join(pgliteDir(dataDir), 'PG_VERSION'))) return null;
  const compiled = programFile('store/migrate-worker');
  const script = options.script ?? (compiled.execArgv.length === 0 ? compiled.path : '');
  if (!script || !existsSync(script)) return null;
  try {
    const applied = await new Promise<string[]>((resolve, reject) => {
      let result: string[] = [];
      const child = fork(script, [dataDir, options.schema ?? ''], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('message', (m: { applied?: string[] }) => (result = m.applied ?? []));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`store creation exited with ${code}: ${stderr.split('\n').find((l) => l.trim()) ?? ''}`))));
    });
    for (const name of applied) options.logger?.info({ migration: name, by: 'store creation process' }, 'migration applied');
    return applied;
  } catch (error) {
    options.logger?.debug({ err: { message: error instanceof Error ? error.message : String(error) } }, 'creating the store in a child process failed; creating it in place');
    return null;
  }
}
