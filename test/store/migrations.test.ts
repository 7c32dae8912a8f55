import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPgliteDir, openDatabase, pgliteDir } from '../../src/store/database.js';
import { DatabaseUnreachable, MigrationsAhead, NotAPgliteStore } from '../../src/store/errors.js';
import { createMigrator, MIGRATION_TABLE, migrateToLatest, migrationStatus } from '../../src/store/migrator.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { upsertPrices, getPrices } from '../../src/store/prices-repo.js';
import { InputError } from '../../src/domain/errors.js';
import { backends, DATABASE_URL, dropSchema, uniqueSchema } from './harness.js';
import { openStore } from '../../src/store/open.js';
import { getPlan } from '../../src/store/plans-repo.js';
import { upsertTelemetry } from '../../src/store/telemetry-repo.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';
import { testSite } from './fixtures.js';

const ALL = Object.keys(MIGRATIONS).sort();

async function tableNames(db: Kysely<any>, schema: string): Promise<string[]> {
  const r = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(db);
  return r.rows.map((x) => x.table_name);
}

describe.each(backends())('migrations on $name', (backend) => {
  it('up from empty, idempotent re-run, status applied/pending', async () => {
    const t = await backend.open({ migrate: false });
    try {
      const before = await migrationStatus(t.db, { schema: t.schema });
      expect(before).toEqual({ applied: [], pending: ALL, unknown: [] });
      expect(await tableNames(t.db, t.schema)).toEqual([]);

      const first = await migrateToLatest(t.db, { schema: t.schema });
      expect(first.applied).toEqual(ALL);
      const tables = await tableNames(t.db, t.schema);
      for (const name of ['settlement_points', 'prices', 'price_revisions', 'sites', 'credentials', 'locks', 'telemetry', 'plans', 'commands', 'reconciliations', 'job_runs', 'replay_runs', MIGRATION_TABLE]) {
        expect(tables).toContain(name);
      }
      const again = await migrateToLatest(t.db, { schema: t.schema });
      expect(again.applied).toEqual([]);
      const after = await migrationStatus(t.db, { schema: t.schema });
      expect(after.applied.map((a) => a.name)).toEqual(ALL);
      expect(after.pending).toEqual([]);
      expect(after.applied.every((a) => Number.isFinite(a.executedAtMs))).toBe(true);
    } finally {
      await t.dispose();
    }
  });

  it('pending: a database migrated by an older program shows what is left', async () => {
    const t = await backend.open({ migrate: false });
    try {
      const [firstName] = ALL;
      await migrateToLatest(t.db, { schema: t.schema, migrations: { [firstName]: MIGRATIONS[firstName] } });
      const status = await migrationStatus(t.db, { schema: t.schema });
      expect(status.applied.map((a) => a.name)).toEqual([firstName]);
      expect(status.pending).toEqual(ALL.slice(1));
      expect((await migrateToLatest(t.db, { schema: t.schema })).applied).toEqual(ALL.slice(1));
    } finally {
      await t.dispose();
    }
  });

  it('a database with migrations newer than the code: refuses, says so, changes nothing', async () => {
    const t = await backend.open();
    try {
      await sql`insert into ${sql.table(`${t.schema}.${MIGRATION_TABLE}`)} (name, timestamp) values ('9999_from_the_future', ${new Date().toISOString()})`.execute(t.db);
      const error = await migrateToLatest(t.db, { schema: t.schema }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationsAhead);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toContain('9999_from_the_future');
      expect((error as Error).message).toMatch(/newer than this program/);
      expect((await migrationStatus(t.db, { schema: t.schema })).unknown).toEqual(['9999_from_the_future']);
    } finally {
      await t.dispose();
    }
  });

  it('0011 moves the plans stored before it from plan_intervals onto the plan row, and down puts them back', async () => {
    const t = await backend.open({ migrate: false });
    try {
      const before = ALL.filter((name) => name < '0011');
      await migrateToLatest(t.db, { schema: t.schema, migrations: Object.fromEntries(before.map((name) => [name, MIGRATIONS[name]])) });
      await upsertSite(t.db, testSite('old'));
      const h0 = Date.UTC(2024, 7, 20, 5);
      // Two plans the old way (one with a null price, stored out of order), one without intervals.
      const ids: string[] = [];
      for (let k = 0; k < 3; k++) {
        const r = await sql<{ plan_id: string }>`insert into plans (site_id, horizon_start, horizon_end, solver, status, inputs, plan_version)
          values ('old', ${new Date(h0)}, ${new Date(h0 + 96 * INTERVAL_MS)}, 'dp', 'optimal', '{}'::jsonb, ${k + 1}) returning plan_id`.execute(t.db);
        ids.push(r.rows[0]!.plan_id);
      }
      const rows = (k: number) => Array.from({ length: 96 }, (_, i) => 95 - i).map((i) => ({ i, start: new Date(h0 + i * INTERVAL_MS), charge: k + i / 7, discharge: 0.1 * i, imp: 1 / (i + 1), exp: 0, soc: 5 + i / 3, price: i === 40 ? null : 20.25 + i * k }));
      for (const k of [0, 1]) {
        for (const r of rows(k)) {
          await sql`insert into plan_intervals (plan_id, interval_start, charge_kw, discharge_kw, grid_import_kw, grid_export_kw, soc_kwh_end, price_usd_per_mwh)
            values (${ids[k]}, ${r.start}, ${r.charge}, ${r.discharge}, ${r.imp}, ${r.exp}, ${r.soc}, ${r.price})`.execute(t.db);
        }
      }
      expect((await migrateToLatest(t.db, { schema: t.schema })).applied).toEqual(ALL.filter((name) => name >= '0011'));
      expect(await tableNames(t.db, t.schema)).not.toContain('plan_intervals');
      for (const k of [0, 1]) {
        const plan = await getPlan(t.db, ids[k]);
        const want = rows(k).sort((a, b) => a.i - b.i).map((r) => ({ intervalStartMs: r.start.getTime(), chargeKw: r.charge, dischargeKw: r.discharge, gridImportKw: r.imp, gridExportKw: r.exp, socKwhEnd: r.soc, priceUsdPerMwh: r.price }));
        expect(plan!.intervals).toEqual(want);
        const arrays = await sql<{ starts: Date[] }>`select interval_starts as starts from plans where plan_id = ${ids[k]}`.execute(t.db);
        expect(arrays.rows[0]!.starts.map((d) => d.getTime())).toEqual(want.map((w) => w.intervalStartMs));
      }
      expect((await getPlan(t.db, ids[2]))!.intervals).toEqual([]);
      // Arrays of different lengths are refused.
      await expect(sql`update plans set charge_kw = '{1}' where plan_id = ${ids[0]}`.execute(t.db)).rejects.toThrow(/plans_interval_arrays_same_length/);

      const down = await createMigrator(t.db, { schema: t.schema }).migrateTo(before.at(-1)!);
      expect(down.error).toBeUndefined();
      const back = await sql<{ plan_id: string; n: number; soc: number; price: number | null }>`select plan_id, count(*)::int as n, sum(soc_kwh_end) as soc, max(price_usd_per_mwh) as price
        from plan_intervals group by plan_id order by plan_id`.execute(t.db);
      expect(back.rows.map((r) => r.plan_id).sort()).toEqual([ids[0], ids[1]].sort());
      expect(back.rows.every((r) => r.n === 96)).toBe(true);
      const nulls = await sql<{ n: number }>`select count(*)::int as n from plan_intervals where price_usd_per_mwh is null`.execute(t.db);
      expect(nulls.rows[0]!.n).toBe(2);
    } finally {
      await t.dispose();
    }
  });
  it('0012 sums the telemetry stored before it per site and hour, and its triggers follow every later write', async () => {
    const t = await backend.open({ migrate: false });
    try {
      const before = ALL.filter((name) => name < '0012');
      await migrateToLatest(t.db, { schema: t.schema, migrations: Object.fromEntries(before.map((name) => [name, MIGRATIONS[name]])) });
      await upsertSite(t.db, testSite('h1'));
      await upsertSite(t.db, testSite('h2'));
      const h0 = Date.UTC(2024, 10, 3, 5); // 2024-11-03 00:00 CDT: the fall-back day
      const row = (site: string, i: number, soc: number | null, load: number | null, solar: number | null) => ({ siteId: site, intervalEndMs: h0 + i * INTERVAL_MS, socPercent: soc, chargeWh: null, dischargeWh: null, consumptionWh: load, productionWh: solar, devicesReporting: 1 });
      // h1: 30 hours with load and solar (an hour of nulls, an hour with only a SoC); h2: a few rows
      const rows = [];
      for (let i = 1; i <= 120; i++) rows.push(row('h1', i, 50, i >= 20 && i <= 23 ? null : 300 + (i % 9) * 1.1, i % 4 === 0 ? null : 10 * (i % 5)));
      for (let i = 1; i <= 4; i++) rows.push(row('h1', 200 + i, 40, null, null));
      for (let i = 1; i <= 6; i++) rows.push(row('h2', i, 60, 123.4, 0));
      await upsertTelemetry(t.db, rows);
      const raw = async (): Promise<unknown[]> => (await sql<{ site_id: string; hour: number; load: number | null; solar: number | null }>`
        select site_id, floor((extract(epoch from interval_end) - 900) / 3600)::float8 as hour, avg(consumption_wh)::float8 as load, avg(production_wh)::float8 as solar
        from telemetry group by 1, 2 order by 1, 2`.execute(t.db)).rows;
      const sums = async (): Promise<unknown[]> => (await sql<{ site_id: string; hour: number; load: number | null; solar: number | null }>`
        select site_id, hour::float8 as hour, load_wh_sum / nullif(load_n, 0) as load, solar_wh_sum / nullif(solar_n, 0) as solar
        from telemetry_hourly order by 1, 2`.execute(t.db)).rows;
      const close = (a: unknown[], b: unknown[]): void => {
        expect(a.length).toBe(b.length);
        a.forEach((x, i) => {
          const [p, q] = [x as Record<string, number | string | null>, b[i] as Record<string, number | string | null>];
          expect([p.site_id, p.hour]).toEqual([q.site_id, q.hour]);
          for (const k of ['load', 'solar']) {
            if (q[k] === null) expect(p[k], `${p.site_id} ${p.hour} ${k}`).toBeNull();
            else expect(p[k] as number, `${p.site_id} ${p.hour} ${k}`).toBeCloseTo(q[k] as number, 9);
          }
        });
      };
      expect((await migrateToLatest(t.db, { schema: t.schema })).applied).toEqual(ALL.filter((name) => name >= '0012'));
      const first = await raw();
      expect(first.length).toBe(30 + 1 + 2);
      close(await sums(), first);
      // later writes: a revision of some loads (update), a product merged into existing rows (partial update), new
      // rows, a SoC-only rewrite, the rows of one hour deleted (its group goes), half of another's, and a truncate
      await upsertTelemetry(t.db, rows.filter((r) => r.siteId === 'h1' && r.intervalEndMs < h0 + 10 * INTERVAL_MS).map((r) => ({ ...r, consumptionWh: (r.consumptionWh ?? 0) * 3 })));
      await upsertTelemetry(t.db, [row('h1', 21, null, null, 77), row('h1', 22, null, null, 55)], { columns: ['production_wh'] });
      await upsertTelemetry(t.db, [row('h2', 7, 61, 500, 2), row('h2', 8, 62, null, null)]);
      await upsertTelemetry(t.db, rows.filter((r) => r.siteId === 'h1').slice(40, 60).map((r) => ({ ...r, socPercent: 11 })), { columns: ['soc_percent'] });
      await sql`delete from telemetry where site_id = 'h1' and interval_end > ${new Date(h0 + 200 * INTERVAL_MS)}`.execute(t.db);
      await sql`delete from telemetry where site_id = 'h2' and interval_end in (${new Date(h0 + INTERVAL_MS)}, ${new Date(h0 + 2 * INTERVAL_MS)})`.execute(t.db);
      const later = await raw();
      expect(later).not.toEqual(first);
      expect(later.length).toBe(30 + 2); // h1 lost its SoC-only hour; h2 kept both hours (half of one deleted)
      close(await sums(), later);
      await sql`truncate telemetry`.execute(t.db);
      expect(await sums()).toEqual([]);

      const down = await createMigrator(t.db, { schema: t.schema }).migrateDown();
      expect(down.error).toBeUndefined();
      expect(await tableNames(t.db, t.schema)).not.toContain('telemetry_hourly');
      await upsertTelemetry(t.db, rows.slice(0, 3)); // no trigger left behind
    } finally {
      await t.dispose();
    }
  });
});

