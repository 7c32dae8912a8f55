/**
 * The live loop on one machine without any account (`ercot-arb demo`): real bundled ERCOT prices "arrive" as a
 * simulated clock moves on (each settled real-time interval when it ends, each day's DAM at 13:00 Central the day
 * before), simulated batteries report their SoC as telemetry, and the daemon's own dispatch jobs plan and send
 * commands to the simulator channel every 15 simulated minutes, on the embedded store, while the daemon's HTTP
 * server serves /metrics and the review pages. Nothing here is demo-only logic except the clock and the data feed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../replay/load-scenario.js';
import { createSimulatorChannel, type SimulatorChannel } from '../../adapters/control/simulator.js';
import type { BatterySpec } from '../../domain/battery/battery.js';
import { FixedClock } from '../../domain/time/clock.js';
import { ercotDateOf, ercotDay, toErcotIso } from '../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../../domain/time/interval.js';
import type { PriceSeries } from '../../domain/prices/price-series.js';
import { listCommands } from '../../store/commands-repo.js';
import { listSiteDispatch } from '../../store/dispatch-repo.js';
import type { Executor } from '../../store/database.js';
import { upsertPrices, type PriceRecord } from '../../store/prices-repo.js';
import { upsertSite } from '../../store/sites-repo.js';
import { upsertTelemetry } from '../../store/telemetry-repo.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { dispatchJobs } from '../daemon/dispatch-job.js';
import { Daemon } from '../daemon/daemon.js';
import { DaemonMetrics } from '../daemon/metrics.js';

/** The bundled 2-day HB_HOUSTON scenario (real August 2024 prices, with the history before it) drives the demo. */
export const DEMO_SCENARIO = bundledFile('scenarios/smoke-2day.json');

/** A file shipped with the package, found from this module whether it runs from src/ (tsx) or dist/src/. */
function bundledFile(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, relative))) return join(dir, relative);
  return join(process.cwd(), relative);
}
/** Cycles run at :07, :22, :37, :52 like the daemon's plan-dispatch job. */
const CYCLE_OFFSET_MS = 7 * MINUTE_MS;

export interface DemoOptions {
  sites: number;
  /** Wall-clock milliseconds per simulated 15 minutes (0: as fast as it goes). */
  msPerInterval: number;
  /** Simulated 15-minute steps to run (default: the scenario's two days). */
  steps?: number;
}

export interface DemoStep {
  nowMs: number;
  realTimeUsdPerMwh: number | null;
  socPercent: number[];
  commandsSent: number;
  statuses: string[];
}

export interface DemoWorld {
  daemon: Daemon;
  clock: FixedClock;
  channel: SimulatorChannel;
  siteIds: string[];
  steps: number;
  /** Advances one 15-minute step: prices and telemetry arrive, then the daemon's due jobs run. */
  step(): Promise<DemoStep>;
}

