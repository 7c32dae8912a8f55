/**
 * The trader's actions, each recorded in review_actions with who and when, acting through the dispatcher's own
 * state so its next cycle follows: approve → approvals (the cycle sends an approved version's windows in review
 * mode); hold → sites.status 'paused' (the cycle stands aside: nothing new is sent, pending commands are cancelled);
 * resume → sites.status 'active' and the dispatch status reset; override → window_overrides (decide() applies them).
 */
import type { DispatchPlanInputs } from '../app/dispatch/plan-site.js';
import { overridePowerKw, overrideRefusal } from '../domain/dispatch/window-overrides.js';
import { InputError } from '../domain/errors.js';
import { HOUR_MS, INTERVAL_MS } from '../domain/time/interval.js';
import type { Executor } from '../store/database.js';
import { inTransaction } from '../store/database.js';
import { effectiveDispatchMode, insertApproval, latestVersionedPlan, patchSiteDispatch } from '../store/dispatch-repo.js';
import { clearWindowOverride, recordReviewAction, setWindowOverride, type OverrideMode } from '../store/review-actions-repo.js';
import { listSites, setSiteStatus, type Site } from '../store/sites-repo.js';
import { clock } from './html.js';

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

export interface OverrideRequest {
  windowStartMs: number;
  windowEndMs: number;
  mode: OverrideMode | 'clear';
  /** kW for charge/discharge; absent: the battery's limit. */
  powerKw?: number;
}

/**
 * Sets (or clears) one window's mode. A charge/discharge override is checked against what the dispatcher last planned
 * with (the latest plan's stored channel capabilities and per-interval export permission) and the battery's limits.
 */
export async function overrideWindow(db: Executor, site: Site, w: OverrideRequest, by: string, nowMs: number): Promise<string> {
  if (w.windowEndMs <= w.windowStartMs) throw new ActionRefused('the window must end after it starts');
  if (w.windowStartMs % INTERVAL_MS || w.windowEndMs % INTERVAL_MS) throw new ActionRefused('a window starts and ends on a 15-minute interval boundary');
  if (w.mode !== 'clear') {
    if (w.windowEndMs <= nowMs) throw new ActionRefused(`the window ${clock(w.windowStartMs)}–${clock(w.windowEndMs)} is over`);
    if (w.windowEndMs - w.windowStartMs > 24 * HOUR_MS) throw new ActionRefused('an override covers at most 24 hours');
  }
  let powerKw: number | null = null;
  if (w.mode === 'charge' || w.mode === 'discharge') powerKw = await checkModeOverride(db, site, { ...w, mode: w.mode });
  const label = w.mode === 'clear' ? 'clear' : w.mode === 'idle' ? 'idle' : `${w.mode} ${powerKw!.toFixed(1)} kW`;
  let replaced = 0;
  await inTransaction(db, async (trx) => {
    if (w.mode === 'clear') await clearWindowOverride(trx, site.siteId, w.windowStartMs);
    else replaced = await setWindowOverride(trx, { siteId: site.siteId, windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, mode: w.mode, powerKw, setBy: by });
    await recordReviewAction(trx, { siteId: site.siteId, action: w.mode === 'clear' ? 'clear_override' : 'override', windowStartMs: w.windowStartMs, windowEndMs: w.windowEndMs, detail: label, actedBy: by });
  });
  if (w.mode === 'clear') return 'Override cleared.';
  return `Window ${clock(w.windowStartMs)}–${clock(w.windowEndMs)} overridden to ${label}${replaced ? ` (replacing ${replaced} overlapping override${replaced > 1 ? 's' : ''})` : ''}: the next cycle sends ${w.mode === 'idle' ? 'nothing for it and cancels its command' : 'exactly that'}.`;
}

async function checkModeOverride(db: Executor, site: Site, w: OverrideRequest & { mode: 'charge' | 'discharge' }): Promise<number> {
  const plan = await latestVersionedPlan(db, site.siteId);
  const row = plan ? await db.selectFrom('plans').select(['inputs']).where('plan_id', '=', plan.planId).executeTakeFirst() : undefined;
  const inputs = row?.inputs as DispatchPlanInputs | undefined;
  if (!inputs || inputs.format !== 'dispatch-plan-v1') throw new ActionRefused(`site ${site.siteId} has no dispatch plan yet: its channel's capabilities are not known, so only idle can be set`);
  const refusal = overrideRefusal(w, inputs.capabilities);
  if (refusal) throw new ActionRefused(`a ${w.mode} override is refused for ${site.siteId}: ${refusal} (channel ${site.controlChannel})`);
  if (w.mode === 'discharge') {
    const p = inputs.planInput;
    for (let ms = w.windowStartMs; ms < w.windowEndMs; ms += INTERVAL_MS) {
      const i = (ms - p.startMs) / INTERVAL_MS;
      if (i >= 0 && i < p.exportAllowed.length && !p.exportAllowed[i]) throw new ActionRefused(`a discharge override is refused for ${site.siteId}: the tariff does not allow export at ${clock(ms)}`);
    }
  }
  const durationMs = w.windowEndMs - w.windowStartMs;
  if (durationMs < inputs.capabilities.minDurationMs) throw new ActionRefused(`the channel's shortest command is ${inputs.capabilities.minDurationMs / 60_000} min`);
  const limit = w.mode === 'charge' ? site.battery.maxChargeKw : site.battery.maxDischargeKw;
  const powerKw = w.powerKw ?? limit;
  if (!(powerKw > 0) || powerKw > limit + 1e-9) throw new ActionRefused(`power ${powerKw} kW is outside the battery's ${w.mode} limit (0 < kW ≤ ${limit})`);
  return overridePowerKw({ mode: w.mode, powerKw }, site.battery);
}
