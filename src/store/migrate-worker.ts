/**
 * Child process body for `openStore` on a new embedded store (./open.ts): creates and migrates the store in the data
 * directory given as argv[2] (schema in argv[3], optional), closes it, sends the applied migrations to the parent
 * and exits. Everything its PGlite instance touched (WebAssembly memory, compiled code, malloc arenas) goes with it.
 */
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrator.js';

const [dataDir, schema] = process.argv.slice(2);
const opened = await openDatabase({ dataDir, schema: schema || undefined });
try {
  const { applied } = await migrateToLatest(opened.db, { schema: opened.schema });
  process.send?.({ applied });
} finally {
  await opened.close();
}
