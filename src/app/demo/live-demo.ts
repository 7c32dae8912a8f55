/**
 * The live loop on one machine without any account (`ercot-arb demo`), on the simulated world of sim-world.ts: the
 * fake ERCOT server serves the bundled real HB_HOUSTON prices of 2024-08-19/20 (the $4,000+ spike of Aug 20 inside)
 * as ERCOT published them, the Enphase fake reports what the simulated batteries did, the VPP and Texture fakes
 * drive those batteries, and the daemon's own jobs (price ingest, telemetry poll, plan-dispatch, status refresh,
 * reconcile) run through the real clients on the embedded store every 15 simulated minutes, while the daemon's HTTP
 * server serves /metrics and the review pages. Nothing here is demo-only logic except the clock and the data set.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { FakeErcotData } from '../../adapters/fakes/ercot/data.js';
import { readDataFileSync } from '../../adapters/files/text-files.js';
import { toErcotIso } from '../../domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import { listCommands } from '../../store/commands-repo.js';
import { listSiteDispatch } from '../../store/dispatch-repo.js';
import { getPrices } from '../../store/prices-repo.js';
import type { Database } from '../../store/schema.js';
import type { Logger } from '../logger.js';
import type { Daemon } from '../daemon/daemon.js';
import { createSimWorldWithFakesInChild, type SimSiteSpec, type SimWorld } from './sim-world.js';

export const DEMO_SETTLEMENT_POINT = 'HB_HOUSTON';
/** 2024-08-19 00:00 CDT: two days of real prices follow (the history before it is fetched at start). */
export const DEMO_START_MS = Date.UTC(2024, 7, 19, 5);
const DEMO_DAYS = 2;
/** Price history fetched at start: 18 days (from 1 August, the first day of the bundled month) keeps the start quick. */
const DEMO_HISTORY_DAYS = 18;
const DEMO_FILES = ['datasets/ercot/rtm-spp-15min/August_2024.csv.gz', 'datasets/ercot/dam-spp-hourly/dam_spp_HB_HOUSTON.csv.gz'];

/** A file shipped with the package, found from this module whether it runs from src/ (tsx) or dist/src/. */
function bundledFile(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, relative))) return join(dir, relative);
  return join(process.cwd(), relative);
}

/** The fake ERCOT server's rows: the bundled August 2024 real-time and 2024 DAM files, as ERCOT serves them. */
export function demoErcotData(): FakeErcotData {
  const data = new FakeErcotData();
  for (const file of demoErcotFiles()) data.loadCsv(readDataFileSync(file), file);
  return data;
}

/** The bundled price files behind the demo's fake ERCOT server. */
export function demoErcotFiles(): string[] {
  return DEMO_FILES.map(bundledFile);
}

export interface DemoOptions {
  sites: number;
  /** Simulated 15-minute steps to run (default: two days). */
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
  world: SimWorld;
  daemon: Daemon;
  siteIds: string[];
  steps: number;
  /** Runs one simulated quarter hour (the daemon's jobs at their minutes) and says where things stand. */
  step(): Promise<DemoStep>;
  close(): Promise<void>;
}

/** Sites alternate between the Enphase VPP channel and Texture (enrolled in grid services, so it may export). */
function demoSites(n: number): SimSiteSpec[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0
    ? { channel: 'enphase-vpp' as const, systemId: 1001 + i }
    : { channel: 'texture' as const, systemId: 1001 + i, controlSettings: { exportAllowed: true } }));
}

export async function createDemoWorld(db: Kysely<Database>, logger: Logger, options: DemoOptions): Promise<DemoWorld> {
  // The fakes run in a child process: this one holds the daemon alone, as a deployed daemon would be.
  const world = await createSimWorldWithFakesInChild({ db, logger, startMs: DEMO_START_MS, settlementPoint: DEMO_SETTLEMENT_POINT, ercotFiles: demoErcotFiles(), sites: demoSites(options.sites), historyDays: DEMO_HISTORY_DAYS, env: { RECONCILE_LOOKBACK_HOURS: '6' } });
  const systemIds = world.sites.map((s) => s.systemId);
  const siteIds = world.sites.map((s) => s.siteId);
  return {
    world, daemon: world.daemon, siteIds,
    steps: options.steps ?? (DEMO_DAYS * 24 * 3_600_000) / INTERVAL_MS,
    async step() {
      const { startMs, reports } = await world.step();
      const nowMs = world.clock.nowMs();
      // The newest settled real-time price: the interval before the one just simulated (published when it ended).
      const [last] = await getPrices(db, { market: 'rt15', settlementPoint: DEMO_SETTLEMENT_POINT, startMs: startMs - INTERVAL_MS, endMs: startMs });
      const commands = await listCommands(db, null);
      const failed = reports.filter((r) => r.outcome === 'failed').map((r) => `${r.job} failed: ${r.error ?? ''}`);
      const statuses = [...failed, ...(await listSiteDispatch(db)).map((s) => `${s.siteId}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`)];
      return { nowMs, realTimeUsdPerMwh: last?.priceUsdPerMwh ?? null, socPercent: await world.fakes.socPercent(systemIds), commandsSent: commands.filter((c) => c.sentAtMs !== null).length, statuses };
    },
    close: () => world.close(),
  };
}

export function formatDemoStep(s: DemoStep): string {
  const price = s.realTimeUsdPerMwh === null ? 'n/a' : `$${s.realTimeUsdPerMwh.toFixed(2)}/MWh`;
  return `${toErcotIso(s.nowMs).slice(0, 16).replace('T', ' ')} Central  last RT ${price.padEnd(14)} SoC ${s.socPercent.map((p) => `${p.toFixed(0)} %`).join(' ')}  commands sent ${s.commandsSent}\n`;
}
