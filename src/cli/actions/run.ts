/** `ercot-arb run [--once [--now ISO]] [--port N]`: the daemon in the foreground, or one cycle for cron. */
import { InputError } from '../../domain/errors.js';
import { FixedClock, type Clock } from '../../domain/time/clock.js';
import { systemClock } from '../../app/system-clock.js';
import { parseIsoInstant } from '../../domain/time/ercot-calendar.js';
import type { CliContext } from '../context.js';
import { openStore } from '../../store/open.js';
import { loadConfig } from '../../app/config.js';
import { waitForSignal, type TickReport } from '../../app/scheduler/scheduler.js';
import { Daemon } from '../../app/daemon/daemon.js';
import { buildDaemonJobs } from '../../app/daemon/jobs.js';
import { COMMAND_REFRESH_JOB, DISPATCH_JOB } from '../../app/daemon/dispatch-job.js';
import { DaemonMetrics } from '../../app/daemon/metrics.js';
import { POLL_JOB } from '../../app/telemetry/jobs.js';
import { mountTextureWebhook, TEXTURE_WEBHOOK_PATH } from '../../app/daemon/texture-webhook-route.js';

export interface RunOptions {
  dataDir?: string;
  once?: boolean;
  now?: string;
  port?: string;
  host?: string;
  json?: boolean;
  instanceId?: string;
  workers?: string;
}

/** `--workers N`: per-site cycles go to N fleet worker processes (PostgreSQL job queue) instead of this process. */
function workersOf(options: RunOptions, databaseUrl: string | undefined): number | null {
  if (options.workers === undefined) return null;
  const n = Number(options.workers);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`--workers: "${options.workers}" must be a whole number from 1 to 64`);
  if (options.once) throw new InputError('--workers does not go with --once (run one cycle in this process, or start the workers)');
  if (!databaseUrl) throw new InputError('--workers needs PostgreSQL (set DATABASE_URL): on the embedded store this one process runs every site\'s cycle, so leave --workers out');
  return n;
}

function portOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port: "${text}" is not a port (0–65535; 0 = any free port)`);
  return port;
}

function clockOf(options: RunOptions): Clock {
  if (options.now === undefined) return systemClock;
  if (!options.once) throw new InputError('--now only goes with --once (a running daemon follows the real clock)');
  try {
    return new FixedClock(parseIsoInstant(options.now));
  } catch (error) {
    throw new InputError(`--now: ${(error as Error).message}`);
  }
}

function formatReports(reports: TickReport[]): string {
  if (!reports.length) return 'no job was due\n';
  return reports.map((r) => `${r.job.padEnd(28)} ${new Date(r.scheduledForMs).toISOString()}  ${r.outcome}${r.error ? `: ${r.error}` : ''}`).join('\n') + '\n';
}

async function listenOrExplain(daemon: Daemon, port: number, host: string): Promise<number> {
  try {
    return await daemon.listen(port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new InputError(`--port ${port} on ${host}: ${code} (another process holds it, or the address is not this machine's); use --port 0 for any free port`);
    throw error;
  }
}