export async function createDemoWorld(db: Executor, cfg: Config, logger: Logger, options: DemoOptions): Promise<DemoWorld> {
  const { data } = await loadScenario(DEMO_SCENARIO);
  const clock = new FixedClock(data.startMs + CYCLE_OFFSET_MS);
  const siteIds = Array.from({ length: options.sites }, (_, i) => `demo-${i + 1}`);
  const batteries = new Map<string, BatterySpec>(siteIds.map((id) => [id, data.battery]));
  const channel = createSimulatorChannel({ clock, batteryFor: (ref) => batteries.get(ref), initialSocPercent: 50 });
  for (const siteId of siteIds) {
    await upsertSite(db, { siteId, name: `Demo battery ${siteId.slice(5)}`, settlementPoint: data.settlementPoint, battery: data.battery, reservePercent: 20, controlChannel: 'simulator' });
  }
  const feed = priceFeed(data.settlementPoint, data.realTime, data.dayAhead);
  const metrics = new DaemonMetrics({ db, clock, logger, processMetrics: false });
  const jobs = dispatchJobs({ db, cfg, clock, logger, metrics, channelFor: () => channel });
  const daemon = new Daemon({ db, clock, logger, metrics, jobs, instanceId: 'demo' });
  const steps = options.steps ?? Math.round((data.endMs - data.startMs) / INTERVAL_MS);
  let first = true;
  return {
    daemon, clock, channel, siteIds, steps,
    async step() {
      if (!first) clock.advance(INTERVAL_MS);
      first = false;
      const nowMs = clock.nowMs();
      await upsertPrices(db, feed.arrivedBy(nowMs));
      const readings = siteIds.map((id) => channel.reading(id));
      await upsertTelemetry(db, siteIds.map((siteId, i) => ({ siteId, intervalEndMs: nowMs - CYCLE_OFFSET_MS, socPercent: readings[i].socPercent, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 })));
      const reports = await daemon.tick();
      const commands = await listCommands(db, null);
      const failed = reports.filter((r) => r.outcome === 'failed').map((r) => `${r.job} failed: ${r.error ?? ''}`);
      const statuses = [...failed, ...(await listSiteDispatch(db)).map((s) => `${s.siteId}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`)];
      return { nowMs, realTimeUsdPerMwh: feed.lastRealTime(nowMs), socPercent: readings.map((r) => r.socPercent), commandsSent: commands.filter((c) => c.sentAtMs !== null).length, statuses };
    },
  };
}

/** Prices as they would have arrived: real-time once its interval has ended, DAM for day D at 13:00 Central on D−1. */
function priceFeed(point: string, realTime: PriceSeries, dayAhead: PriceSeries | null) {
  let rtSent = 0;
  const damSent = new Set<number>();
  const record = (market: 'rt15' | 'dam', startMs: number, minutes: number, price: number, publishedAtMs: number): PriceRecord => ({
    market, settlementPoint: point, intervalStartMs: startMs, intervalMinutes: minutes, priceUsdPerMwh: price, source: 'demo:datasets/ercot', fetchedAtMs: publishedAtMs, publishedAtMs,
  });
  const damPublishedMs = (startMs: number) => ercotDay(ercotDateOf(startMs)).startMs - 11 * HOUR_MS;
  return {
    arrivedBy(nowMs: number): PriceRecord[] {
      const out: PriceRecord[] = [];
      const rt = realTime.pricesUsdPerMwh;
      for (; rtSent < rt.length && realTime.startMs + (rtSent + 1) * INTERVAL_MS <= nowMs; rtSent++) {
        if (!Number.isNaN(rt[rtSent])) out.push(record('rt15', realTime.startMs + rtSent * INTERVAL_MS, 15, rt[rtSent], realTime.startMs + (rtSent + 1) * INTERVAL_MS));
      }
      if (dayAhead) {
        const da = dayAhead.pricesUsdPerMwh;
        for (let i = 0; i < da.length; i += 4) {
          const startMs = dayAhead.startMs + i * INTERVAL_MS;
          if (startMs % HOUR_MS !== 0 || damSent.has(startMs) || Number.isNaN(da[i]) || damPublishedMs(startMs) > nowMs) continue;
          damSent.add(startMs);
          out.push(record('dam', startMs, 60, da[i], damPublishedMs(startMs)));
        }
      }
      return out;
    },
    lastRealTime(nowMs: number): number | null {
      const i = Math.floor((nowMs - realTime.startMs) / INTERVAL_MS) - 1;
      return i >= 0 && i < realTime.pricesUsdPerMwh.length && !Number.isNaN(realTime.pricesUsdPerMwh[i]) ? realTime.pricesUsdPerMwh[i] : null;
    },
  };
}

export function formatDemoStep(s: DemoStep): string {
  const price = s.realTimeUsdPerMwh === null ? 'n/a' : `$${s.realTimeUsdPerMwh.toFixed(2)}/MWh`;
  return `${toErcotIso(s.nowMs).slice(0, 16).replace('T', ' ')} Central  last RT ${price.padEnd(14)} SoC ${s.socPercent.map((p) => `${p.toFixed(0)} %`).join(' ')}  commands sent ${s.commandsSent}\n`;
}
