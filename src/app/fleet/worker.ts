/**
 * One fleet worker: registers itself (fleet_workers, heartbeat), runs the fleet's jobs through the JobQueue port with
 * `concurrency` at a time, and every `tickEveryMs` enqueues the current slot's tick (keyed per slot: any number of
 * workers enqueue it, it fans out once per pending site). Workers join and leave without configuration: a stopped
 * worker finishes its running jobs; a killed one's sites are re-enqueued by the next tick once their lease expired.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql } from '../../store/database.js';
import { fleetHandlers, slotSharedCache, tickJob, type FleetJobDeps, type SiteStagesMs } from './cycle-jobs.js';
import { slotOf } from './site-runs.js';

export interface FleetWorkerOptions extends Omit<FleetJobDeps, 'workerId' | 'onSiteDone' | 'onStages' | 'onTelemetry'> {
  concurrency: number;
  /** How often the worker enqueues the current slot's tick and beats its heart (default 15 s). */
  tickEveryMs?: number;
  /** The slot to run (tests and benches pin it); default the wall clock's slot. */
  slotMs?: () => number;
}

export interface FleetWorker {
  workerId: string;
  /** Sites this worker ran (claimed) so far. */
  ran(): number;
  /** Sums over the site runs so far: wall ms per stage, and telemetry outcomes by kind. */
  totals(): { stagesMs: SiteStagesMs; telemetry: Record<string, number> };
  stop(): Promise<void>;
}

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function startFleetWorker(o: FleetWorkerOptions): Promise<FleetWorker> {
  const workerId = newWorkerId();
  let ran = 0;
  const stagesMs: SiteStagesMs = { telemetry: 0, refresh: 0, plan: 0, decide: 0, apply: 0 };
  const telemetry: Record<string, number> = {};
  const deps: FleetJobDeps = {
    shared: slotSharedCache(o.db), ...o, workerId, onSiteDone: (_s, did) => void (did && ran++),
    onStages: (s) => { for (const k of Object.keys(stagesMs) as (keyof SiteStagesMs)[]) stagesMs[k] += s[k]; },
    onTelemetry: (_s, outcome) => void (telemetry[outcome.kind] = (telemetry[outcome.kind] ?? 0) + 1),
  };
  const nowMs = o.now();
  await sql`insert into fleet_workers (worker_id, host, pid, concurrency, started_at_ms, heartbeat_at_ms)
    values (${workerId}, ${hostname()}, ${process.pid}, ${o.concurrency}, ${nowMs}, ${nowMs})`.execute(o.db);
  await o.queue.start(fleetHandlers(deps), { concurrency: o.concurrency });
  const slot = o.slotMs ?? (() => slotOf(o.now()));
  const beat = async (): Promise<void> => {
    await sql`update fleet_workers set heartbeat_at_ms = ${o.now()}, jobs_done = ${ran} where worker_id = ${workerId}`.execute(o.db);
    await o.queue.enqueue([tickJob(slot())]);
  };
  await beat();
  const timer = setInterval(() => void beat().catch((e) => o.logger?.warn({ err: String(e) }, 'fleet worker heartbeat failed')), o.tickEveryMs ?? 15_000);
  return {
    workerId,
    ran: () => ran,
    totals: () => ({ stagesMs: { ...stagesMs }, telemetry: { ...telemetry } }),
    async stop() {
      clearInterval(timer);
      await o.queue.stop();
      await sql`delete from fleet_workers where worker_id = ${workerId}`.execute(o.db).catch(() => undefined);
    },
  };
}
