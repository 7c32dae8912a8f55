/**
 * A person's per-window override from the review pages (table window_overrides, migration 0006), applied to the
 * cycle's decision: a window overridden to `idle` is not created, not released from approval, and a command already
 * made for it is cancelled (on the channel too when it was sent). Other override modes are recorded and shown but not
 * applied yet (docs/web.md).
 */
import type { Decision } from '../../domain/dispatch/decide.js';
import { HOUR_MS } from '../../domain/time/interval.js';
import { listCommands, ON_CHANNEL_STATES, OPEN_COMMAND_STATES } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { listWindowOverrides } from '../../store/review-actions-repo.js';

/** `commandShiftMs`: commands start this much before their planned window (the measured latency); overrides name planned windows. */
export async function applyWindowOverrides(db: Executor, siteId: string, decision: Decision, nowMs: number, commandShiftMs = 0): Promise<void> {
  const skips = (await listWindowOverrides(db, siteId, nowMs - 6 * HOUR_MS, nowMs + 3 * 24 * HOUR_MS)).filter((o) => o.mode === 'idle');
  if (!skips.length) return;
  const skipped = (startMs: number, endMs: number): boolean => skips.some((o) => startMs + commandShiftMs < o.windowEndMs && o.windowStartMs < endMs + commandShiftMs);
  const before = decision.create.length;
  decision.create = decision.create.filter((c) => !skipped(c.startMs, c.endMs));
  let cancelled = 0;
  for (const c of await listCommands(db, siteId, { states: OPEN_COMMAND_STATES })) {
    if (!skipped(c.windowStartMs, c.windowEndMs) || decision.stop.some((s) => s.commandId === c.commandId)) continue;
    decision.keep = decision.keep.filter((id) => id !== c.commandId);
    decision.release = decision.release.filter((id) => id !== c.commandId);
    decision.stop.push({ commandId: c.commandId, to: 'cancelled', onChannel: ON_CHANNEL_STATES.includes(c.state), reason: 'skipped: a person overrode this window to idle' });
    cancelled++;
  }
  if (before > decision.create.length || cancelled) decision.notes.push(`window override: ${before - decision.create.length} window(s) not created, ${cancelled} command(s) cancelled (overridden to idle)`);
}