/** One tick; SIGTERM/SIGINT meanwhile stops it like the daemon does (safe point, or abandoned after the grace period). */
async function runOnceWithSignals(ctx: CliContext, daemon: Daemon, options: RunOptions): Promise<void> {
  let stopped: Promise<{ abandoned: string[] }> | undefined;
  let onStopped!: (r: { signal: string; abandoned: string[] }) => void;
  const interrupted = new Promise<{ signal: string; abandoned: string[] }>((resolve) => (onStopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    stopped ??= daemon.shutdown(signal);
    void stopped.then((r) => onStopped({ signal, ...r }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await Promise.race([daemon.tick().then((reports) => ({ reports })), interrupted.then((i) => (i.abandoned.length ? { interrupted: i } : new Promise<never>(() => undefined)))]);
    if ('interrupted' in outcome) {
      ctx.stdout.write(`stopped on ${outcome.interrupted.signal}; abandoned: ${outcome.interrupted.abandoned.join(', ')}\n`);
      process.exitCode = 1;
      return;
    }
    ctx.stdout.write(options.json ? `${JSON.stringify(outcome.reports)}\n` : formatReports(outcome.reports));
    if (outcome.reports.some((r) => r.outcome === 'failed')) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runCommand(ctx: CliContext, options: RunOptions): Promise<void> {
  const cfg = loadConfig();
  const clock = clockOf(options);
  const port = portOf(options.port, cfg.ERCOT_ARB_HTTP_PORT);
  const workers = workersOf(options, cfg.DATABASE_URL);
  const logger = ctx.logger();
  const store = await openStore(cfg, { dataDir: options.dataDir, logger, createInChild: true, leanWasm: true });
  try {
    const metrics = new DaemonMetrics({ db: store.db, clock, logger });
    const built = await buildDaemonJobs({ db: store.db, cfg, clock, logger, metrics });
    const { notRegistered, channelFor } = built;
    // With fleet workers, each site's cycle (telemetry poll, plan, dispatch, status refresh) is their job, claimed per
    // site and slot; the daemon keeps prices, the telemetry backfill and reconcile.
    const jobs = workers === null ? built.jobs : built.jobs.filter((j) => j.name !== DISPATCH_JOB && j.name !== COMMAND_REFRESH_JOB && j.name !== POLL_JOB);
    const daemon = new Daemon({
      db: store.db, schema: store.schema, clock, logger, jobs, notRegistered, metrics, instanceId: options.instanceId,
      catchUpWindowMs: cfg.SCHEDULER_CATCH_UP_HOURS * 3_600_000, shutdownGraceMs: cfg.ERCOT_ARB_SHUTDOWN_GRACE_SECONDS * 1000,
    });
    if (cfg.TEXTURE_WEBHOOK_SECRET) mountTextureWebhook(daemon.http, { db: store.db, clock, logger, secret: cfg.TEXTURE_WEBHOOK_SECRET, channelFor });
    for (const n of notRegistered) ctx.stderr.write(`not running ${n.job}: ${n.reason}\n`);
    if (options.once) {
      await runOnceWithSignals(ctx, daemon, options);
      return;
    }
    const { mountReviewPages } = await import('../../web/mount.js');
    const review = mountReviewPages(daemon.http, { db: store.db, cfg, logger });
    const bound = await listenOrExplain(daemon, port, options.host ?? cfg.ERCOT_ARB_HTTP_HOST);
    ctx.stdout.write(`ercot-arb daemon listening on http://${options.host ?? cfg.ERCOT_ARB_HTTP_HOST}:${bound} (/livez /readyz /metrics); port ${bound}\n`);
    ctx.stdout.write(`review pages: http://${options.host ?? cfg.ERCOT_ARB_HTTP_HOST}:${bound}/fleet${review.actionsEnabled ? '' : ' (no trader password configured: actions impossible; see docs/web.md)'}\n`);
    ctx.stdout.write(`jobs: ${daemon.jobNames().join(', ')} (SIGTERM or Ctrl-C to stop)\n`);
    if (cfg.TEXTURE_WEBHOOK_SECRET) ctx.stdout.write(`Texture webhooks: POST ${TEXTURE_WEBHOOK_PATH}\n`);
    const { forkFleetWorkers } = await import('../../app/fleet/fork-workers.js');
    const fleet = workers === null ? null : forkFleetWorkers(workers, {});
    if (fleet) ctx.stdout.write(`fleet: ${workers} worker process(es) run every site's cycle through the PostgreSQL job queue (pids ${fleet.children.map((c) => c.pid).join(', ')})\n`);
    daemon.start();
    const signal = await waitForSignal();
    const [{ abandoned }] = await Promise.all([daemon.shutdown(signal), fleet?.stop()]);
    ctx.stdout.write(`stopped on ${signal}${abandoned.length ? `; abandoned: ${abandoned.join(', ')}` : ''}\n`);
  } finally {
    await store.close();
  }
}
