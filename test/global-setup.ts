/**
 * Runs once before the test files: makes sure the fresh PGlite data-directory archive exists in the cache, so that no
 * test file pays PGlite's initdb (4–9 s each) and the workers do not all make it at once.
 */
import { freshDataDirArchive } from '../src/store/pglite-template.js';

export default async function setup(): Promise<void> {
  await freshDataDirArchive();
}
