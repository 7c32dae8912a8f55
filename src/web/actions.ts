/**
 * The trader's actions, each recorded in review_actions with who and when, acting through the dispatcher's own
 * state so its next cycle follows: approve → approvals (the cycle sends an approved version's windows in review
 * mode); hold → sites.status 'paused' (the cycle stands aside: nothing new is sent, pending commands are cancelled);
 * resume → sites.status 'active' and the dispatch status reset; override → window_overrides.
 */
import { InputError } from '../domain/errors.js';
import type { Executor } from '../store/database.js';
import { inTransaction } from '../store/database.js';
import { effectiveDispatchMode, insertApproval, latestVersionedPlan, patchSiteDispatch } from '../store/dispatch-repo.js';
import { clearWindowOverride, recordReviewAction, setWindowOverride, type OverrideMode } from '../store/review-actions-repo.js';
import { listSites, setSiteStatus, type Site } from '../store/sites-repo.js';

export class ActionRefused extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ActionRefused';
  }
}

export async function approvePlan(db: Executor, site: Site, planVersion: number, by: string): Promise<string> {
  return inTransaction(db, async (trx) => {
    await insertApproval(trx, { scope: 'site', siteId: site.siteId, planVersion, approvedBy: by }).catch(() => {
      throw new ActionRefused(`site ${site.siteId} has no plan version ${planVersion}`);
    });
    await recordReviewAction(trx, { siteId: site.siteId, action: 'approve', planVersion, actedBy: by });
    return `Approved plan v${planVersion} of ${site.siteId}.`;
  });
}

/** Approves the latest plan of every site in review mode. */
export async function approveFleet(db: Executor, by: string): Promise<string> {
  let n = 0;
  for (const site of await listSites(db)) {
    if ((await effectiveDispatchMode(db, site.siteId)) !== 'review') continue;
    const plan = await latestVersionedPlan(db, site.siteId);
    if (!plan) continue;
    await inTransaction(db, async (trx) => {
      await insertApproval(trx, { scope: 'fleet', siteId: site.siteId, planVersion: plan.planVersion, approvedBy: by });
      await recordReviewAction(trx, { siteId: site.siteId, action: 'approve_fleet', planVersion: plan.planVersion, actedBy: by });
    });
    n++;
  }
  return `Approved the latest plan of ${n} review-mode site${n === 1 ? '' : 's'}.`;
}

export async function holdSite(db: Executor, site: Site, by: string, note: string): Promise<string> {
  if (site.status === 'disabled') throw new ActionRefused(`site ${site.siteId} is disabled`);
  await inTransaction(db, async (trx) => {
    await setSiteStatus(trx, site.siteId, 'paused');
    await patchSiteDispatch(trx, site.siteId, { status: 'standing_aside', reason: `held by ${by}${note ? `: ${note}` : ''}` });
    await recordReviewAction(trx, { siteId: site.siteId, action: 'hold', detail: note || null, actedBy: by });
  });
  return `Held ${site.siteId}: the next cycle sends nothing and cancels pending commands.`;
}

export async function resumeSite(db: Executor, site: Site, by: string): Promise<string> {
  await inTransaction(db, async (trx) => {
    if (site.status === 'paused') await setSiteStatus(trx, site.siteId, 'active');
    await patchSiteDispatch(trx, site.siteId, { status: 'idle', reason: `resumed by ${by}; the next cycle decides again`, pausedAtMs: null, suspectReads: 0, expectedProfile: null });
    await recordReviewAction(trx, { siteId: site.siteId, action: 'resume', actedBy: by });
  });
  return `Resumed ${site.siteId}.`;
}

export async function overrideWindow(db: Executor, site: Site, w: { windowStartMs: number; windowEndMs: number; mode: OverrideMode | 'clear' }, by: string): Promise<string> {
  if (w.windowEndMs <= w.windowStartMs) throw new ActionRefused('the window must end after it starts');
  await inTransaction(db, async (trx) => {
    if (w.mode === 'clear') await clearWindowOverride(trx, site.siteId, w.windowStartMs);
    else await setWindowOverride(trx, { siteId: site.siteId, windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, mode: w.mode, setBy: by });
    await recordReviewAction(trx, { siteId: site.siteId, action: w.mode === 'clear' ? 'clear_override' : 'override', windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, detail: w.mode, actedBy: by });
  });
  return w.mode === 'clear' ? 'Override cleared.' : `Window overridden to ${w.mode}.`;
}
