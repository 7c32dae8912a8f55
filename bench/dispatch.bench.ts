/**
 * Dispatch benchmark: one full dispatch cycle (resolve + status refresh, device state, plan on store prices and
 * telemetry, decide, apply against the simulator channel) for N simulated sites on the embedded store (PGlite in
 * memory), with the split per stage. N = DISPATCH_BENCH_SITES (default 100). Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SimulatorChannel } from '../src/adapters/control/simulator.js';
import { createPlanner } from '../src/adapters/solvers/planner-factory.js';
import { runDispatchCycle } from '../src/app/dispatch/cycle.js';
import type { BatterySpec } from '../src/domain/battery/battery.js';
import { FixedClock } from '../src/domain/time/clock.js';
import { ercotLocalParts } from '../src/domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../src/domain/time/interval.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { upsertPrices, type PriceRecord } from '../src/store/prices-repo.js';
import { upsertSite } from '../src/store/sites-repo.js';
import { upsertTelemetry } from '../src/store/telemetry-repo.js';

const battery: BatterySpec = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };
/** 2026-07-01 18:50 CDT: the 19:00 peak window is due. */
const NOW = Date.UTC(2026, 6, 1, 23, 50);
const POINTS = ['HB_HOUSTON', 'HB_NORTH', 'HB_WEST', 'HB_SOUTH'];

function price(ms: number, p: number): number {
  const m = ercotLocalParts(ms).minuteOfDay;
  return (m >= 19 * 60 && m < 20 * 60 ? 180 : 20 + 10 * Math.sin(m / 90)) + p;
}

export async function run(): Promise<void> {
  const n = Number.parseInt(process.env.DISPATCH_BENCH_SITES ?? '100', 10);
  const opened = await openDatabase({ inMemory: true });
  try {
    const db = opened.db;
    await migrateToLatest(db);
    const records: PriceRecord[] = [];
    const from = Math.floor((NOW - 8 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
    POINTS.forEach((point, p) => {
      for (let ms = from; ms < NOW - (NOW % INTERVAL_MS); ms += INTERVAL_MS) records.push({ market: 'rt15', settlementPoint: point, intervalStartMs: ms, intervalMinutes: 15, priceUsdPerMwh: price(ms, p), source: 'bench', fetchedAtMs: ms });
      for (let ms = from; ms < NOW + 2 * 24 * HOUR_MS; ms += HOUR_MS) records.push({ market: 'dam', settlementPoint: point, intervalStartMs: ms, intervalMinutes: 60, priceUsdPerMwh: price(ms, p), source: 'bench', fetchedAtMs: ms });
    });
    await upsertPrices(db, records);
    const clock = new FixedClock(NOW);
    const channel = new SimulatorChannel({ clock });
    for (let i = 0; i < n; i++) {
      const siteId = `B${String(i).padStart(4, '0')}`;
      const socPercent = 30 + (i % 60);
      channel.addSite({ siteRef: siteId, battery, initialSocKwh: (battery.capacityKwh * socPercent) / 100 });
      await upsertSite(db, { siteId, name: siteId, settlementPoint: POINTS[i % POINTS.length], battery, reservePercent: 20, controlChannel: 'simulator' });
      await upsertTelemetry(db, [{ siteId, intervalEndMs: NOW - (NOW % INTERVAL_MS), socPercent, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
    }
    const planner = await createPlanner('dp');
    const t0 = performance.now();
    const result = await runDispatchCycle({ db, planner, channelFor: () => channel }, { nowMs: NOW });
    const totalMs = performance.now() - t0;
    const stages = { refresh: 0, plan: 0, decide: 0, apply: 0 };
    for (const s of result.sites) for (const k of Object.keys(stages) as (keyof typeof stages)[]) stages[k] += s.timingsMs[k];
    const byStatus = new Map<string, number>();
    for (const s of result.sites) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    console.log(`dispatch cycle, ${n} sites on PGlite (in memory): ${(totalMs / 1000).toFixed(2)} s total, ${(totalMs / n).toFixed(1)} ms/site; ` +
      `stages: refresh ${(stages.refresh / 1000).toFixed(2)} s, plan ${(stages.plan / 1000).toFixed(2)} s, decide ${(stages.decide / 1000).toFixed(2)} s, apply ${(stages.apply / 1000).toFixed(2)} s; ` +
      `${channel.sendCount()} commands sent; statuses ${[...byStatus].map(([k, v]) => `${k} ${v}`).join(', ')}; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  } finally {
    await opened.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
