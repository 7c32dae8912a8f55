/**
 * A person's per-window overrides from the review pages (table window_overrides), read for one cycle: those that
 * overlap the next three days (and the last six hours, so a running window's override still counts). decide()
 * applies them (src/domain/dispatch/window-overrides.ts).
 */
import type { WindowOverride } from '../../domain/dispatch/window-overrides.js';
import { HOUR_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { listWindowOverrides } from '../../store/review-actions-repo.js';

export async function loadWindowOverrides(db: Executor, siteId: string, nowMs: number): Promise<WindowOverride[]> {
  return (await listWindowOverrides(db, siteId, nowMs - 6 * HOUR_MS, nowMs + 3 * 24 * HOUR_MS)).map((o) => ({ startMs: o.windowStartMs, endMs: o.windowEndMs, mode: o.mode, powerKw: o.powerKw, setBy: o.setBy }));
}
