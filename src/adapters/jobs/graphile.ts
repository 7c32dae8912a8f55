/**
 * JobQueue on PostgreSQL with graphile-worker 0.17 (chosen by bench/job-engines.bench.ts; see docs/fleet.md):
 * LISTEN/NOTIFY wakes idle workers, `SKIP LOCKED` hands each job to one worker, a job key dedupes pending jobs.
 * Its own tables live in the schema `<schema>_jobs` next to the engine's tables. graphile-worker unlocks a crashed
 * worker's job only after 4 h, so the fleet keeps its own, shorter lease (fleet_site_runs) and re-enqueues expired
 * slots under a new key (see src/app/fleet/cycle-jobs.ts).
 */
import type { JobHandler, JobQueue, JobSpec } from '../../domain/ports/job-queue.js';

export interface GraphileQueueOptions {
  connectionString: string;
  /** The graphile-worker schema, e.g. `public_jobs`. */
  schema: string;
  /** Idle poll fallback (LISTEN/NOTIFY does the waking); default 2 s. */
  pollIntervalMs?: number;
  /**
   * Jobs fetched (and locked) per `get_jobs` round trip and served to the worker's slots from memory (graphile-worker's
   * localQueue); default 2 x concurrency, 1 turns it off. Locked-but-unstarted jobs of a killed worker are covered by
   * the fleet's re-fan-out (a key whose job is locked gets a new job).
   */
  localQueueSize?: number;
  /** Completions batched within this many ms into one statement (default 50; -1 off). */
  completeBatchMs?: number;
}

type Runner = { stop(): Promise<void>; promise: Promise<void> };
type Utils = { addJobs(specs: unknown[]): Promise<unknown>; migrate(): Promise<void>; release(): Promise<void>; cleanup(o: { tasks: string[] }): Promise<void>; withPgClient<T>(fn: (c: { query(q: string): Promise<{ rows: { kind: string; n: number }[] }> }) => Promise<T>): Promise<T> };

export class GraphileJobQueue implements JobQueue {
  private utils: Utils | null = null;
  private runner: Runner | null = null;

  constructor(private readonly options: GraphileQueueOptions) {}

  private async workerUtils(): Promise<Utils> {
    if (!this.utils) {
      const { makeWorkerUtils, Logger } = await import('graphile-worker');
      const utils = (await makeWorkerUtils({ connectionString: this.options.connectionString, schema: this.options.schema, logger: new Logger(() => () => undefined) })) as unknown as Utils;
      await utils.migrate();
      this.utils = utils;
    }
    return this.utils;
  }

  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    const utils = await this.workerUtils();
    for (let i = 0; i < jobs.length; i += 1000) {
      const batch = jobs.slice(i, i + 1000).map((j) => ({
        identifier: j.kind, payload: j.payload, jobKey: j.key, maxAttempts: j.maxAttempts ?? 3,
        runAt: j.runAtMs != null ? new Date(j.runAtMs) : undefined,
      }));
      await utils.addJobs(batch);
    }
  }

  async start(handlers: Readonly<Record<string, JobHandler>>, options: { concurrency: number }): Promise<void> {
    await this.workerUtils();
    const { run, Logger } = await import('graphile-worker');
    const localQueueSize = this.options.localQueueSize ?? 2 * Math.max(1, options.concurrency);
    const taskList = Object.fromEntries(Object.entries(handlers).map(([kind, handler]) => [
      kind,
      async (payload: unknown, helpers: { job: { key: string | null; attempts: number } }) =>
        handler((payload ?? {}) as Record<string, unknown>, { kind, key: helpers.job.key ?? undefined, attempt: helpers.job.attempts }),
    ]));
    this.runner = (await run({
      connectionString: this.options.connectionString, schema: this.options.schema, concurrency: Math.max(1, options.concurrency),
      noHandleSignals: true, pollInterval: this.options.pollIntervalMs ?? 2000, taskList: taskList as never, logger: new Logger(() => () => undefined),
      preset: { worker: { localQueue: { size: localQueueSize }, completeJobBatchDelay: this.options.completeBatchMs ?? 50 } },
    } as never)) as unknown as Runner;
  }

  async pending(): Promise<Record<string, number>> {
    const utils = await this.workerUtils();
    const s = this.options.schema;
    return utils.withPgClient(async (c) => {
      const r = await c.query(`select t.identifier as kind, count(*)::int as n from "${s}"._private_jobs j join "${s}"._private_tasks t on t.id = j.task_id where j.attempts < j.max_attempts group by 1`);
      return Object.fromEntries(r.rows.map((x) => [x.kind, Number(x.n)]));
    });
  }

  /**
   * Retention of the engine's own rows (graphile-worker deletes a job when it succeeds): deletes permanently failed
   * jobs that nobody holds, then task names and queues no job refers to. Returns the failed jobs deleted (or that
   * would be, with `dryRun`).
   */
  async prune(o: { dryRun?: boolean } = {}): Promise<number> {
    const utils = await this.workerUtils();
    const s = this.options.schema;
    const failed = await utils.withPgClient(async (c) => {
      const r = await c.query(`select 'failed' as kind, count(*)::int as n from "${s}"._private_jobs where attempts >= max_attempts and locked_at is null`);
      return Number(r.rows[0]?.n ?? 0);
    });
    if (!o.dryRun) await utils.cleanup({ tasks: ['DELETE_PERMAFAILED_JOBS', 'GC_TASK_IDENTIFIERS', 'GC_JOB_QUEUES'] });
    return failed;
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    this.runner = null;
    await this.utils?.release();
    this.utils = null;
  }
}
