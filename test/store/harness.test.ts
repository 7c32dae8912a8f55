/**
 * The test harness lends one migrated database per file and empties it between tests (harness.ts). These tests make
 * sure a borrower always sees a freshly migrated, empty database: no rows and restarted identities from an earlier
 * borrower, no table or migration row an earlier borrower added, nothing visible between two databases open at once,
 * and a handed-back database refuses further queries. (In this order, the file makes two instances per backend: the
 * one a schema change retires is the second that two open databases needed.)
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { claimJobRun, listJobRuns } from '../../src/store/job-runs-repo.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrationStatus, MIGRATION_TABLE } from '../../src/store/migrator.js';
import { backends } from './harness.js';

const ALL = Object.keys(MIGRATIONS).sort();
const claim = (n: number) => ({ jobName: 'harness', scheduledForMs: Date.UTC(2024, 0, 1) + n * 60_000, claimedBy: 'test' });

async function tableExists(db: Parameters<typeof listJobRuns>[0], schema: string, table: string): Promise<boolean> {
  const r = await sql<{ found: boolean }>`
    select exists (select 1 from information_schema.tables where table_schema = ${schema} and table_name = ${table}) as found`.execute(db);
  return r.rows[0].found;
}

describe.each(backends())('test harness on $name', (backend) => {
  it('a database handed back is empty for the next borrower, identities restarted', async () => {
    const first = await backend.open();
    const a = (await claimJobRun(first.db, claim(1)))!;
    await claimJobRun(first.db, claim(2));
    expect(await listJobRuns(first.db)).toHaveLength(2);
    await first.dispose();

    const second = await backend.open();
    try {
      expect(await listJobRuns(second.db)).toEqual([]);
      expect((await claimJobRun(second.db, claim(3)))!.id).toBe(a.id);
      expect((await migrationStatus(second.db, { schema: second.schema })).pending).toEqual([]);
    } finally {
      await second.dispose();
    }
  });

  it('a handed-back database refuses queries; closing twice is harmless', async () => {
    const t = await backend.open();
    await t.close();
    await t.dispose();
    await expect(listJobRuns(t.db)).rejects.toThrow();
  });

  it('two databases open at once are separate', async () => {
    const one = await backend.open();
    const two = await backend.open();
    try {
      await claimJobRun(one.db, claim(1));
      expect(await listJobRuns(two.db)).toEqual([]);
      expect(await listJobRuns(one.db)).toHaveLength(1);
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });

  it('a table or a migration row an earlier borrower added is gone', async () => {
    const first = await backend.open();
    await sql`create table ${sql.table(`${first.schema}.harness_extra`)} (x int)`.execute(first.db);
    await sql`insert into ${sql.table(`${first.schema}.${MIGRATION_TABLE}`)} (name, timestamp) values ('9999_harness', ${new Date().toISOString()})`.execute(first.db);
    await first.dispose();

    const second = await backend.open();
    try {
      expect(await tableExists(second.db, second.schema, 'harness_extra')).toBe(false);
      const status = await migrationStatus(second.db, { schema: second.schema });
      expect(status.unknown).toEqual([]);
      expect(status.applied.map((m) => m.name)).toEqual(ALL);
    } finally {
      await second.dispose();
    }
  });

  it('an unmigrated database is empty', async () => {
    const t = await backend.open({ migrate: false });
    try {
      expect(await tableExists(t.db, t.schema, MIGRATION_TABLE)).toBe(false);
    } finally {
      await t.dispose();
    }
  });
});
