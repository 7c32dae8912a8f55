/**
 * What changed between a plan version and the one before: windows added, dropped and moved (same mode, overlapping,
 * different start/end/power), the value gained (the previous objective minus this one: the objective is a cost),
 * and why (the SoC the plan started from, the forecast prices, a person's manual change or action in between).
 */
import { sql } from 'kysely';
import type { DispatchPlanInputs } from '../../app/dispatch/plan-site.js';
import type { Executor } from '../../store/database.js';
import { getPlanByVersion, type VersionedPlanSummary } from '../../store/dispatch-repo.js';
import type { ChangesView, WindowView } from '../schemas.js';
import { clock } from '../html.js';
import { planWindowsOf } from './day-plan.js';

const SAME_KW = 0.05;

export async function planChanges(db: Executor, siteId: string, plan: VersionedPlanSummary): Promise<ChangesView> {
  const prev = plan.planVersion > 1 ? await getPlanByVersion(db, siteId, plan.planVersion - 1) : null;
  const after = planWindowsOf(plan);
  if (!prev) return { fromVersion: null, toVersion: plan.planVersion, added: after, dropped: [], moved: [], valueGainedUsd: null, why: ['first plan of this site'] };
  const before = planWindowsOf(prev);
  const diff = diffWindows(before, after);
  const valueGainedUsd = prev.objectiveUsd !== null && plan.objectiveUsd !== null ? prev.objectiveUsd - plan.objectiveUsd : null;
  return { fromVersion: prev.planVersion, toVersion: plan.planVersion, ...diff, valueGainedUsd, why: await reasons(db, siteId, prev, plan) };
}

export function diffWindows(before: WindowView[], after: WindowView[]): Pick<ChangesView, 'added' | 'dropped' | 'moved'> {
  const same = (a: WindowView, b: WindowView): boolean => a.mode === b.mode && a.startMs === b.startMs && a.endMs === b.endMs && Math.abs(a.powerKw - b.powerKw) <= SAME_KW;
  const overlaps = (a: WindowView, b: WindowView): boolean => a.mode === b.mode && a.startMs < b.endMs && b.startMs < a.endMs;
  const unmatchedBefore = before.filter((b) => !after.some((a) => same(b, a)));
  const unmatchedAfter = after.filter((a) => !before.some((b) => same(b, a)));
  const moved: ChangesView['moved'] = [];
  const added: WindowView[] = [];
  const used = new Set<WindowView>();
  for (const a of unmatchedAfter) {
    const b = unmatchedBefore.find((x) => !used.has(x) && overlaps(x, a));
    if (b) {
      used.add(b);
      moved.push({ before: b, after: a });
    } else added.push(a);
  }
  return { added, dropped: unmatchedBefore.filter((b) => !used.has(b)), moved };
}

function actionText(x: { action: string; detail: string | null; window_start: Date | null; window_end: Date | null; plan_version: number | null }): string {
  const span = x.window_start && x.window_end ? ` ${clock(x.window_start.getTime())}–${clock(x.window_end.getTime())}` : '';
  if (x.action === 'override') return `override${span} → ${x.detail ?? '?'}`;
  if (x.action === 'clear_override') return `override${span} cleared`;
  if (x.action === 'hold') return `hold${x.detail ? ` (${x.detail})` : ''}`;
  if (x.action === 'approve' || x.action === 'approve_fleet') return `${x.action === 'approve' ? 'approved' : 'fleet approved'} v${x.plan_version ?? '?'}`;
  return x.action;
}

async function reasons(db: Executor, siteId: string, prev: VersionedPlanSummary, plan: VersionedPlanSummary): Promise<string[]> {
  const rows = await db.selectFrom('plans').select(['plan_version', 'inputs']).where('site_id', '=', siteId).where('plan_version', 'in', [prev.planVersion, plan.planVersion]).execute();
  const input = (v: number): DispatchPlanInputs | null => {
    const i = rows.find((r) => r.plan_version === v)?.inputs as DispatchPlanInputs | undefined;
    return i?.format === 'dispatch-plan-v1' ? i : null;
  };
  const a = input(prev.planVersion);
  const b = input(plan.planVersion);
  const why: string[] = [];
  if (a && b) {
    const dSoc = b.socAnchor.socPercent - a.socAnchor.socPercent;
    if (Math.abs(dSoc) >= 0.5) why.push(`new SoC: ${a.socAnchor.socPercent.toFixed(1)} % → ${b.socAnchor.socPercent.toFixed(1)} %`);
  }
  const priceDiff = await sql<{ n: number; max_abs: number | null }>`
    select count(*)::int as n, max(abs(x.price_usd_per_mwh - y.price_usd_per_mwh)) as max_abs
    from plans a cross join lateral unnest(a.interval_starts, a.price_usd_per_mwh) as x(interval_start, price_usd_per_mwh),
      plans b cross join lateral unnest(b.interval_starts, b.price_usd_per_mwh) as y(interval_start, price_usd_per_mwh)
    where a.plan_id = ${prev.planId} and b.plan_id = ${plan.planId} and x.interval_start = y.interval_start
      and abs(x.price_usd_per_mwh - y.price_usd_per_mwh) > 0.01`.execute(db);
  const pd = priceDiff.rows[0];
  if (pd && pd.n > 0) why.push(`new prices: ${pd.n} interval${pd.n > 1 ? 's' : ''} re-forecast (up to $${Number(pd.max_abs).toFixed(2)}/MWh apart)`);
  const acts = await db.selectFrom('review_actions').select(['action', 'acted_by', 'detail', 'window_start', 'window_end', 'plan_version']).where('site_id', '=', siteId).where('acted_at', '>', new Date(prev.createdAtMs)).where('acted_at', '<=', new Date(plan.createdAtMs)).orderBy('action_id').execute();
  for (const x of acts) why.push(`manual change by ${x.acted_by}: ${actionText(x)}`);
  if (!why.length) why.push(plan.horizonStartMs !== prev.horizonStartMs ? 'the horizon moved on (same prices and SoC)' : 'no input changed');
  return why;
}
