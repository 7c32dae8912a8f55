/**
 * Retention (`db prune --older-than 30d`): deletes rows older than the cutoff from the tables that grow every cycle:
 * fleet_site_runs, rate_counters, job_runs (finished), telemetry and telemetry_quarantine, and plans (their
 * intervals are on the row since migration 0011) except each site's newest plan and plans referenced by a command whose window ends after the
 * cutoff. Commands and reconciliations are the audit trail and are kept. Returns rows deleted per table. On
 * PostgreSQL, `db prune` also collects graphile-worker's own garbage (GraphileJobQueue.prune: permanently failed
 * jobs, unused queues and task names; it deletes succeeded jobs itself).
 */
import { InputError } from '../../domain/errors.js';
import { sql, type Executor } from '../../store/database.js';

export const DEFAULT_RETENTION = '30d';

export function parseAge(text: string): number {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
  if (!m) throw new InputError('expected an age such as 90m, 36h, 30d or 8w', { field: '--older-than' });
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export async function pruneOlderThan(db: Executor, cutoffMs: number, o: { dryRun?: boolean } = {}): Promise<Record<string, number>> {
  const cutoff = new Date(cutoffMs).toISOString();
  const statements: Record<string, ReturnType<typeof sql>> = {
    fleet_site_runs: sql`from fleet_site_runs where slot_ms < ${cutoffMs}`,
    rate_counters: sql`from rate_counters where window_start_ms < ${cutoffMs}`,
    rate_grants: sql`from rate_grants where granted_at_ms < ${cutoffMs}`,
    job_runs: sql`from job_runs where finished_at is not null and finished_at < ${cutoff}`,
    telemetry: sql`from telemetry where interval_end < ${cutoff}`,
    telemetry_quarantine: sql`from telemetry_quarantine where interval_end < ${cutoff}`,
    plans: sql`from plans p where p.created_at < ${cutoff}
      and p.plan_id <> (select p2.plan_id from plans p2 where p2.site_id = p.site_id order by p2.created_at desc limit 1)
      and not exists (select 1 from commands c where c.plan_id = p.plan_id and c.window_end >= ${cutoff})`,
  };
  const out: Record<string, number> = {};
  for (const [table, where] of Object.entries(statements)) {
    if (o.dryRun) {
      const r = await sql<{ n: number }>`select count(*)::int as n ${where}`.execute(db);
      out[table] = r.rows[0]!.n;
    } else {
      const r = await sql`delete ${where}`.execute(db);
      out[table] = Number(r.numAffectedRows ?? 0);
    }
  }
  return out;
}
