/**
 * A dispatch test world: a migrated store with sites on the simulator channel, a week of prices (flat $20/MWh with
 * a $180 peak 19:00-20:00 local, real-time and day-ahead), telemetry written from the simulated battery, a fixed
 * clock and the real planner.
 */
import { SimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { runDispatchCycle, type DispatchCycleResult, type DispatchOptions } from '../../../src/app/dispatch/cycle.js';
import type { BatterySpec } from '../../../src/domain/battery/battery.js';
import type { Planner } from '../../../src/domain/optimizer/planner.js';
import type { ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { ercotLocalParts } from '../../../src/domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, intervalFloor } from '../../../src/domain/time/interval.js';
import type { Executor } from '../../../src/store/database.js';
import { upsertPrices, type PriceRecord } from '../../../src/store/prices-repo.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry } from '../../../src/store/telemetry-repo.js';

export const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 20, degradationCostUsdPerKwh: 0 };
/** 2026-07-01 18:50 CDT. */
export const T_1850 = Date.UTC(2026, 6, 1, 23, 50);
export const POINT = 'HB_HOUSTON';

let plannerPromise: Promise<Planner> | undefined;
export function planner(): Promise<Planner> {
  plannerPromise ??= createPlanner('dp');
  return plannerPromise;
}

export function peakPrice(ms: number): number {
  const m = ercotLocalParts(ms).minuteOfDay;
  return m >= 19 * 60 && m < 20 * 60 ? 180 : 20;
}

export async function seedPrices(db: Executor, fromMs: number, toMs: number): Promise<void> {
  const records: PriceRecord[] = [];
  for (let ms = fromMs; ms < toMs; ms += INTERVAL_MS) {
    records.push({ market: 'rt15', settlementPoint: POINT, intervalStartMs: ms, intervalMinutes: 15, priceUsdPerMwh: peakPrice(ms), source: 'test', fetchedAtMs: ms });
  }
  for (let ms = Math.floor(fromMs / HOUR_MS) * HOUR_MS; ms < toMs + 2 * 24 * HOUR_MS; ms += HOUR_MS) {
    records.push({ market: 'dam', settlementPoint: POINT, intervalStartMs: ms, intervalMinutes: 60, priceUsdPerMwh: peakPrice(ms), source: 'test', fetchedAtMs: ms });
  }
  await upsertPrices(db, records);
}

export interface World {
  db: Executor;
  clock: FixedClock;
  channel: SimulatorChannel;
  waits: number[];
  /** Writes the simulated battery's SoC as telemetry (as the Enphase ingest would), then runs one cycle. */
  cycle(options?: DispatchOptions, channelFor?: (siteId: string) => ControlChannel): Promise<DispatchCycleResult>;
}

export async function makeWorld(db: Executor, siteIds: string[] = ['S1'], initialSocPercent = 60, nowMs = T_1850): Promise<World> {
  const clock = new FixedClock(nowMs);
  const channel = new SimulatorChannel({ clock, sites: siteIds.map((siteRef) => ({ siteRef, battery, initialSocKwh: (battery.capacityKwh * initialSocPercent) / 100 })) });
  for (const siteId of siteIds) {
    await upsertSite(db, { siteId, name: siteId, settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'simulator' });
  }
  await seedPrices(db, intervalFloor(nowMs) - 8 * 24 * HOUR_MS, intervalFloor(nowMs));
  const p = await planner();
  const waits: number[] = [];
  return {
    db,
    clock,
    channel,
    waits,
    async cycle(options = {}, channelFor) {
      for (const siteId of siteIds) {
        const r = channel.reading(siteId);
        await upsertTelemetry(db, [{ siteId, intervalEndMs: r.asOfMs, socPercent: r.socPercent, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
      }
      return runDispatchCycle(
        { db, planner: p, channelFor: (site) => (channelFor ? channelFor(site.siteId) : channel), sleep: async (ms) => void waits.push(ms), options },
        { nowMs: clock.nowMs() },
      );
    },
  };
}
