/**
 * The daemon: one scheduler with every job, an HTTP server (/livez, /readyz, /metrics, and whatever other areas
 * mount on it), and a graceful shutdown. The clock is injected: tests pass a FixedClock and call `tick()`;
 * `run --once --now` does the same with one tick.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/time/clock.js';
import type { Database } from '../../store/schema.js';
import { migrationStatus } from '../../store/migrator.js';
import { sql } from '../../store/database.js';
import type { Logger } from '../logger.js';
import { Scheduler, type JobDefinition, type TickReport } from '../scheduler/scheduler.js';
import { DaemonHttpServer, sendJson, sendText } from './http-server.js';
import { DaemonMetrics } from './metrics.js';

export interface DaemonOptions {
  db: Kysely<Database>;
  /** Schema holding the tables (PostgreSQL tests); default public. */
  schema?: string;
  clock: Clock;
  logger: Logger;
  jobs: readonly JobDefinition[];
  /** Jobs left out of this configuration, with the reason (shown on /readyz and at start). */
  notRegistered?: readonly { job: string; reason: string }[];
  catchUpWindowMs?: number;
  instanceId?: string;
  metrics?: DaemonMetrics;
  /** SIGTERM/SIGINT: how long the running step may take before it is abandoned (default 30 s). */
  shutdownGraceMs?: number;
}

export interface Readiness {
  ready: boolean;
  database: 'ok' | string;
  migrations: { pending: string[]; unknown: string[] } | null;
}

/** Ready = the database answers and its schema is exactly this program's migrations. */
export async function checkReadiness(db: Kysely<Database>, schema?: string): Promise<Readiness> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    return { ready: false, database: `unreachable: ${error instanceof Error ? error.message : String(error)}`, migrations: null };
  }
  const status = await migrationStatus(db, { schema });
  return { ready: status.pending.length === 0 && status.unknown.length === 0, database: 'ok', migrations: { pending: status.pending, unknown: status.unknown } };
}

export class Daemon {
  readonly scheduler: Scheduler;
  readonly http: DaemonHttpServer;
  readonly metrics: DaemonMetrics;
  private shuttingDown?: Promise<{ abandoned: string[] }>;

  constructor(private readonly options: DaemonOptions) {
    this.metrics = options.metrics ?? new DaemonMetrics({ db: options.db, clock: options.clock, logger: options.logger });
    this.scheduler = new Scheduler({
      db: options.db, logger: options.logger, clock: options.clock, catchUpWindowMs: options.catchUpWindowMs, instanceId: options.instanceId,
      onRun: (report, durationMs) => this.metrics.recordRun(report, durationMs),
    });
    for (const job of options.jobs) this.scheduler.registerJob(job);
    this.http = new DaemonHttpServer(options.logger);
    this.mountProbes();
  }

  private mountProbes(): void {
    this.http.route('GET', '/livez', (_req, res) => sendText(res, 200, 'ok\n'));
    this.http.route('GET', '/readyz', async (_req, res) => {
      const r = await checkReadiness(this.options.db, this.options.schema);
      sendJson(res, r.ready && !this.shuttingDown ? 200 : 503, { ...r, ready: r.ready && !this.shuttingDown, shuttingDown: Boolean(this.shuttingDown), jobs: this.scheduler.jobNames(), notRegistered: this.options.notRegistered ?? [] });
    });
    this.http.route('GET', '/metrics', async (_req, res) => sendText(res, 200, await this.metrics.text(), this.metrics.contentType));
  }

  jobNames(): string[] {
    return this.scheduler.jobNames();
  }

  /** Starts the HTTP server (port 0: any free port); resolves with the bound port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return this.http.listen(port, host);
  }

  /** Starts the one-minute heartbeat (its first tick catches up missed runs). */
  start(): void {
    this.scheduler.start();
  }

  /** Runs every due slot once (claims first): the whole of `run --once`, and what tests call after moving the clock. */
  tick(): Promise<TickReport[]> {
    return this.scheduler.tick();
  }

  /**
   * Graceful shutdown: no new runs; the running ones are asked to stop (ctx.signal) and get the grace period to
   * finish their step; what is still running then is recorded as abandoned. Then the HTTP server closes.
   * Safe to call twice (the second call waits for the first).
   */
  shutdown(reason = 'shutdown'): Promise<{ abandoned: string[] }> {
    this.shuttingDown ??= (async () => {
      this.options.logger.info({ reason }, 'daemon stopping');
      const abandoned = await this.scheduler.stop({ graceMs: this.options.shutdownGraceMs ?? 30_000 });
      await this.http.close();
      this.options.logger.info({ abandoned }, 'daemon stopped');
      return { abandoned };
    })();
    return this.shuttingDown;
  }
}
