import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';

const ALL = Object.keys(MIGRATIONS).sort();
const saved = { url: process.env.DATABASE_URL, dir: process.env.ERCOT_ARB_DATA_DIR };
const dirs: string[] = [];

describe('ercot-arb db (embedded store)', () => {
  let dataDir = '';
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ercot-arb-cli-db-'));
    dirs.push(dataDir);
    delete process.env.DATABASE_URL;
    process.env.ERCOT_ARB_DATA_DIR = dataDir;
  });
  afterEach(() => {
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
    if (saved.dir === undefined) delete process.env.ERCOT_ARB_DATA_DIR;
    else process.env.ERCOT_ARB_DATA_DIR = saved.dir;
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('status shows pending, migrate applies, status shows applied; migrate again is a no-op', async () => {
    const before = await runCli(['db', 'status', '--json']);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ database: 'pglite', applied: [], pending: ALL, unknown: [] });
    const migrate = await runCli(['db', 'migrate']);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain(`applied ${ALL.length} migration(s)`);
    const after = await runCli(['db', 'status']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`applied: ${ALL.length}`);
    expect(after.stdout).toContain('pending: 0');
    for (const name of ALL) expect(after.stdout).toContain(name);
    const again = await runCli(['db', 'migrate', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ appliedNow: [], pending: [] });
  });

  it('newer migrations in the database: migrate refuses with exit code 2', async () => {
    expect((await runCli(['db', 'migrate'])).code).toBe(0);
    const opened = await openDatabase({ dataDir });
    await sql`insert into kysely_migration (name, timestamp) values ('9999_future', ${new Date().toISOString()})`.execute(opened.db);
    await opened.close();
    const run = await runCli(['db', 'migrate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*newer than this program \(9999_future\).*refusing to start/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const status = await runCli(['db', 'status']);
    expect(status.stdout).toContain('9999_future');
    expect(status.stdout).toMatch(/newer/);
  });

  it('a data directory that is not a PGlite store: exit code 2, untouched', async () => {
    mkdirSync(join(dataDir, 'pglite'));
    writeFileSync(join(dataDir, 'pglite', 'report.csv'), 'a,b\n');
    const run = await runCli(['db', 'migrate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not a PGlite store');
    expect(readdirSync(join(dataDir, 'pglite'))).toEqual(['report.csv']);
  });

  it('an unreachable DATABASE_URL: exit code 2, one line naming host and port, no password', async () => {
    process.env.DATABASE_URL = 'postgres://arb:s3cr3t-pw@127.0.0.1:1/engine';
    const run = await runCli(['db', 'status']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('127.0.0.1:1');
    expect(run.stderr).not.toContain('s3cr3t-pw');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
