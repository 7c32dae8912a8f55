/**
 * The review web application's audit trail (who approved, held, resumed or overrode what, when) and the per-window
 * mode overrides (migration 0006).
 */
import type { Executor } from './database.js';
import { msOrNull, toDate } from './mappers.js';
import type { ReviewActionKind } from './schema.js';

export type { ReviewActionKind };

export interface ReviewAction {
  actionId: number;
  siteId: string | null;
  action: ReviewActionKind;
  planVersion: number | null;
  windowStartMs: number | null;
  windowEndMs: number | null;
  detail: string | null;
  actedBy: string;
  actedAtMs: number;
}

export interface NewReviewAction {
  siteId: string | null;
  action: ReviewActionKind;
  planVersion?: number | null;
  windowStartMs?: number | null;
  windowEndMs?: number | null;
  detail?: string | null;
  actedBy: string;
  atMs?: number;
}

export async function recordReviewAction(db: Executor, a: NewReviewAction): Promise<void> {
  await db
    .insertInto('review_actions')
    .values({
      site_id: a.siteId,
      action: a.action,
      plan_version: a.planVersion ?? null,
      window_start: a.windowStartMs == null ? null : toDate(a.windowStartMs),
      window_end: a.windowEndMs == null ? null : toDate(a.windowEndMs),
      detail: a.detail ?? null,
      acted_by: a.actedBy,
      ...(a.atMs !== undefined ? { acted_at: toDate(a.atMs) } : {}),
    })
    .execute();
}

/** Newest first; one site or all. */
export async function listReviewActions(db: Executor, siteId: string | null, limit = 20): Promise<ReviewAction[]> {
  let q = db.selectFrom('review_actions').selectAll().orderBy('action_id', 'desc').limit(limit);
  if (siteId !== null) q = q.where('site_id', '=', siteId);
  return (await q.execute()).map((r) => ({
    actionId: r.action_id,
    siteId: r.site_id,
    action: r.action,
    planVersion: r.plan_version,
    windowStartMs: msOrNull(r.window_start),
    windowEndMs: msOrNull(r.window_end),
    detail: r.detail,
    actedBy: r.acted_by,
    actedAtMs: r.acted_at.getTime(),
  }));
}

export type OverrideMode = 'idle' | 'charge' | 'discharge';

export interface WindowOverride {
  siteId: string;
  windowStartMs: number;
  windowEndMs: number;
  mode: OverrideMode;
  /** kW of a charge/discharge override (null: idle, or the battery's limit). */
  powerKw: number | null;
  setBy: string;
  setAtMs: number;
}

/** Sets a window's override, replacing any override of the site that overlaps it; returns how many it replaced. */
export async function setWindowOverride(db: Executor, o: Omit<WindowOverride, 'setAtMs'> & { atMs?: number }): Promise<number> {
  const replaced = await db.deleteFrom('window_overrides').where('site_id', '=', o.siteId).where('window_start', '<', toDate(o.windowEndMs)).where('window_end', '>', toDate(o.windowStartMs)).executeTakeFirst();
  await db
    .insertInto('window_overrides')
    .values({ site_id: o.siteId, window_start: toDate(o.windowStartMs), window_end: toDate(o.windowEndMs), mode: o.mode, power_kw: o.mode === 'idle' ? null : o.powerKw, set_by: o.setBy, ...(o.atMs !== undefined ? { set_at: toDate(o.atMs) } : {}) })
    .execute();
  return Number(replaced.numDeletedRows);
}

export async function clearWindowOverride(db: Executor, siteId: string, windowStartMs: number): Promise<boolean> {
  const r = await db.deleteFrom('window_overrides').where('site_id', '=', siteId).where('window_start', '=', toDate(windowStartMs)).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The overrides of a site whose windows overlap [startMs, endMs). */
export async function listWindowOverrides(db: Executor, siteId: string, startMs: number, endMs: number): Promise<WindowOverride[]> {
  const rows = await db
    .selectFrom('window_overrides')
    .selectAll()
    .where('site_id', '=', siteId)
    .where('window_start', '<', toDate(endMs))
    .where('window_end', '>', toDate(startMs))
    .orderBy('window_start')
    .execute();
  return rows.map((r) => ({ siteId: r.site_id, windowStartMs: r.window_start.getTime(), windowEndMs: r.window_end.getTime(), mode: r.mode, powerKw: r.power_kw, setBy: r.set_by, setAtMs: r.set_at.getTime() }));
}
