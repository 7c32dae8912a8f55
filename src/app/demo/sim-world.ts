/**
 * The live loop on one machine with every outside service faked on loopback, on a simulated clock: the fake ERCOT
 * server serves real bundled prices as ERCOT published them (real-time once each interval ends, DAM at 13:00
 * Central the day before), the Enphase fake reports telemetry from the very batteries the VPP and Texture fakes
 * drive (the device simulator), and the daemon's REAL jobs (`buildDaemonJobs`: price ingest through the ERCOT
 * client, telemetry poll and backfill through the Enphase client, plan-dispatch through the channel clients,
 * command-status refresh, reconcile) run on the store at their cron minutes as the clock moves on. Used by
 * `ercot-arb demo` and by the simulated-week test (test/app/daemon/sim-week.test.ts). Nothing here decides
 * anything: it only moves the clock, the fakes and the daemon's ticks.
 */
import type { Kysely } from 'kysely';
import { ErcotClient } from '../../adapters/ercot/client.js';
import { DAM_SPP, RT_SPP } from '../../adapters/ercot/products.js';
import type { FakeBattery } from '../../adapters/fakes/control/fake-battery.js';
import { FakeErcotData } from '../../adapters/fakes/ercot/data.js';
import type { FakeErcotServer } from '../../adapters/fakes/ercot/server.js';
import type { FakeEnphase } from '../../adapters/fakes/enphase/server.js';
import type { FakeTexture } from '../../adapters/fakes/texture/server.js';
import type { FakeVpp } from '../../adapters/fakes/vpp/server.js';
import { FixedClock } from '../../domain/time/clock.js';
import { TokenBucket } from '../../adapters/ercot/rate-limiter.js';
import { ercotDateOf } from '../../domain/time/ercot-calendar.js';
import { DAY_MS, INTERVAL_MS, MINUTE_MS, intervalFloor } from '../../domain/time/interval.js';
import type { Database } from '../../store/schema.js';
import { createSecretBox } from '../../store/secret-box.js';
import { getSite, upsertSite } from '../../store/sites-repo.js';
import { loadConfig, type Config } from '../config.js';
import { oauthConfig, openAccount } from '../enphase/account.js';
import { connectAccount } from '../enphase/connect.js';
import { siteIdFor, syncSites } from '../enphase/sites-sync.js';
import { ingestPrices } from '../ingest/price-ingest.js';
import type { Logger } from '../logger.js';
import type { TickReport } from '../scheduler/scheduler.js';
import { Daemon } from '../daemon/daemon.js';
import { buildDaemonJobs } from '../daemon/jobs.js';
import { DaemonMetrics } from '../daemon/metrics.js';
import { startLocalSimFakes, type SimChannel, type SimFakesEndpoints, type SimFakesHandle, type SimSiteSpec } from './sim-fakes.js';
import { startSimFakesInChild } from './sim-fakes-child.js';

export type { SimChannel, SimSiteSpec } from './sim-fakes.js';

export interface SimWorldOptions {
  db: Kysely<Database>;
  /** PostgreSQL schema holding the tables (tests), for the daemon's readiness probe. */
  schema?: string;
  logger: Logger;
  /** The first simulated instant (a quarter hour): the daemon's first tick is 3 minutes after it. */
  startMs: number;
  settlementPoint: string;
  /** Rows the fake ERCOT server holds (served as published: see FakeErcotServer's publishedOnly). */
  ercotData: FakeErcotData;
  sites: SimSiteSpec[];
  /** Days of price history fetched through the ERCOT client before the first tick (default 30: the forecasters' window). */
  historyDays?: number;
  /** Further configuration (e.g. RECONCILE_LOOKBACK_HOURS). */
  env?: Record<string, string>;
}

/** The same world with the fakes in a child process: they load their prices from files there. */
export type ChildSimWorldOptions = Omit<SimWorldOptions, 'ercotData'> & { ercotFiles: string[] };

export interface SimSite {
  siteId: string;
  systemId: number;
  channel: SimChannel;
}

export interface SimStepReport {
  /** The quarter hour just simulated, [startMs, startMs + 15 min). */
  startMs: number;
  reports: TickReport[];
}

export interface SimWorld {
  /** The daemon's clock (the fakes' clock follows it through `moveTo`). */
  clock: FixedClock;
  daemon: Daemon;
  cfg: Config;
  sites: SimSite[];
  fakes: SimFakesHandle;
  /** Moves the daemon's and the fakes' clocks to `ms`. */
  moveTo(ms: number): Promise<void>;
  /** One quarter hour: the daemon ticks at minutes 3, 5, 7, 10 and 14 (the jobs' cron minutes), then the clock moves to the next quarter. */
  step(): Promise<SimStepReport>;
  close(): Promise<void>;
}

