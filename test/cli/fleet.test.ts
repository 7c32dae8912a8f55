/**
 * `sites import` (all or nothing, exit 2 naming file/line/field), `db prune` (retention) and `fleet status` on the
 * embedded store through the CLI's public entry point.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const saved = { url: process.env.DATABASE_URL, dir: process.env.ERCOT_ARB_DATA_DIR };
const dir = mkdtempSync(join(tmpdir(), 'ercot-arb-cli-fleet-'));
const HEADER = 'site_id,channel,settlement_point,capacity_kwh,max_charge_kw,max_discharge_kw,reserve_percent,mode';

describe('ercot-arb sites import | db prune | fleet status (embedded store)', () => {
  beforeAll(() => {
    delete process.env.DATABASE_URL;
    process.env.ERCOT_ARB_DATA_DIR = dir;
  });
  afterAll(() => {
    if (saved.url !== undefined) process.env.DATABASE_URL = saved.url;
    if (saved.dir === undefined) delete process.env.ERCOT_ARB_DATA_DIR;
    else process.env.ERCOT_ARB_DATA_DIR = saved.dir;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file with a bad row: exit 2 naming file, line and field, and writes nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `${HEADER}\nA1,simulator,HB_HOUSTON,13.5,5,5,20,auto\nA2,simulator,HB_NORTH,13.5,5,5,120,review\nA3,nope,HB_WEST,13.5,5,5,20,\n`);
    const r = await runCli(['sites', 'import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv:3, field reserve_percent/);
    expect(r.stderr).toMatch(/line 4 channel/);
    const status = await runCli(['fleet', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).runs.notStarted).toBe(0);
  });

  it('imports CSV and JSON; fleet status counts the sites not started in this slot; prune runs', async () => {
    const csv = join(dir, 'sites.csv');
    writeFileSync(csv, `${HEADER}\nA1,simulator,HB_HOUSTON,13.5,5,5,20,auto\nA2,simulator,HB_NORTH,10,5,5,30,review\n`);
    expect((await runCli(['sites', 'import', csv])).stdout).toContain('2 sites imported');
    const json = join(dir, 'sites.json');
    writeFileSync(json, JSON.stringify([{ site_id: 'B1', channel: 'simulator', settlement_point: 'HB_WEST', capacity_kwh: 20, max_charge_kw: 7, max_discharge_kw: 7, reserve_percent: 15 }]));
    expect((await runCli(['sites', 'import', json])).code).toBe(0);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ site_id: 'B2', channel: 'simulator', settlement_point: 'HB_WEST', capacity_kwh: 'x', max_charge_kw: 7, max_discharge_kw: 7, reserve_percent: 15 }]));
    const refused = await runCli(['sites', 'import', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('capacity_kwh');
    const status = JSON.parse((await runCli(['fleet', 'status', '--json'])).stdout);
    expect(status.runs).toEqual({ done: 0, running: 0, failed: 0, notStarted: 3 });
    const prune = await runCli(['db', 'prune', '--older-than', '1d', '--json']);
    expect(prune.code).toBe(0);
    expect(Object.keys(JSON.parse(prune.stdout))).toEqual(expect.arrayContaining(['fleet_site_runs', 'telemetry', 'plans', 'job_runs']));
    expect((await runCli(['db', 'prune', '--older-than', 'soon'])).code).toBe(2);
  });
});
