/**
 * What a trader sees per site (CLI `plans show`, the review web page): dispatch mode and status with its reason,
 * the newest plan (version, windows with reasons, approved or not), open and recent commands, recent approvals.
 */
import { HOUR_MS } from '../../domain/time/interval.js';
import { listCommands, type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { effectiveDispatchMode, getSiteDispatch, latestVersionedPlan, listApprovals, type Approval, type DispatchMode, type VersionedPlanSummary } from '../../store/dispatch-repo.js';
import { listSites } from '../../store/sites-repo.js';

export interface SiteDispatchOverview {
  siteId: string;
  mode: DispatchMode;
  status: string;
  reason: string | null;
  plan: VersionedPlanSummary | null;
  planApproved: boolean;
  /** Commands whose window ends after `sinceMs` (default: 24 h before now), by window start. */
  commands: Command[];
  approvals: Approval[];
}

export async function dispatchOverview(db: Executor, options: { siteIds?: readonly string[]; nowMs: number; sinceMs?: number }): Promise<SiteDispatchOverview[]> {
  const siteIds = options.siteIds?.length ? options.siteIds : (await listSites(db)).map((s) => s.siteId);
  const out: SiteDispatchOverview[] = [];
  for (const siteId of siteIds) {
    const sd = await getSiteDispatch(db, siteId);
    const plan = await latestVersionedPlan(db, siteId);
    const approvals = await listApprovals(db, siteId, 5);
    out.push({
      siteId,
      mode: await effectiveDispatchMode(db, siteId),
      status: sd?.status ?? 'idle',
      reason: sd?.reason ?? null,
      plan,
      planApproved: plan !== null && approvals.some((a) => a.planVersion === plan.planVersion),
      commands: await listCommands(db, siteId, { startMs: options.sinceMs ?? options.nowMs - 24 * HOUR_MS }),
      approvals,
    });
  }
  return out;
}
