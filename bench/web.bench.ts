/**
 * Review pages benchmark (server time, PGlite in memory; PostgreSQL too when DATABASE_URL is set): the site day-plan
 * page (96 intervals, chart rendered by ECharts SSR) and the fleet overview for 1,000 sites, each with a plan of 96
 * intervals, telemetry, a dispatch status and a command. Targets: day plan < 100 ms, fleet (1,000 sites) < 500 ms.
 * Prints figures; asserts nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openDatabase, type OpenedDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { insertCommand } from '../src/store/commands-repo.js';
import { insertVersionedPlan, patchSiteDispatch } from '../src/store/dispatch-repo.js';
import { upsertPrices, type PriceRecord } from '../src/store/prices-repo.js';
import { upsertSite } from '../src/store/sites-repo.js';
import { upsertTelemetry } from '../src/store/telemetry-repo.js';
import { ercotDay } from '../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../src/domain/time/interval.js';
import { createReviewApp } from '../src/web/app.js';

const SITES = 1000;
const DATE = '2026-07-01';
const battery = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 20, degradationCostUsdPerKwh: 0 };

async function fill(db: OpenedDatabase['db']): Promise<number> {
  const day = ercotDay(DATE);
  const prices: PriceRecord[] = [];
  for (let ms = day.startMs; ms < day.endMs; ms += INTERVAL_MS) {
    const p = 20 + 30 * Math.sin((ms - day.startMs) / 3_600_000 / 4) + (ms === day.startMs + 76 * INTERVAL_MS ? 900 : 0);
    prices.push({ market: 'rt15', settlementPoint: 'HB_HOUSTON', intervalStartMs: ms, intervalMinutes: 15, priceUsdPerMwh: p, source: 'bench', fetchedAtMs: ms });
    if ((ms - day.startMs) % 3_600_000 === 0) prices.push({ market: 'dam', settlementPoint: 'HB_HOUSTON', intervalStartMs: ms, intervalMinutes: 60, priceUsdPerMwh: p * 0.9, source: 'bench', fetchedAtMs: ms });
  }
  await upsertPrices(db, prices);
  const nowMs = day.startMs + 14 * 3_600_000;
  for (let s = 0; s < SITES; s++) {
    const siteId = `S${String(s).padStart(4, '0')}`;
    await upsertSite(db, { siteId, name: `Home ${s}`, settlementPoint: 'HB_HOUSTON', battery, reservePercent: 20, controlChannel: 'simulator' });
    await upsertTelemetry(db, [{ siteId, intervalEndMs: nowMs - 5 * 60_000, socPercent: 40 + (s % 50), chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
    await patchSiteDispatch(db, siteId, { status: s % 7 === 0 ? 'awaiting_approval' : 'dispatching', reason: 'bench' });
    const intervals = [];
    let soc = 10;
    for (let i = 0; i < 96; i++) {
      const charge = i >= 8 && i < 24 ? 2.5 : 0;
      const discharge = i >= 72 && i < 80 ? 5 : 0;
      soc = Math.min(20, Math.max(4, soc + charge * 0.25 * 0.9 - discharge * 0.25 / 0.9));
      intervals.push({ intervalStartMs: day.startMs + i * INTERVAL_MS, chargeKw: charge, dischargeKw: discharge, gridImportKw: charge, gridExportKw: discharge, socKwhEnd: soc, priceUsdPerMwh: prices[i]?.priceUsdPerMwh ?? 20 });
    }
    const windows = [{ mode: 'discharge', powerKw: 5, targetReservePercent: 20, startMs: day.startMs + 72 * INTERVAL_MS, endMs: day.startMs + 80 * INTERVAL_MS, reason: 'discharge: 18:00-20:00 peak' }];
    const plan = await insertVersionedPlan(db, { siteId, horizonStartMs: day.startMs, horizonEndMs: day.endMs, solver: 'dp', status: 'optimal', objectiveUsd: -1, inputs: {}, verification: { ok: true, problems: [] }, outputs: {}, windows, intervals });
    await insertCommand(db, { siteId, planId: plan.planId, planVersion: plan.planVersion, idempotencyKey: `${siteId}-1`, channel: 'simulator', mode: 'discharge', powerKw: 5, targetReservePercent: 20, windowStartMs: windows[0].startMs, windowEndMs: windows[0].endMs, reason: windows[0].reason });
  }
  return nowMs;
}

async function time(url: string, runs: number): Promise<{ p50: number; max: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    ms.push(performance.now() - t);
    bytes = body.length;
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], bytes };
}

async function benchOn(name: string, opened: OpenedDatabase): Promise<void> {
  const t0 = performance.now();
  const nowMs = await fill(opened.db);
  console.log(`web [${name}]: filled ${SITES} sites in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const server = createServer(createReviewApp({ db: opened.db, secretHash: null, publicRead: true, nowMs: () => nowMs }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await time(`${base}/sites/S0001?date=${DATE}`, 2);
    const day = await time(`${base}/sites/S0001?date=${DATE}`, 15);
    console.log(`web [${name}]: site day plan (96 intervals, SVG chart): p50 ${day.p50.toFixed(1)} ms, max ${day.max.toFixed(1)} ms, ${(day.bytes / 1024).toFixed(0)} KiB (target < 100 ms)`);
    await time(`${base}/fleet`, 1);
    const fleet = await time(`${base}/fleet?sort=soc&dir=desc`, 7);
    console.log(`web [${name}]: fleet overview (${SITES} sites): p50 ${fleet.p50.toFixed(1)} ms, max ${fleet.max.toFixed(1)} ms, ${(fleet.bytes / 1024).toFixed(0)} KiB (target < 500 ms)`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function run(): Promise<void> {
  const lite = await openDatabase({ inMemory: true });
  try {
    await migrateToLatest(lite.db);
    await benchOn('pglite', lite);
  } finally {
    await lite.close();
  }
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const schema = `bench_web_${randomBytes(4).toString('hex')}`;
  const pgdb = await openDatabase({ databaseUrl: url, schema, poolSize: 4 });
  try {
    await migrateToLatest(pgdb.db, { schema });
    await benchOn('postgres', pgdb);
  } finally {
    const { sql } = await import('kysely');
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(pgdb.db);
    await pgdb.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
