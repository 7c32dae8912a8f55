/**
 * Scheduler runs: one row per (job name, scheduled-for). `claimJobRun` inserts with ON CONFLICT DO NOTHING, so
 * when several engine processes race for the same run exactly one gets the row back and the others get null.
 */
import { sql } from 'kysely';
import type { Executor } from './database.js';
import { jsonOrNull } from './database.js';
import { msOrNull, toDate } from './mappers.js';
import type { JobOutcome, JobRunRow } from './schema.js';

export interface JobRun {
  id: number;
  jobName: string;
  scheduledForMs: number;
  claimedBy: string;
  claimedAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  outcome: JobOutcome | null;
  error: string | null;
  details: unknown;
}

export function jobRunFromRow(row: JobRunRow): JobRun {
  return {
    id: row.id,
    jobName: row.job_name,
    scheduledForMs: row.scheduled_for.getTime(),
    claimedBy: row.claimed_by,
    claimedAtMs: row.claimed_at.getTime(),
    startedAtMs: msOrNull(row.started_at),
    finishedAtMs: msOrNull(row.finished_at),
    outcome: row.outcome,
    error: row.error,
    details: row.details,
  };
}

/** The run if this claimer won it (started now), null if another process already has it. */
export async function claimJobRun(db: Executor, claim: { jobName: string; scheduledForMs: number; claimedBy: string }): Promise<JobRun | null> {
  const row = await db
    .insertInto('job_runs')
    .values({
      job_name: claim.jobName,
      scheduled_for: toDate(claim.scheduledForMs),
      claimed_by: claim.claimedBy,
      started_at: sql<Date>`now()` as unknown as Date,
    })
    .onConflict((oc) => oc.columns(['job_name', 'scheduled_for']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? jobRunFromRow(row) : null;
}

/** Records the end of a run (only once: a finished run is not finished again). Returns false if not found/finished. */
export async function finishJobRun(
  db: Executor,
  id: number,
  result: { outcome: JobOutcome; error?: string | null; details?: unknown; finishedAtMs?: number },
): Promise<boolean> {
  const res = await db
    .updateTable('job_runs')
    .set({
      outcome: result.outcome,
      error: result.error ?? null,
      details: jsonOrNull(result.details),
      finished_at: result.finishedAtMs !== undefined ? toDate(result.finishedAtMs) : (sql<Date>`now()` as unknown as Date),
    })
    .where('id', '=', id)
    .where('finished_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function getJobRun(db: Executor, jobName: string, scheduledForMs: number): Promise<JobRun | null> {
  const row = await db.selectFrom('job_runs').selectAll().where('job_name', '=', jobName).where('scheduled_for', '=', toDate(scheduledForMs)).executeTakeFirst();
  return row ? jobRunFromRow(row) : null;
}

/** Most recent runs first. */
export async function listJobRuns(db: Executor, filter: { jobName?: string; limit?: number } = {}): Promise<JobRun[]> {
  let q = db.selectFrom('job_runs').selectAll().orderBy('scheduled_for', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 100);
  if (filter.jobName) q = q.where('job_name', '=', filter.jobName);
  return (await q.execute()).map(jobRunFromRow);
}

/** The last finished run of a job with the given outcome (e.g. the last success, for catch-up). */
export async function lastJobRun(db: Executor, jobName: string, outcome?: JobOutcome): Promise<JobRun | null> {
  let q = db.selectFrom('job_runs').selectAll().where('job_name', '=', jobName).orderBy('scheduled_for', 'desc').limit(1);
  if (outcome) q = q.where('outcome', '=', outcome);
  const row = await q.executeTakeFirst();
  return row ? jobRunFromRow(row) : null;
}
