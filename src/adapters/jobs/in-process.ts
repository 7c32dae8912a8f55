/**
 * In-process job queue for the embedded store (one process): the same JobQueue port and handlers as PostgreSQL, with
 * key dedupe while pending, a concurrency limit and retries. Jobs live in memory: a crash loses the queue, and the
 * next tick re-enqueues what its slot still needs (the per-slot claim in the store says what is done).
 */
import type { JobHandler, JobQueue, JobSpec } from '../../domain/ports/job-queue.js';

interface QueuedJob extends JobSpec {
  attempt: number;
}

export class InProcessJobQueue implements JobQueue {
  private readonly queue: QueuedJob[] = [];
  private readonly pendingKeys = new Set<string>();
  private handlers: Readonly<Record<string, JobHandler>> = {};
  private running = 0;
  private concurrency = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    for (const job of jobs) {
      if (job.key && this.pendingKeys.has(job.key)) continue;
      if (job.key) this.pendingKeys.add(job.key);
      this.queue.push({ ...job, attempt: 0 });
    }
    this.pump();
  }

  async start(handlers: Readonly<Record<string, JobHandler>>, options: { concurrency: number }): Promise<void> {
    this.handlers = handlers;
    this.concurrency = Math.max(1, options.concurrency);
    this.pump();
  }

  async pending(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const j of this.queue) out[j.kind] = (out[j.kind] ?? 0) + 1;
    return out;
  }

  /** Resolves when nothing is queued or running (tests, `run --once`). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency) {
      const index = this.queue.findIndex((j) => (j.runAtMs ?? 0) <= this.now() && this.handlers[j.kind]);
      if (index < 0) break;
      const [job] = this.queue.splice(index, 1);
      this.running++;
      void this.runOne(job!).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
    }
  }

  private async runOne(job: QueuedJob): Promise<void> {
    job.attempt++;
    try {
      await this.handlers[job.kind]!(job.payload, { kind: job.kind, key: job.key, attempt: job.attempt });
      if (job.key) this.pendingKeys.delete(job.key);
    } catch {
      if (job.attempt < (job.maxAttempts ?? 3)) this.queue.push(job);
      else if (job.key) this.pendingKeys.delete(job.key);
    }
  }
}
