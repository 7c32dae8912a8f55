/**
 * Runs once before the test files: makes sure the fresh PGlite data-directory archive exists in the cache, so that no
 * test file pays PGlite's initdb (4–9 s each) and the workers do not all make it at once; and PostgreSQL sessions
 * skip the log flush wait (below).
 */
import { freshDataDirArchive } from '../src/store/pglite-template.js';

export default async function setup(): Promise<void> {
  // Every PostgreSQL session of the tests (test files and the programs they start inherit it) skips the wait for the
  // server's log flush: the tests never crash the server, and a commit is just as atomic and visible without it.
  // ~5 ms per commit on this machine, most of the PostgreSQL tests' wall time. libpq's PGOPTIONS, which pg reads and
  // openDatabase keeps beside a schema's search_path.
  process.env.PGOPTIONS = [process.env.PGOPTIONS, '-c synchronous_commit=off'].filter(Boolean).join(' ');
  await freshDataDirArchive();
}
