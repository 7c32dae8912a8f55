/**
 * The daemon's Prometheus metrics (prom-client, its own Registry so several daemons can live in one test process).
 * Counted as things happen: job runs by outcome and duration, API requests and throttles per API, control
 * conflicts, solve times. Read from the database on each scrape: lag per job, plan age per site, commands by state.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import type { Logger } from '../logger.js';
import type { TickReport } from '../scheduler/scheduler.js';

export interface MetricsDeps {
  db: Executor;
  clock: Clock;
  logger?: Logger;
  /** Default process metrics (memory, CPU, event loop); default true. */
  processMetrics?: boolean;
}

/** A source of cumulative request counts (e.g. ErcotHttp.stats), read at scrape time. */
export interface RequestStatsSource {
  api: string;
  stats: () => { requests: number; throttled: number };
}

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly jobRuns: Counter<'job' | 'outcome'>;
  readonly jobDuration: Histogram<'job'>;
  readonly solveSeconds: Histogram<'solver'>;
  readonly apiRequests: Counter<'api'>;
  readonly apiThrottles: Counter<'api'>;
  readonly controlConflicts: Counter<'kind'>;
  readonly dispatchStageCounter: Counter<'stage'>;
  private readonly sources: { source: RequestStatsSource; seen: { requests: number; throttled: number } }[] = [];

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    this.jobRuns = new Counter({ name: 'ercot_arb_job_runs_total', help: 'Scheduled job runs by outcome (claimed-elsewhere: another process has the slot)', labelNames: ['job', 'outcome'], registers });
    this.jobDuration = new Histogram({ name: 'ercot_arb_job_duration_seconds', help: 'Job run duration', labelNames: ['job'], buckets: [0.1, 0.5, 1, 5, 15, 60, 300], registers });
    this.solveSeconds = new Histogram({ name: 'ercot_arb_solve_seconds', help: 'Optimizer solve time per plan', labelNames: ['solver'], buckets: [0.0005, 0.001, 0.005, 0.02, 0.1, 0.5, 2, 10], registers });
    this.apiRequests = new Counter({ name: 'ercot_arb_api_requests_total', help: 'HTTP requests to external APIs', labelNames: ['api'], registers, collect: () => this.pullSources() });
    this.apiThrottles = new Counter({ name: 'ercot_arb_api_throttles_total', help: 'HTTP 429 answers from external APIs', labelNames: ['api'], registers });
    this.controlConflicts = new Counter({ name: 'ercot_arb_control_conflicts_total', help: 'Manual or foreign changes to a battery the engine controls (site paused)', labelNames: ['kind'], registers });
    this.dispatchStageCounter = new Counter({ name: 'ercot_arb_dispatch_stage_seconds_total', help: 'Time the dispatch cycle spent per stage (refresh, plan, decide, apply), summed over sites', labelNames: ['stage'], registers });
    this.databaseGauges(registers);
    if (deps.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ercot_arb_' });
  }

  private databaseGauges(registers: Registry[]): void {
    const self = this;
    new Gauge({
      name: 'ercot_arb_job_lag_seconds', help: 'Now minus the scheduled time of the last succeeded or skipped run, per job', labelNames: ['job'], registers,
      async collect() {
        await self.guard('job lag', async () => {
          const rows = await sql<{ job_name: string; last: Date }>`select job_name, max(scheduled_for) as last from job_runs where outcome in ('succeeded', 'skipped') group by job_name`.execute(self.deps.db);
          this.reset();
          for (const r of rows.rows) this.set({ job: r.job_name }, (self.deps.clock.nowMs() - new Date(r.last).getTime()) / 1000);
        });
      },
    });
    new Gauge({
      name: 'ercot_arb_plan_age_seconds', help: 'Age of the newest plan per site', labelNames: ['site'], registers,
      async collect() {
        await self.guard('plan age', async () => {
          const rows = await sql<{ site_id: string; last: Date }>`select site_id, max(created_at) as last from plans group by site_id`.execute(self.deps.db);
          this.reset();
          for (const r of rows.rows) this.set({ site: r.site_id }, (self.deps.clock.nowMs() - new Date(r.last).getTime()) / 1000);
        });
      },
    });
    new Gauge({
      name: 'ercot_arb_commands', help: 'Stored commands by state', labelNames: ['state'], registers,
      async collect() {
        await self.guard('commands by state', async () => {
          const rows = await sql<{ state: string; n: number }>`select state, count(*)::int as n from commands group by state`.execute(self.deps.db);
          this.reset();
          for (const r of rows.rows) this.set({ state: r.state }, r.n);
        });
      },
    });
  }

  /** A failing query must not take /metrics down: the gauge keeps its last values and the failure is logged. */
  private async guard(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.deps.logger?.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, `metrics: ${what} not collected`);
    }
  }

  /** Scheduler hook: one call per slot. */
  recordRun(report: TickReport, durationMs: number): void {
    this.jobRuns.inc({ job: report.job, outcome: report.outcome });
    if (report.outcome !== 'claimed-elsewhere') this.jobDuration.observe({ job: report.job }, durationMs / 1000);
  }

  /** Per request hook (e.g. EnphaseClient onRequest): 429 counts as a throttle too. */
  recordApiRequest(api: string, status: number): void {
    this.apiRequests.inc({ api });
    if (status === 429) this.apiThrottles.inc({ api });
  }

  recordControlConflict(kind: string): void {
    this.controlConflicts.inc({ kind });
  }

  recordSolve(solver: string, seconds: number): void {
    this.solveSeconds.observe({ solver }, seconds);
  }

  /** One site's dispatch cycle: milliseconds per stage (refresh, plan, decide, apply). */
  recordDispatchStages(timingsMs: Record<string, number>): void {
    for (const [stage, ms] of Object.entries(timingsMs)) this.dispatchStageCounter.inc({ stage }, ms / 1000);
  }

  /** Seconds per dispatch stage so far (cumulative). */
  async dispatchStageSeconds(): Promise<Record<string, number>> {
    const m = await this.dispatchStageCounter.get();
    return Object.fromEntries(m.values.map((v) => [String(v.labels.stage), v.value]));
  }

  /** Counts from a client that keeps its own cumulative stats (ErcotHttp.stats), added at scrape time. */
  addRequestSource(source: RequestStatsSource): void {
    this.sources.push({ source, seen: { requests: 0, throttled: 0 } });
  }

  private pullSources(): void {
    for (const s of this.sources) {
      const now = s.source.stats();
      if (now.requests > s.seen.requests) this.apiRequests.inc({ api: s.source.api }, now.requests - s.seen.requests);
      if (now.throttled > s.seen.throttled) this.apiThrottles.inc({ api: s.source.api }, now.throttled - s.seen.throttled);
      s.seen = { requests: now.requests, throttled: now.throttled };
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
