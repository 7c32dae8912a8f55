/**
 * A small, generic job scheduler. Jobs register `{name, cron, run}`; a one-minute heartbeat (node-cron) asks which
 * scheduled minutes are due, and each run is claimed in `job_runs` (unique per job and scheduled minute) before it
 * starts, so two engine processes never run the same slot and a restart never repeats one. Runs missed while the
 * process was down are caught up within a window (by default only the latest missed slot per job). The clock is
 * injected: tests call `tick()` after moving a FixedClock.
 */
import { hostname } from 'node:os';
import type NodeCron from 'node-cron';
import { RetryableError } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import { systemClock } from '../system-clock.js';
import type { Executor } from '../../store/database.js';
import type { JobOutcome } from '../../store/schema.js';
import { claimJobRun, finishJobRun } from '../../store/job-runs-repo.js';
import type { Logger } from '../logger.js';
import { cronMatcher, nodeCron, scheduledBetween, type CronMatcher } from './cron-match.js';
import { HOUR_MS } from '../../domain/time/interval.js';

export interface JobContext {
  /** The scheduled minute this run is for (UTC ms). */
  scheduledForMs: number;
  /** When it actually started. */
  nowMs: number;
  logger: Logger;
  /** Aborted when the process is shutting down: a long job should stop at a safe point (or finish its step). */
  signal: AbortSignal;
}

/** What a run reports; `skipped` records the run as skipped (nothing to do yet), `details` is stored as JSON. */
export interface JobResult {
  skipped?: boolean;
  details?: unknown;
}

export interface JobDefinition {
  /** Unique, stable: it keys job_runs. */
  name: string;
  /** 5-field cron expression (minute hour day month weekday). */
  cron: string;
  /** Time zone the cron expression is read in (default UTC). */
  timeZone?: string;
  /** Missed slots newer than this are caught up (default: the scheduler's window). */
  catchUpWindowMs?: number;
  /** latest (default): only the most recent missed slot runs; all: every missed slot, oldest first. */
  catchUp?: 'latest' | 'all';
  run(ctx: JobContext): Promise<JobResult | void>;
}

export interface SchedulerOptions {
  db: Executor;
  logger: Logger;
  clock?: Clock;
  /** Default catch-up window (default 6 h). */
  catchUpWindowMs?: number;
  /** Who claims the runs (default host:pid). */
  instanceId?: string;
  /** Called after each slot (metrics): what happened and how long the run took. */
  onRun?: (report: TickReport, durationMs: number) => void;
}

export interface TickReport {
  job: string;
  scheduledForMs: number;
  outcome: 'succeeded' | 'failed' | 'skipped' | 'claimed-elsewhere';
  error?: string;
}

interface Registered {
  def: JobDefinition;
  matcher: CronMatcher;
  checkedUntilMs: number;
  running: boolean;
}

