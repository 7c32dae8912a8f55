/**
 * Every job the daemon runs, built from the configuration:
 *   ercot-rt-spp, ercot-dam-spp, ercot-sced-lmp   price ingest (src/app/ingest/jobs.ts); needs ERCOT credentials
 *   ercot-system-forecasts                        load/wind/solar forecasts (src/app/ingest/system-forecast-ingest.ts)
 *   enphase-telemetry-poll, -backfill             telemetry (src/app/telemetry/jobs.ts); per connected account
 *   reconcile                                     planned vs. actual + calibration (src/app/reconcile/jobs.ts)
 *   plan-dispatch, command-status-refresh         the dispatcher's cycle and status polling (./dispatch-job.ts)
 * A job that cannot run in this configuration (no ERCOT credentials, no ERCOT_ARB_SECRET_KEY) is not registered and
 * listed in `notRegistered` with the reason, which the daemon prints at start and serves on /readyz.
 */
import { ErcotClient } from '../../adapters/ercot/client.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import { createSecretBox } from '../../store/secret-box.js';
import type { Config } from '../config.js';
import { openAccount } from '../enphase/account.js';
import { listAccounts } from '../enphase/tokens.js';
import { resolveErcotCredentials } from '../ingest/credentials.js';
import { priceJobs } from '../ingest/jobs.js';
import { systemForecastJobs } from '../ingest/system-forecast-ingest.js';
import type { Logger } from '../logger.js';
import { reconcileJob } from '../reconcile/jobs.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import { enphaseJobs, runSettings } from '../telemetry/jobs.js';
import type { TelemetryRunContext } from '../telemetry/poller.js';
import type { DaemonMetrics } from './metrics.js';
import { dispatchJobs, siteChannels } from './dispatch-job.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import { ercotLimiterFor } from '../fleet/shared-ercot-limiter.js';
import type { TokenBucket } from '../../adapters/ercot/rate-limiter.js';
import type { Site } from '../../store/sites-repo.js';
import type { EnphaseClient } from '../../adapters/enphase/client.js';

export { COMMAND_REFRESH_JOB, DISPATCH_JOB } from './dispatch-job.js';

export interface DaemonJobDeps {
  db: Executor;
  cfg: Config;
  clock: Clock;
  logger: Logger;
  metrics?: DaemonMetrics;
  /** The ERCOT clients' 30/min limiter (default: shared across processes on PostgreSQL, per process on the embedded store). */
  ercotLimiter?: TokenBucket;
}

export interface DaemonJobs {
  jobs: JobDefinition[];
  notRegistered: { job: string; reason: string }[];
  /** The dispatcher's channel per site (shared with the Texture webhook route). */
  channelFor: (site: Site) => ControlChannel;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function priceJobsFor(d: DaemonJobDeps, out: DaemonJobs): Promise<void> {
  const { cfg } = d;
  try {
    const credentials = await resolveErcotCredentials(d.db, cfg);
    const client = new ErcotClient({
      baseUrl: cfg.ERCOT_API_BASE_URL, tokenUrl: cfg.ERCOT_TOKEN_URL, credentials,
      limiter: d.ercotLimiter ?? ercotLimiterFor(d.db, cfg.DATABASE_URL, credentials.subscriptionKey),
      pageSize: cfg.ERCOT_PAGE_SIZE, timeoutMs: cfg.ERCOT_REQUEST_TIMEOUT_MS, clock: d.clock,
      onRetry: (info) => d.logger.warn(info, 'ERCOT request retried'),
    });
    d.metrics?.addRequestSource({ api: 'ercot', stats: () => client.http.stats });
    const points = cfg.ERCOT_SETTLEMENT_POINTS.split(',').map((p) => p.trim()).filter(Boolean);
    const deps = { db: d.db, client, clock: d.clock, logger: d.logger, queryApiFromDate: cfg.ERCOT_QUERY_API_FROM_DATE };
    out.jobs.push(...priceJobs(deps, {
      settlementPoints: points, trailingHours: cfg.ERCOT_RT_TRAILING_HOURS, scedEnabled: cfg.ERCOT_SCED_ENABLED,
    }));
    if (cfg.ERCOT_SYSTEM_FORECASTS_ENABLED) out.jobs.push(...systemForecastJobs(deps));
  } catch (error) {
    out.notRegistered.push({ job: 'ercot-*', reason: messageOf(error) });
  }
}

function telemetryJobsFor(d: DaemonJobDeps, out: DaemonJobs): void {
  const { cfg } = d;
  if (!cfg.ERCOT_ARB_SECRET_KEY) {
    out.notRegistered.push({ job: 'enphase-telemetry-*', reason: 'ERCOT_ARB_SECRET_KEY is not set (the Enphase tokens are stored encrypted)' });
    return;
  }
  const box = createSecretBox(cfg.ERCOT_ARB_SECRET_KEY);
  const onRequest = (info: { status: number }) => d.metrics?.recordApiRequest('enphase', info.status);
  const contexts = async (): Promise<TelemetryRunContext[]> => (await listAccounts(d.db)).filter((a) => a.status === 'active').map((a) => {
    const account = openAccount({ db: d.db, box, settings: cfg, clock: d.clock, accountKey: a.accountKey, logger: d.logger, onRequest });
    return { db: d.db, client: account.client, clock: d.clock, accountKey: a.accountKey, settings: runSettings(cfg), logger: d.logger };
  });
  out.jobs.push(...enphaseJobs(contexts, cfg.ENPHASE_POLL_MINUTES));
}

/** The configured account's v4 client, built on first use (enphase-basic sites); undefined when it cannot be. */
function enphaseClientOf(d: DaemonJobDeps): () => EnphaseClient | undefined {
  let client: EnphaseClient | undefined;
  return () => {
    if (client || !d.cfg.ERCOT_ARB_SECRET_KEY || !d.cfg.ENPHASE_API_KEY) return client;
    const onRequest = (info: { status: number }) => d.metrics?.recordApiRequest('enphase', info.status);
    client = openAccount({ db: d.db, box: createSecretBox(d.cfg.ERCOT_ARB_SECRET_KEY), settings: d.cfg, clock: d.clock, logger: d.logger, onRequest }).client;
    return client;
  };
}

export async function buildDaemonJobs(d: DaemonJobDeps): Promise<DaemonJobs> {
  const channelFor = siteChannels(d.cfg, d.clock, enphaseClientOf(d));
  const out: DaemonJobs = { jobs: [], notRegistered: [], channelFor };
  await priceJobsFor(d, out);
  telemetryJobsFor(d, out);
  out.jobs.push(reconcileJob(d.db, { lookbackHours: d.cfg.RECONCILE_LOOKBACK_HOURS, calibrationDays: d.cfg.RECONCILE_CALIBRATION_DAYS }));
  out.jobs.push(...dispatchJobs({ db: d.db, cfg: d.cfg, clock: d.clock, logger: d.logger, metrics: d.metrics, channelFor }));
  return out;
}