describe.skipIf(!DATABASE_URL)('migrations beside another session dropping schemas (PostgreSQL)', () => {
  // CI once failed with `relation "fleet_…_jobs.job_queues" does not exist` inside migrateToLatest: kysely's own
  // introspector lists every schema's columns by name, and a schema another test dropped at that moment no longer
  // resolved. The store's introspector reads only its schema, by OID.
  it('checking the migration table never fails while schemas come and go', async () => {
    const schema = uniqueSchema('mrace');
    const opened = await openDatabase({ databaseUrl: DATABASE_URL!, schema, poolSize: 2 });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const errors: string[] = [];
    let checks = 0;
    try {
      let done = false;
      // The churn goes on until the checker has run 60 times beside it (a loaded machine makes fewer checks per drop).
      const churn = (async () => {
        for (let i = 0; i < 120 || checks < 60; i++) {
          const other = `${schema}_x${i}`;
          await admin.query(`create schema ${other}; create table ${other}.a (id serial primary key, note text); create table ${other}.b (id serial primary key)`);
          await admin.query(`drop schema ${other} cascade`);
        }
      })().finally(() => void (done = true));
      while (!done) {
        checks++;
        await createMigrator(opened.db, { schema }).getMigrations().catch((e: unknown) => void errors.push(String(e)));
      }
      await churn;
      expect(checks).toBeGreaterThanOrEqual(60);
      expect(errors).toEqual([]);
      expect((await migrateToLatest(opened.db, { schema })).applied).toEqual(ALL);
    } finally {
      await admin.end();
      await opened.close();
      await dropSchema(DATABASE_URL!, schema);
    }
  });
});

