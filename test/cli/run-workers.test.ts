/**
 * `ercot-arb run --workers N` (PostgreSQL): the daemon hands every site's cycle to N fleet worker processes through
 * the job queue and stops running the dispatch job itself; each site's cycle for the slot is done once; SIGTERM stops
 * the daemon and its workers cleanly (they deregister). On the embedded store --workers is refused with exit 2.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openStore } from '../../src/store/open.js';
import { sql } from '../../src/store/database.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { upsertTelemetry } from '../../src/store/telemetry-repo.js';
import { HOUR_MS, intervalFloor } from '../../src/domain/time/interval.js';
import { battery, POINT, seedPrices } from '../app/dispatch/fixture.js';
import { DATABASE_URL } from '../store/harness.js';
import { runCli } from '../support/cli.js';
import { cliArgs } from '../support/entry.js';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ercot-arb run --workers', () => {
  it('is refused on the embedded store (exit 2, says why)', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const r = await runCli(['run', '--workers', '2', '--data-dir', `/tmp/ercot-arb-run-workers-${randomBytes(3).toString('hex')}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--workers needs PostgreSQL/);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it.skipIf(!DATABASE_URL)('hands each site\'s cycle to two worker processes, once per slot; SIGTERM stops them all', async () => {
    const name = `ercot_arb_workers_${randomBytes(4).toString('hex')}`;
    await admin((c) => c.query(`create database ${name}`));
    const url = new URL(DATABASE_URL!);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    try {
      const store = await openStore(loadConfig({ DATABASE_URL: databaseUrl }));
      const nowMs = Date.now();
      const siteIds = ['W1', 'W2', 'W3'];
      try {
        for (const siteId of siteIds) await upsertSite(store.db, { siteId, name: siteId, settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'simulator' });
        await seedPrices(store.db, intervalFloor(nowMs) - 8 * 24 * HOUR_MS, intervalFloor(nowMs));
        await upsertTelemetry(store.db, siteIds.map((siteId) => ({ siteId, intervalEndMs: intervalFloor(nowMs), socPercent: 50, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 })));

        const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
        const child = spawn(process.execPath, cliArgs('run', '--workers', '2', '--port', '0'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        try {
          const runs = async () => (await sql<{ site_id: string; n: number }>`select site_id, count(*)::int as n from fleet_site_runs where status = 'done' group by site_id`.execute(store.db)).rows;
          await waitFor(async () => (await runs()).length === siteIds.length, 120_000, `every site's cycle (daemon said: ${out} ${err})`);
          expect(out).toMatch(/fleet: 2 worker process\(es\)/);
          // Both workers register (one may have done every site before the other finished starting: wait for it, so
          // that SIGTERM below meets two started workers, each of which must take its row away).
          const workers = async () => (await sql<{ n: number }>`select count(*)::int as n from fleet_workers`.execute(store.db)).rows[0].n;
          await waitFor(async () => (await workers()) === 2, 60_000, `two registered workers (daemon said: ${out} ${err})`);
          expect(await workers()).toBe(2);
          // Each site's cycle ran once for its slot, and each produced its plan; the daemon did not dispatch itself.
          for (const r of await runs()) expect(r.n).toBe(1);
          const plans = await sql<{ n: number }>`select count(distinct site_id)::int as n from plans`.execute(store.db);
          expect(plans.rows[0].n).toBe(siteIds.length);
          const own = await sql<{ n: number }>`select count(*)::int as n from job_runs where job_name in ('plan-dispatch', 'command-status-refresh')`.execute(store.db);
          expect(own.rows[0].n).toBe(0);
        } finally {
          child.kill('SIGTERM');
        }
        expect(await exited).toBe(0);
        const left = await sql<{ n: number }>`select count(*)::int as n from fleet_workers`.execute(store.db);
        expect(left.rows[0].n).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    }
  }, 180_000);
});
