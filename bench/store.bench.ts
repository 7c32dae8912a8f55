/**
 * Store benchmark: a year of 15-minute prices for 20 settlement points (700,800 rows) bulk-upserted into a freshly
 * migrated database, then re-ingested unchanged; a year of telemetry for one site. PGlite (in memory) always,
 * PostgreSQL too when DATABASE_URL is set (in a throw-away schema). Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { openDatabase, type OpenedDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { upsertPrices, type PriceRecord } from '../src/store/prices-repo.js';
import { upsertSite } from '../src/store/sites-repo.js';
import { upsertTelemetry, type TelemetryRecord } from '../src/store/telemetry-repo.js';
import { INTERVAL_MS } from '../src/domain/time/interval.js';

const POINTS = 20;
const INTERVALS = 365 * 96;
const YEAR_START = Date.UTC(2024, 0, 1, 6, 0);

function prices(): PriceRecord[] {
  const out: PriceRecord[] = new Array(POINTS * INTERVALS);
  let k = 0;
  for (let p = 0; p < POINTS; p++) {
    const point = `BENCH_SP_${String(p).padStart(2, '0')}`;
    for (let i = 0; i < INTERVALS; i++) {
      out[k++] = {
        market: 'rt15',
        settlementPoint: point,
        intervalStartMs: YEAR_START + i * INTERVAL_MS,
        intervalMinutes: 15,
        priceUsdPerMwh: Math.round((25 + 20 * Math.sin(i / 15) + (i % 997 === 0 ? 3000 : 0) - (i % 389 === 0 ? 40 : 0) + p) * 100) / 100,
        source: 'bench',
        fetchedAtMs: YEAR_START,
      };
    }
  }
  return out;
}

function telemetry(siteId: string): TelemetryRecord[] {
  return Array.from({ length: INTERVALS }, (_, i) => ({
    siteId,
    intervalEndMs: YEAR_START + (i + 1) * INTERVAL_MS,
    socPercent: 20 + (i % 80),
    chargeWh: i % 4 === 0 ? 1000 : 0,
    dischargeWh: i % 7 === 0 ? 900 : 0,
    consumptionWh: 500 + (i % 13),
    productionWh: i % 96 > 30 && i % 96 < 70 ? 1200 : 0,
    devicesReporting: 2,
  }));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function benchOne(label: string, opened: OpenedDatabase, rows: PriceRecord[], print: (s: string) => void): Promise<void> {
  const { db } = opened;
  await migrateToLatest(db, { schema: opened.schema });
  const load = await timed(() => upsertPrices(db, rows));
  print(`${label}: load ${rows.length} prices: ${(load.ms / 1000).toFixed(2)} s (${Math.round(rows.length / (load.ms / 1000))} rows/s) ${JSON.stringify(load.value)}`);
  const again = await timed(() => upsertPrices(db, rows));
  print(`${label}: re-ingest unchanged: ${(again.ms / 1000).toFixed(2)} s ${JSON.stringify(again.value)}`);
  const oneDay = rows.slice(0, 96).map((r) => ({ ...r, priceUsdPerMwh: r.priceUsdPerMwh + 1 }));
  const corr = await timed(() => upsertPrices(db, oneDay));
  print(`${label}: correct one day (96 revisions): ${corr.ms.toFixed(0)} ms ${JSON.stringify(corr.value)}`);
  await upsertSite(db, {
    siteId: 'bench-site',
    name: 'bench',
    settlementPoint: 'BENCH_SP_00',
    battery: { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 },
    reservePercent: 20,
    controlChannel: 'none',
  });
  const tel = telemetry('bench-site');
  const t = await timed(() => upsertTelemetry(db, tel));
  print(`${label}: load ${tel.length} telemetry rows (1 site-year): ${(t.ms / 1000).toFixed(2)} s`);
}

export async function run(print: (s: string) => void = (s) => console.log(s)): Promise<void> {
  const rows = prices();
  print(`store bench: ${POINTS} settlement points × ${INTERVALS} intervals = ${rows.length} price rows`);
  const lite = await openDatabase({ inMemory: true });
  try {
    await benchOne('pglite (memory)', lite, rows, print);
  } finally {
    await lite.close();
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    print('postgres: skipped (DATABASE_URL not set)');
    return;
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await openDatabase({ databaseUrl: url, schema });
  try {
    await benchOne('postgres', pg, rows, print);
  } finally {
    const { sql } = await import('kysely');
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(pg.db);
    await pg.close();
  }
}

export default run;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
