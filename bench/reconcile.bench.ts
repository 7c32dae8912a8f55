/**
 * Reconcile benchmark: N sites (default 100, BENCH_RECONCILE_SITES) with a 48-hour plan, telemetry and real-time
 * prices, on in-memory PGlite: the first reconcile run (every interval new), a re-run with nothing changed (what the
 * 15-minute job costs most of the time), and a run after a late batch of telemetry for the last 2 hours (revisions).
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { reconcileSites } from '../src/app/reconcile/reconcile-site.js';
import { INTERVAL_MS } from '../src/domain/time/interval.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { insertPlan } from '../src/store/plans-repo.js';
import { upsertPrices } from '../src/store/prices-repo.js';
import { upsertSite } from '../src/store/sites-repo.js';
import { upsertTelemetry, type TelemetryRecord } from '../src/store/telemetry-repo.js';

const START = Date.UTC(2024, 7, 19, 5);
const N = 192;
const battery = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };

function telemetry(siteId: string, from: number, to: number, bump = 0): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let i = from; i < to; i++) {
    const charging = i % 24 < 8;
    out.push({ siteId, intervalEndMs: START + (i + 1) * INTERVAL_MS, socPercent: 50 + (i % 24), chargeWh: charging ? 1000 + bump : 0, dischargeWh: charging ? 0 : 300, consumptionWh: 400, productionWh: i % 96 > 40 && i % 96 < 70 ? 600 : 0, devicesReporting: 1 });
  }
  return out;
}

export async function run(): Promise<void> {
  const sites = Number(process.env.BENCH_RECONCILE_SITES ?? 100);
  const opened = await openDatabase({ inMemory: true });
  await migrateToLatest(opened.db);
  const db = opened.db;
  await upsertPrices(db, Array.from({ length: N }, (_, i) => ({ market: 'rt15' as const, settlementPoint: 'HB_HOUSTON', intervalStartMs: START + i * INTERVAL_MS, intervalMinutes: 15, priceUsdPerMwh: i % 50 === 0 ? 2500 : 20 + (i % 30) - (i % 17 === 0 ? 45 : 0), source: 'bench', fetchedAtMs: START })));
  for (let s = 0; s < sites; s++) {
    const siteId = `bench-${s}`;
    await upsertSite(db, { siteId, name: siteId, settlementPoint: 'HB_HOUSTON', battery, reservePercent: 20, tariff: { importAdderUsdPerKwh: 0.05, exportFactor: 1 }, controlChannel: 'simulator' });
    await insertPlan(db, {
      siteId, horizonStartMs: START, horizonEndMs: START + N * INTERVAL_MS, solver: 'dp', status: 'optimal', objectiveUsd: 0, inputs: {},
      intervals: Array.from({ length: N }, (_, i) => ({ intervalStartMs: START + i * INTERVAL_MS, chargeKw: i % 24 < 8 ? 4 : 0, dischargeKw: i % 24 < 8 ? 0 : 1.2, gridImportKw: 0.5, gridExportKw: 0, socKwhEnd: 7, priceUsdPerMwh: null })),
    });
    await upsertTelemetry(db, telemetry(siteId, 0, N - 8));
  }
  const nowMs = START + N * INTERVAL_MS;
  const range = { fromMs: START, toMs: nowMs, nowMs };
  const time = async (label: string) => {
    const t = performance.now();
    const r = await reconcileSites(db, range);
    const ms = performance.now() - t;
    const sum = (k: 'created' | 'revised' | 'unchanged') => r.sites.reduce((n, x) => n + x[k], 0);
    console.log(`reconcile ${label}: ${sites} sites × ${N} intervals in ${(ms / 1000).toFixed(2)} s (${(ms / sites).toFixed(1)} ms/site): ${sum('created')} new, ${sum('revised')} revised, ${sum('unchanged')} unchanged`);
  };
  await time('first run');
  await time('nothing changed');
  for (let s = 0; s < sites; s++) await upsertTelemetry(db, telemetry(`bench-${s}`, N - 8, N, 0));
  await time('late 2 h batch');
  await opened.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