/** The world with its fakes in this process, open to inspection (tests). */
export interface LocalSimWorld extends SimWorld {
  ercot: FakeErcotServer;
  enphase: FakeEnphase;
  vpp: FakeVpp;
  texture: FakeTexture;
  /** The battery a site's channel fake drives, advanced to now. */
  battery(siteId: string): FakeBattery;
  /** Commands the channel fakes really received (VPP events booked + Texture mode commands; a Texture `reset` is a cancel). */
  commandsReceived(): number;
}

/**
 * Minutes after each quarter hour at which the daemon ticks: telemetry :03, RT prices :05 (+ refresh :04), dispatch
 * :07, reconcile :10 (+ refresh :09, backfill), refresh :14 (sends what a channel without scheduled start needs at
 * the next quarter). A tick runs each due job's latest slot, as the daemon's one-minute heartbeat would.
 */
const TICK_MINUTES = [3, 5, 7, 10, 14] as const;
const SECRET = 'sim-world secret key';

/** The daemon's configuration pointing every client at the fakes. */
function simConfig(o: Omit<SimWorldOptions, 'ercotData'>, f: SimFakesEndpoints): Config {
  return loadConfig({
    LOG_LEVEL: 'warn',
    ERCOT_API_BASE_URL: f.ercot.baseUrl, ERCOT_TOKEN_URL: f.ercot.tokenUrl,
    ERCOT_API_USERNAME: f.ercot.username, ERCOT_API_PASSWORD: f.ercot.password, ERCOT_API_SUBSCRIPTION_KEY: f.ercot.subscriptionKey,
    ERCOT_SETTLEMENT_POINTS: o.settlementPoint,
    ERCOT_ARB_SECRET_KEY: SECRET,
    ENPHASE_API_BASE_URL: f.enphase.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: f.enphase.apiKey,
    ENPHASE_REDIRECT_URI: 'http://127.0.0.1:9/callback', ENPHASE_ACCOUNT: 'sim', ENPHASE_CALLS_PER_MINUTE: '1000', ENPHASE_CALLS_PER_MONTH: '1000000',
    ENPHASE_DEFAULT_SETTLEMENT_POINT: o.settlementPoint,
    ENPHASE_VPP_BASE_URL: f.vpp.url, ENPHASE_VPP_PROGRAM_ID: f.vpp.programId, ENPHASE_VPP_API_KEY: f.vpp.apiKey, ENPHASE_VPP_CLIENT_ID: f.vpp.clientId, ENPHASE_VPP_CLIENT_SECRET: f.vpp.clientSecret,
    TEXTURE_API_BASE_URL: f.texture.url, TEXTURE_API_KEY: f.texture.apiKey,
    ...o.env,
  });
}

/** The simulated world with its fakes in this process (tests inspect them). */
export async function createSimWorld(o: SimWorldOptions): Promise<LocalSimWorld> {
  const local = await startLocalSimFakes({ startMs: o.startMs, sites: o.sites, ercotData: o.ercotData });
  const world = await assembleWorld(o, local);
  const systemIdOf = new Map(world.sites.map((s) => [s.siteId, s.systemId]));
  return {
    ...world,
    ercot: local.ercot, enphase: local.enphase, vpp: local.vpp, texture: local.texture,
    battery(siteId) {
      const systemId = systemIdOf.get(siteId);
      if (systemId === undefined) throw new Error(`no simulated site ${siteId}`);
      return local.battery(systemId);
    },
    commandsReceived: () => local.commandsReceivedNow(),
  };
}

/** The simulated world with its fakes in a child process: this process holds only the daemon (demo, benchmarks). */
export async function createSimWorldWithFakesInChild(o: ChildSimWorldOptions): Promise<SimWorld> {
  return assembleWorld(o, await startSimFakesInChild({ startMs: o.startMs, sites: o.sites, ercotFiles: o.ercotFiles }));
}

async function assembleWorld(o: Omit<SimWorldOptions, 'ercotData'>, fakes: SimFakesHandle): Promise<SimWorld> {
  try {
    return await assembleDaemon(o, fakes);
  } catch (error) {
    await fakes.close().catch(() => undefined);
    throw error;
  }
}

