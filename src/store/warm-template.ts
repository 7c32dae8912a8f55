/**
 * `node dist/src/store/warm-template.js`, run once by `npm install` (the prepare script): makes the fresh PGlite
 * data-directory archive (PGlite's initdb, the slow part of a new embedded store) so that the first command that
 * creates a store does not pay it. Best effort: on failure the first store runs initdb itself.
 */
import { freshDataDirArchive, templateArchivePath } from './pglite-template.js';

const started = Date.now();
try {
  await freshDataDirArchive();
  process.stdout.write(`ercot-arb: embedded database template ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${templateArchivePath()})\n`);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`ercot-arb: could not prepare the embedded database template (${message}); the first new store will take a few seconds longer\n`);
}
