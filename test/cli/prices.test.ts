import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeErcotServer } from '../../src/adapters/fakes/ercot/server.js';
import { rtDay } from '../adapters/ercot/harness.js';
import { runCli } from '../support/cli.js';

const FIXTURES = new URL('../fixtures/ercot/', import.meta.url).pathname;
const KEYS = ['ERCOT_ARB_DATA_DIR', 'ERCOT_API_BASE_URL', 'ERCOT_TOKEN_URL', 'ERCOT_API_USERNAME', 'ERCOT_API_PASSWORD', 'ERCOT_API_SUBSCRIPTION_KEY', 'ERCOT_SETTLEMENT_POINTS', 'LOG_LEVEL', 'DATABASE_URL'];

describe('ercot-arb prices (embedded store, fake ERCOT)', () => {
  let dir: string;
  let fake: FakeErcotServer;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const k of KEYS) saved[k] = process.env[k];
    dir = mkdtempSync(join(tmpdir(), 'ercot-arb-prices-'));
    fake = await new FakeErcotServer().start();
    fake.data.upsert('NP6-905-CD', [...rtDay('2024-08-20', 'HB_NORTH', (h) => h * 1.5), ...rtDay('2024-08-20', 'HB_WEST', () => -3)]);
    Object.assign(process.env, {
      ERCOT_ARB_DATA_DIR: dir, ERCOT_API_BASE_URL: fake.baseUrl, ERCOT_TOKEN_URL: fake.tokenUrl, ERCOT_API_USERNAME: fake.credentials.username,
      ERCOT_API_PASSWORD: fake.credentials.password, ERCOT_API_SUBSCRIPTION_KEY: fake.credentials.subscriptionKey,
      ERCOT_SETTLEMENT_POINTS: 'HB_NORTH,HB_WEST', LOG_LEVEL: 'silent',
    });
    delete process.env.DATABASE_URL; // this file exercises the embedded store
  });
  afterAll(async () => {
    await fake.stop();
    for (const k of KEYS) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports nothing from a file with errors, lists the first errors with line numbers and exits 2', async () => {
    const r = await runCli(['prices', 'import', join(FIXTURES, 'rtm-yearly-bad.csv'), '--format', 'ercot-rtm-yearly']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing imported/);
    expect(r.stderr).toMatch(/rtm-yearly-bad\.csv:10.*not a number: "N\/A"/);
    expect(r.stderr).toMatch(/rtm-yearly-bad\.csv:120/);
    const s = await runCli(['prices', 'status', '--json', '--points', 'HB_HOUSTON']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).points.filter((p: { intervals: number }) => p.intervals > 0)).toEqual([]);
  });

  it('imports a good file, then ingests from the fake ERCOT API, and status shows coverage and the newest interval', async () => {
    const imp = await runCli(['prices', 'import', join(FIXTURES, 'rtm-yearly-2024-08-01-02.csv'), '--format', 'ercot-rtm-yearly']);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/384 rt15 prices for HB_HOUSTON, HB_WEST; 384 new/);
    const ing = await runCli(['prices', 'ingest', '--product', 'rt15', '--from', '2024-08-20']);
    expect(ing.code).toBe(0);
    expect(ing.stdout).toMatch(/NP6-905-CD 2024-08-20\.\.2024-08-20: 192 rows fetched in 2 request\(s\); 192 new/);
    const again = await runCli(['prices', 'ingest', '--product', 'rt15', '--from', '2024-08-20', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, updated: 0, unchanged: 192 });
    const s = await runCli(['prices', 'status', '--json']);
    const rows = JSON.parse(s.stdout).points as Array<{ market: string; settlementPoint: string; intervals: number; newest: string }>;
    expect(rows.find((p) => p.market === 'rt15' && p.settlementPoint === 'HB_WEST')).toMatchObject({ intervals: 96 * 3, newest: '2024-08-20T23:45:00-05:00' });
    expect(rows.find((p) => p.market === 'rt15' && p.settlementPoint === 'HB_HOUSTON')).toMatchObject({ intervals: 192, newest: '2024-08-02T23:45:00-05:00' });
  });

  it('imports a gzipped file like the plain one (here: the same rows again, all unchanged)', async () => {
    const gz = join(dir, 'rtm-yearly-2024-08-01-02.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'rtm-yearly-2024-08-01-02.csv'))));
    const r = await runCli(['prices', 'import', gz, '--format', 'ercot-rtm-yearly', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 384, inserted: 0, updated: 0, unchanged: 384 });
  });

  it('says which credentials are missing (exit 2) without printing any secret', async () => {
    const key = process.env.ERCOT_API_SUBSCRIPTION_KEY;
    delete process.env.ERCOT_API_SUBSCRIPTION_KEY;
    try {
      const r = await runCli(['prices', 'ingest', '--product', 'dam', '--from', '2024-08-20']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/ERCOT_API_SUBSCRIPTION_KEY/);
      expect(r.stderr).not.toContain(fake.credentials.password);
    } finally {
      process.env.ERCOT_API_SUBSCRIPTION_KEY = key;
    }
  });
  it('prices forecasts stores the system forecasts posted on a day (again: nothing new) and refuses an unknown kind', async () => {
    // two postings, 09:30 and 10:30 CDT, each for 5 hours
    fake.forecasts.generate({ firstPostedMs: Date.parse('2024-08-20T14:30:00Z'), lastPostedMs: Date.parse('2024-08-20T15:30:00Z'), horizonHours: 5 });
    const r = await runCli(['prices', 'forecasts', '--from', '2024-08-20', '--kinds', 'wind,solar']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/posted 2024-08-20T00:00:00\.\.2024-08-20T23:59:59: 20 values fetched in 2 request\(s\); 20 new/);
    expect(r.stdout).toMatch(/stored wind: 10 values in 2 posting\(s\), posted 2024-08-20T09:30:00-05:00 \.\. 2024-08-20T10:30:00-05:00/);
    const again = await runCli(['prices', 'forecasts', '--from', '2024-08-20', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 30, inserted: 10, unchanged: 20 }); // load was not asked for before
    const status = JSON.parse((await runCli(['prices', 'status', '--json'])).stdout) as { systemForecasts: Array<{ kind: string; postings: number; latestPosted: string }> };
    expect(status.systemForecasts.map((f) => [f.kind, f.postings, f.latestPosted])).toEqual([['load', 2, '2024-08-20T10:30:00-05:00'], ['solar', 2, '2024-08-20T10:30:00-05:00'], ['wind', 2, '2024-08-20T10:30:00-05:00']]);
    const bad = await runCli(['prices', 'forecasts', '--kinds', 'hydro']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kinds: expected a comma-separated subset of load, wind, solar/);
  });
});