async function assembleDaemon(o: Omit<SimWorldOptions, 'ercotData'>, fakes: SimFakesHandle): Promise<SimWorld> {
  const clock = new FixedClock(intervalFloor(o.startMs));
  const { db, logger } = o;
  const cfg = simConfig(o, fakes.endpoints);
  const box = createSecretBox(SECRET);

  // The account is connected and its systems synced as a person would (`enphase connect`, `sites sync`), then each
  // site is put on its channel (`sites set-channel`).
  await connectAccount({ db, box, oauth: oauthConfig(cfg), clock, accountKey: cfg.ENPHASE_ACCOUNT, code: await fakes.issueOauthCode() });
  const account = openAccount({ db, box, settings: cfg, clock, accountKey: cfg.ENPHASE_ACCOUNT, logger });
  await syncSites({ db, box, client: account.client, clock, accountKey: cfg.ENPHASE_ACCOUNT, defaultSettlementPoint: o.settlementPoint });
  const sites: SimSite[] = [];
  for (const s of o.sites) {
    const siteId = siteIdFor(s.systemId);
    const site = await getSite(db, siteId);
    if (!site) throw new Error(`sites sync did not create ${siteId}`);
    await upsertSite(db, { ...site, controlChannel: s.channel, controlSettings: s.controlSettings ?? null });
    sites.push({ siteId, systemId: s.systemId, channel: s.channel });
  }

  // ERCOT's 30 requests/minute, kept on simulated time: the simulated clock stands still inside a step, so a limiter
  // on it could never see a minute pass, and one on the wall clock would make the demo wait in real time. Its waits
  // move its own timeline on instead (requests stay ≤ 30 per simulated minute, nobody sleeps for real).
  let limiterSkewMs = 0;
  const ercotLimiter = new TokenBucket({ clock: { nowMs: () => clock.nowMs() + limiterSkewMs }, sleep: async (ms) => { limiterSkewMs += ms; } });
  // Price history as a first `prices backfill` would fetch it, through the same client path (ERCOT's query API).
  const credentials = { username: fakes.endpoints.ercot.username, password: fakes.endpoints.ercot.password, subscriptionKey: fakes.endpoints.ercot.subscriptionKey };
  const client = new ErcotClient({ baseUrl: cfg.ERCOT_API_BASE_URL, tokenUrl: cfg.ERCOT_TOKEN_URL, credentials, clock, pageSize: cfg.ERCOT_PAGE_SIZE, limiter: ercotLimiter });
  const ingest = { db, client, clock, logger, queryApiFromDate: cfg.ERCOT_QUERY_API_FROM_DATE };
  const fromDate = ercotDateOf(clock.nowMs() - (o.historyDays ?? 30) * DAY_MS);
  const toDate = ercotDateOf(clock.nowMs() + DAY_MS);
  await ingestPrices(ingest, { product: RT_SPP, fromDate, toDate, settlementPoints: [o.settlementPoint] });
  await ingestPrices(ingest, { product: DAM_SPP, fromDate, toDate, settlementPoints: [o.settlementPoint] });

  const metrics = new DaemonMetrics({ db, clock, logger, processMetrics: false });
  const built = await buildDaemonJobs({ db, cfg, clock, logger, metrics, ercotLimiter });
  if (built.notRegistered.length) throw new Error(`sim world: jobs not registered: ${built.notRegistered.map((n) => `${n.job} (${n.reason})`).join('; ')}`);
  const daemon = new Daemon({ db, schema: o.schema, clock, logger, metrics, jobs: built.jobs, instanceId: 'sim-world', catchUpWindowMs: 15 * MINUTE_MS });

  const moveTo = async (ms: number) => {
    clock.set(ms);
    await fakes.moveTo(ms);
  };
  return {
    clock, daemon, cfg, sites, fakes, moveTo,
    async step() {
      const startMs = intervalFloor(clock.nowMs());
      const reports: TickReport[] = [];
      for (const minute of TICK_MINUTES) {
        await moveTo(startMs + minute * MINUTE_MS);
        reports.push(...(await daemon.tick()));
      }
      await moveTo(startMs + INTERVAL_MS);
      return { startMs, reports };
    },
    async close() {
      await daemon.shutdown('SIGTERM');
      await fakes.close();
    },
  };
}

/** Fake ERCOT data from UTC price series (datasets/ercot/hubavg), as RT and DAM wire rows at `settlementPoint`. */
export { wireRowsFromUtc } from '../../adapters/fakes/ercot/publication.js';
export { FakeErcotData };
