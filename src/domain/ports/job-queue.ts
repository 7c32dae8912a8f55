/**
 * The job-queue port: per-site work as keyed jobs. Two adapters: graphile-worker on PostgreSQL (many processes, many
 * machines) and an in-process queue for the embedded store (one process). Every adapter runs a job AT LEAST once:
 * handlers must be idempotent (the fleet's per-slot claim and the command table's idempotency key make them so).
 */
export interface JobSpec {
  /** The handler's name, e.g. `site.cycle`. */
  kind: string;
  payload: Record<string, unknown>;
  /** A job with the same key that is still pending is not added twice (e.g. `site.cycle:<siteId>:<slotMs>`). */
  key?: string;
  /** Not before (UTC epoch ms). */
  runAtMs?: number;
  /** Attempts before the job is given up (default 3). */
  maxAttempts?: number;
}

export type JobHandler = (payload: Record<string, unknown>, job: { kind: string; key?: string; attempt: number }) => Promise<void>;

export interface JobQueue {
  enqueue(jobs: readonly JobSpec[]): Promise<void>;
  /** Starts running jobs of these kinds with this many at a time; resolves once the worker is running. */
  start(handlers: Readonly<Record<string, JobHandler>>, options: { concurrency: number }): Promise<void>;
  /** Jobs not yet done, per kind (for status). */
  pending(): Promise<Record<string, number>>;
  /** Stops taking jobs, waits for the running ones, releases connections. */
  stop(): Promise<void>;
}