export class Scheduler {
  private readonly jobs = new Map<string, Registered>();
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly instanceId: string;
  private task?: NodeCron.ScheduledTask;
  private ticking?: Promise<TickReport[]>;
  private readonly abort = new AbortController();
  private readonly running = new Map<number, string>();

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.catchUpWindowMs ?? 6 * HOUR_MS;
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  }

  /** Adds a job. Its missed slots within the catch-up window are considered on the next tick. */
  registerJob(def: JobDefinition): void {
    if (this.jobs.has(def.name)) throw new Error(`job "${def.name}" is already registered`);
    const matcher = cronMatcher(def.cron, def.timeZone ?? 'UTC');
    const windowMs = def.catchUpWindowMs ?? this.windowMs;
    this.jobs.set(def.name, { def, matcher, checkedUntilMs: this.clock.nowMs() - windowMs, running: false });
  }

  jobNames(): string[] {
    return [...this.jobs.keys()];
  }

  /** Starts the one-minute heartbeat (and runs a first tick right away, which catches up missed runs). */
  start(): void {
    if (this.task) return;
    this.task = nodeCron().cron.schedule('* * * * *', () => void this.tick(), { timezone: 'UTC' });
    void this.tick();
  }

  /**
   * Stops the heartbeat and starts no new slot. Without `graceMs` it waits for the running tick. With it, running
   * jobs are told to stop (ctx.signal) and get `graceMs` to finish; runs still going after that are recorded as
   * failed ("abandoned at shutdown") and left behind: their slot is not run again by anyone (it is claimed).
   * Returns the names of the abandoned jobs.
   */
  async stop(options: { graceMs?: number } = {}): Promise<string[]> {
    this.task?.stop();
    this.task = undefined;
    if (options.graceMs === undefined) {
      await this.ticking;
      return [];
    }
    this.abort.abort();
    const ticking = this.ticking;
    if (!ticking) return [];
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      ticking.then(() => true, () => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.graceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return [];
    const abandoned = [...this.running.entries()];
    for (const [id, job] of abandoned) {
      this.running.delete(id);
      await finishJobRun(this.options.db, id, { outcome: 'failed', error: 'abandoned at shutdown (did not finish within the grace period)', details: { retryable: true, abandoned: true }, finishedAtMs: this.clock.nowMs() });
      this.options.logger.warn({ job }, 'job run abandoned at shutdown');
    }
    return abandoned.map(([, job]) => job);
  }

  /** True once stop() asked running jobs to stop. */
  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Starts, runs until SIGINT or SIGTERM, then stops after the running tick: the foreground `run-jobs` commands. */
  async runUntilSignal(announce: (jobNames: string[]) => void): Promise<void> {
    this.start();
    announce(this.jobNames());
    await waitForSignal();
    await this.stop();
  }

  /** Runs every due slot of every job (claims first). Returns what happened, for logs and tests. */
  async tick(): Promise<TickReport[]> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runDue().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async runDue(): Promise<TickReport[]> {
    const reports: TickReport[] = [];
    await Promise.all([...this.jobs.values()].map(async (job) => {
      if (job.running) return;
      const now = this.clock.nowMs();
      const windowStart = now - (job.def.catchUpWindowMs ?? this.windowMs);
      const after = Math.max(job.checkedUntilMs, windowStart - 1);
      const due = scheduledBetween(job.matcher, after, now);
      job.checkedUntilMs = Math.max(job.checkedUntilMs, now);
      const slots = job.def.catchUp === 'all' ? due : due.slice(-1);
      job.running = true;
      try {
        for (const slot of slots) {
          if (this.stopping) break;
          reports.push(await this.runSlot(job.def, slot));
        }
      } finally {
        job.running = false;
      }
    }));
    return reports;
  }

  private async runSlot(def: JobDefinition, scheduledForMs: number): Promise<TickReport> {
    const claim = await claimJobRun(this.options.db, { jobName: def.name, scheduledForMs, claimedBy: this.instanceId });
    if (!claim) return this.report({ job: def.name, scheduledForMs, outcome: 'claimed-elsewhere' }, 0);
    const logger = this.options.logger.child({ job: def.name, scheduledFor: new Date(scheduledForMs).toISOString() });
    const startedMs = Date.now();
    this.running.set(claim.id, def.name);
    try {
      const result = (await def.run({ scheduledForMs, nowMs: this.clock.nowMs(), logger, signal: this.abort.signal })) ?? {};
      const outcome = result.skipped ? 'skipped' : 'succeeded';
      await this.finish(claim.id, { outcome, details: result.details });
      logger.info({ outcome }, 'job run finished');
      return this.report({ job: def.name, scheduledForMs, outcome }, Date.now() - startedMs);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await this.finish(claim.id, { outcome: 'failed', error: message, details: { retryable: error instanceof RetryableError } });
      logger.warn({ err: { message } }, 'job run failed');
      return this.report({ job: def.name, scheduledForMs, outcome: 'failed', error: message }, Date.now() - startedMs);
    } finally {
      this.running.delete(claim.id);
    }
  }

  /** Records the end unless stop() already recorded the run as abandoned. */
  private async finish(id: number, result: { outcome: JobOutcome; error?: string; details?: unknown }): Promise<void> {
    if (!this.running.has(id)) return;
    await finishJobRun(this.options.db, id, { ...result, finishedAtMs: this.clock.nowMs() });
  }

  private report(report: TickReport, durationMs: number): TickReport {
    this.options.onRun?.(report, durationMs);
    return report;
  }
}

/** Resolves on the first SIGINT or SIGTERM (with the signal's name). */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