describe('opening the embedded store', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'ercot-arb-store-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('persists in <dataDir>/pglite across reopen', async () => {
    const dataDir = join(tmp(), 'nested', 'data');
    const a = await openDatabase({ dataDir });
    expect(a.kind).toBe('pglite');
    expect(a.location).toBe(pgliteDir(dataDir));
    await migrateToLatest(a.db);
    await upsertPrices(a.db, [{ market: 'rt15', settlementPoint: 'HB_BUSAVG', intervalStartMs: 0, intervalMinutes: 15, priceUsdPerMwh: -0.5, source: 't', fetchedAtMs: 0 }]);
    await a.close();
    expect(readdirSync(pgliteDir(dataDir))).toContain('PG_VERSION');
    const b = await openDatabase({ dataDir });
    try {
      expect((await migrateToLatest(b.db)).applied).toEqual([]);
      expect((await getPrices(b.db, { market: 'rt15', settlementPoint: 'HB_BUSAVG', startMs: 0, endMs: 1 }))[0].priceUsdPerMwh).toBe(-0.5);
    } finally {
      await b.close();
    }
  });

  it('openStore migrates on open and refuses a database migrated by a newer program, with or without migrate', async () => {
    const dataDir = tmp();
    const cfg = { DATABASE_URL: undefined, ERCOT_ARB_DATA_DIR: dataDir };
    const first = await openStore(cfg);
    expect((await migrationStatus(first.db)).pending).toEqual([]);
    await sql`insert into kysely_migration (name, timestamp) values ('9999_newer', ${new Date().toISOString()})`.execute(first.db);
    await first.close();
    await expect(openStore(cfg)).rejects.toBeInstanceOf(MigrationsAhead);
    await expect(openStore(cfg, { migrate: false })).rejects.toBeInstanceOf(MigrationsAhead);
  });

  it('a data directory that is not a PGlite store: refused, untouched', async () => {
    const dataDir = tmp();
    const store = join(dataDir, 'pglite');
    mkdirSync(store);
    writeFileSync(join(store, 'notes.txt'), 'my notes');
    const error = await openDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAPgliteStore);
    expect((error as Error).message).toContain(store);
    expect((error as Error).message).toMatch(/not a PGlite store/);
    expect(readdirSync(store)).toEqual(['notes.txt']);
    expect(readFileSync(join(store, 'notes.txt'), 'utf8')).toBe('my notes');

    const fileDir = tmp();
    writeFileSync(join(fileDir, 'pglite'), 'x');
    expect(() => checkPgliteDir(join(fileDir, 'pglite'))).toThrow(NotAPgliteStore);
    expect(() => checkPgliteDir(join(tmp(), 'absent'))).not.toThrow();
  });
});

describe('an unreachable DATABASE_URL', () => {
  it('fails with one line naming host and port, never the password', async () => {
    const error = await openDatabase({ databaseUrl: 'postgres://arb:hunter2-pw@127.0.0.1:1/prod' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachable);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain('127.0.0.1:1');
    expect(message).not.toContain('hunter2-pw');
    expect(message).not.toContain('\n');
  });
});
