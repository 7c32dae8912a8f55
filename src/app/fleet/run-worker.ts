/**
 * A fleet worker process: opens the store, picks the job queue (graphile-worker on PostgreSQL, in-process on the
 * embedded store), starts the worker and stops it cleanly on SIGTERM/SIGINT (running jobs finish). With `simulate`,
 * the sites run on the simulator channel at a pinned time (tests, benches, demos); otherwise each site's channel
 * comes from the control-channel registry (siteChannels, as in the daemon). `untilSlotDone` exits once every active site's run for the slot is finished (benches, tests).
 */
import { createPlanner } from '../../adapters/solvers/planner-factory.js';
import { createControlChannel } from '../../adapters/control/registry.js';
import { FixedClock } from '../../domain/time/clock.js';
import { GraphileJobQueue } from '../../adapters/jobs/graphile.js';
import { InProcessJobQueue } from '../../adapters/jobs/in-process.js';
import type { JobQueue } from '../../domain/ports/job-queue.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import { openDatabase, sql, type OpenedDatabase } from '../../store/database.js';
import type { Site } from '../../store/sites-repo.js';
import { simulatedChannel } from './simulated-fleet.js';
import { loadConfig, type Config } from '../config.js';
import { createSecretBox } from '../../store/secret-box.js';
import { fleetTelemetry, type FleetTelemetry } from './site-telemetry.js';
import { siteChannels } from '../daemon/dispatch-job.js';
import { systemClock } from '../system-clock.js';
import { slotOf } from './site-runs.js';
import { startFleetWorker, type FleetWorker } from './worker.js';
import { dispatchOptionsFromConfig } from '../dispatch/options-from-config.js';

export interface FleetWorkerProcessOptions {
  databaseUrl?: string;
  dataDir?: string;
  schema?: string;
  concurrency: number;
  leaseMs?: number;
  tickEveryMs?: number;
  /** Run on the simulator channel with the clock pinned here (UTC ms). */
  simulateAtMs?: number;
  sendLog?: string;
  /** One token per site cycle from `<channel>:minute` with this limit (shared by every process). */
  ratePerMinute?: number;
  /** The rate window (default 1 min; tests shorten it). */
  rateWindowMs?: number;
  untilSlotDone?: boolean;
  /** site.status cadence (default 5 min; 0 = none). */
  statusEveryMs?: number;
  /** With `simulateAtMs`: run the sites on the enphase-vpp channel against this VPP (the fake on loopback) instead of the simulator. */
  vpp?: { baseUrl: string; programId: string; apiKey: string; clientId: string; clientSecret: string };
  channelFor?: (site: Site) => ControlChannel | Promise<ControlChannel>;
  /**
   * Pull each site's telemetry from Enphase in its cycle (default: when ERCOT_ARB_SECRET_KEY and the Enphase
   * application are configured, as for the daemon's poll job; `false` = never).
   */
  telemetry?: boolean;
}

/** The fleet's per-site telemetry when the Enphase application and the secret key are configured (else none). */
function telemetryFor(db: OpenedDatabase['db'], cfg: Config, wanted: boolean | undefined): FleetTelemetry | undefined {
  if (wanted === false || !cfg.ERCOT_ARB_SECRET_KEY || !cfg.ENPHASE_API_KEY || !cfg.ENPHASE_CLIENT_ID || !cfg.ENPHASE_CLIENT_SECRET) return undefined;
  return fleetTelemetry({ db, box: createSecretBox(cfg.ERCOT_ARB_SECRET_KEY), settings: cfg, clock: systemClock });
}

export function queueFor(opened: OpenedDatabase, databaseUrl: string | undefined): JobQueue {
  return opened.kind === 'postgres' && databaseUrl ? new GraphileJobQueue({ connectionString: databaseUrl, schema: `${opened.schema}_jobs` }) : new InProcessJobQueue();
}

export async function runFleetWorkerProcess(o: FleetWorkerProcessOptions): Promise<{ ran: number; readyCpuUs: number } & ReturnType<FleetWorker['totals']>> {
  // SIGTERM/SIGINT are taken from the start: one that arrives while the worker starts (and may already have
  // registered in fleet_workers) stops it cleanly once it has started, instead of Node's default exit, which left the
  // registration behind.
  let signalled = false;
  let onSignal = (): void => void (signalled = true);
  process.once('SIGTERM', () => onSignal());
  process.once('SIGINT', () => onSignal());
  const opened = await openDatabase({ databaseUrl: o.databaseUrl, dataDir: o.dataDir, schema: o.schema, poolSize: o.concurrency + 3, preparedStatements: loadConfig().DATABASE_PREPARED_STATEMENTS });
  const queue = queueFor(opened, o.databaseUrl);
  const pinned = o.simulateAtMs;
  const channel = pinned == null ? null
    : o.vpp ? createControlChannel('enphase-vpp', { ...o.vpp, timeoutMs: 5_000 }, { clock: new FixedClock(pinned) })
    : simulatedChannel(pinned, o.sendLog);
  // Without a simulation, each site's own channel from the registry, exactly as the daemon's dispatch job builds it.
  const channelFor = o.channelFor ?? (channel ? () => channel : siteChannels(loadConfig(), systemClock));
  const slotMs = pinned != null ? () => slotOf(pinned) : undefined;
  const cfg = loadConfig();
  const worker = await startFleetWorker({
    telemetry: telemetryFor(opened.db, cfg, o.telemetry),
    db: opened.db, queue, planner: await createPlanner('dp'), channelFor, options: dispatchOptionsFromConfig(cfg), concurrency: o.concurrency, leaseMs: o.leaseMs, tickEveryMs: o.tickEveryMs, statusEveryMs: o.statusEveryMs,
    now: Date.now, slotMs, cycleNowMs: pinned != null ? () => pinned : undefined, sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    rateLimitsFor: o.ratePerMinute ? () => [{ bucket: `${channel?.name ?? 'channel'}:minute`, windowMs: o.rateWindowMs ?? 60_000, limit: o.ratePerMinute! }] : undefined,
  });
  // CPU spent until the worker takes jobs (module loading, store, queue start-up): benches report the cycle without it.
  const ready = process.cpuUsage();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    await opened.close();
  };
  await new Promise<void>((resolve) => {
    onSignal = () => void stop().then(resolve);
    if (signalled) onSignal();
    if (o.untilSlotDone) {
      const slot = slotMs?.() ?? slotOf(Date.now());
      const check = setInterval(() => {
        void sql<{ n: number }>`select count(*)::int as n from sites s left join fleet_site_runs r on r.site_id = s.site_id and r.slot_ms = ${slot}
          where s.status <> 'disabled' and (r.status is null or r.status <> 'done')`.execute(opened.db).then(async (r) => {
          if (r.rows[0]!.n === 0 && !stopping) {
            clearInterval(check);
            await stop();
            resolve();
          }
        }).catch(() => undefined);
      }, 250);
    }
  });
  return { ran: worker.ran(), readyCpuUs: ready.user + ready.system, ...worker.totals() };
}
