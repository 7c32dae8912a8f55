/**
 * openStore creates a new embedded store in a short-lived child process (src/store/open.ts, createInChildProcess), so
 * the daemon does not keep the WebAssembly memory that creating the catalogs touched. Here the compiled child script
 * (dist/src/store/migrate-worker.js, from `npm run build`) creates and migrates a store in a temporary folder; this
 * process then opens it and finds every migration applied. The memory effect itself is a benchmark
 * (`npm run bench -- daemon-memory`), not asserted here.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { migrationStatus } from '../../src/store/migrator.js';
import { createInChildProcess } from '../../src/store/open.js';

const SCRIPT = fileURLToPath(new URL('../../dist/src/store/migrate-worker.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ercot-arb-child-store-'));

describe.runIf(existsSync(SCRIPT))('a new embedded store made in a child process', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created and fully migrated by the child; an existing store is left to the caller', async () => {
    const applied = await createInChildProcess(join(dir, 'data'), { script: SCRIPT });
    expect(applied).not.toBeNull();
    expect(applied!.length).toBeGreaterThan(5);
    expect(existsSync(join(dir, 'data', 'pglite', 'PG_VERSION'))).toBe(true);
    expect(await createInChildProcess(join(dir, 'data'), { script: SCRIPT })).toBeNull();
    const opened = await openDatabase({ dataDir: join(dir, 'data') });
    try {
      const status = await migrationStatus(opened.db);
      expect(status.pending).toEqual([]);
      expect(status.applied.map((a) => a.name)).toEqual(applied);
    } finally {
      await opened.close();
    }
  });
});
