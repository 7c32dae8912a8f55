/**
 * PostgreSQL: a statement text with parameters that runs a second time becomes a named prepared statement on the
 * connection (parsed and planned once); its first run, texts without parameters, and a store opened with
 * preparedStatements: false stay unnamed. Results are the same either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, sql, type OpenedDatabase } from '../../src/store/database.js';
import { DATABASE_URL, dropSchema, uniqueSchema } from './harness.js';

async function prepared(opened: OpenedDatabase): Promise<string[]> {
  const r = await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(opened.db);
  return r.rows.map((x) => x.statement);
}

describe.skipIf(!DATABASE_URL)('prepared statements on PostgreSQL', () => {
  const schema = uniqueSchema('prep');
  let on: OpenedDatabase;
  let off: OpenedDatabase;
  beforeAll(async () => {
    on = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 1 });
    off = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 1, preparedStatements: false });
    await sql`create table things (id int primary key, label text)`.execute(on.db);
    await sql`insert into things values (1, 'one'), (2, 'two'), (3, 'three')`.execute(on.db);
  });
  afterAll(async () => {
    await on?.close();
    await off?.close();
    await dropSchema(DATABASE_URL!, schema);
  });

  const byId = (db: OpenedDatabase['db'], id: number) => sql<{ label: string }>`select label from things where id = ${id} /* prepared-statements test */`.execute(db);

  it('the second run of a text is prepared and runs by name; the first run, and texts without parameters, are not', async () => {
    expect((await byId(on.db, 1)).rows).toEqual([{ label: 'one' }]);
    expect((await prepared(on)).filter((s) => s.includes('prepared-statements test'))).toEqual([]);
    expect((await byId(on.db, 2)).rows).toEqual([{ label: 'two' }]);
    expect((await byId(on.db, 3)).rows).toEqual([{ label: 'three' }]);
    const mine = (await prepared(on)).filter((s) => s.includes('prepared-statements test'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/where id = \$1/);
    expect((await prepared(on)).some((s) => s.includes('create table things'))).toBe(false);
  });

  it('preparedStatements: false sends every statement unnamed', async () => {
    for (const id of [1, 2, 3]) expect((await byId(off.db, id)).rows).toHaveLength(1);
    expect(await prepared(off)).toEqual([]);
  });
});
