/**
 * A person's per-window mode override (set from the review pages), applied to the windows a plan asks for (pure):
 *
 * - the plan's windows are clipped around every override (the parts before and after it stay, with the planned SoC
 *   at the clip as their target);
 * - a `charge`/`discharge` override becomes a window of its own: that mode at the override's power (default and at
 *   most the battery's limit), target 100 % for charge and the reserve floor for discharge, split like plan windows
 *   at the channel's longest command; it counts as approved (a person asked for it) and replaces a command on the
 *   channel whatever the churn threshold;
 * - an `idle` override leaves the window empty (no command: the battery stays in its base mode, and a command already
 *   made for it is cancelled).
 *
 * What the channel cannot do is not sent, with a note: a charge override without grid charge, a discharge override
 * where export is not allowed (the review page refuses both when they are set; capabilities can change since).
 */
import { kwhToPercent, reserveFloorPercent, type BatterySpec } from '../battery/battery.js';
import type { ChannelCapabilities } from '../ports/control-channel.js';
import { INTERVAL_MS } from '../time/interval.js';
import { MAX_COMMAND_MS } from './command-windows.js';
import type { DispatchPlan, PlannedWindow } from './plan-windows.js';
import { localClock } from './window-reasons.js';

export type OverrideMode = 'charge' | 'discharge' | 'idle';

export interface WindowOverride {
  startMs: number;
  endMs: number;
  mode: OverrideMode;
  /** kW for charge/discharge; null: the battery's limit. */
  powerKw: number | null;
  setBy: string;
}

export interface OverrideContext {
  battery: BatterySpec;
  siteReservePercent: number;
  capabilities: ChannelCapabilities;
}

/** The override window's power: what was asked, at most the battery's limit for the mode. */
export function overridePowerKw(o: Pick<WindowOverride, 'mode' | 'powerKw'>, battery: BatterySpec): number {
  if (o.mode === 'idle') return 0;
  const limit = o.mode === 'charge' ? battery.maxChargeKw : battery.maxDischargeKw;
  return Math.min(limit, o.powerKw ?? limit);
}

/** Why the channel cannot run this override, or null. */
export function overrideRefusal(o: Pick<WindowOverride, 'mode'>, caps: Pick<ChannelCapabilities, 'gridCharge' | 'exportAllowed'>): string | null {
  if (o.mode === 'charge' && !caps.gridCharge) return 'the channel cannot charge from the grid';
  if (o.mode === 'discharge' && !caps.exportAllowed) return 'the channel or tariff does not allow export';
  return null;
}

/** The plan's windows with the overrides applied, in time order, and notes for what was not applied. */
export function applyWindowOverrides(windows: readonly PlannedWindow[], overrides: readonly WindowOverride[], plan: DispatchPlan, ctx: OverrideContext): { windows: (PlannedWindow & { overriddenBy?: string })[]; notes: string[] } {
  if (!overrides.length) return { windows: [...windows], notes: [] };
  const floor = Math.max(reserveFloorPercent(ctx.battery), ctx.siteReservePercent);
  const out: (PlannedWindow & { overriddenBy?: string })[] = [];
  const notes: string[] = [];
  const socTarget = (ms: number, fallback: number): number => {
    const i = (ms - plan.startMs) / INTERVAL_MS;
    if (!Number.isInteger(i) || i < 0 || i >= plan.socKwh.length) return fallback;
    return Math.min(100, Math.max(floor, kwhToPercent(ctx.battery, plan.socKwh[i])));
  };
  for (const w of windows) {
    let pieces: { startMs: number; endMs: number }[] = [{ startMs: w.startMs, endMs: w.endMs }];
    for (const o of overrides) {
      pieces = pieces.flatMap((p) => (p.startMs < o.endMs && o.startMs < p.endMs ? [{ startMs: p.startMs, endMs: o.startMs }, { startMs: o.endMs, endMs: p.endMs }].filter((x) => x.endMs > x.startMs) : [p]));
    }
    for (const p of pieces) out.push(p.endMs === w.endMs ? { ...w, startMs: p.startMs } : { ...w, startMs: p.startMs, endMs: p.endMs, targetReservePercent: socTarget(p.endMs, w.targetReservePercent) });
  }
  const maxMs = Math.max(INTERVAL_MS, Math.min(MAX_COMMAND_MS, ctx.capabilities.maxDurationMs));
  for (const o of overrides) {
    if (o.mode === 'idle') continue;
    const refusal = overrideRefusal(o, ctx.capabilities);
    if (refusal) {
      notes.push(`override ${o.mode} ${localClock(o.startMs)}-${localClock(o.endMs)} by ${o.setBy} not sent: ${refusal}`);
      continue;
    }
    const powerKw = overridePowerKw(o, ctx.battery);
    const target = o.mode === 'charge' ? 100 : floor;
    for (let a = o.startMs; a < o.endMs; a += maxMs) {
      const b = Math.min(o.endMs, a + maxMs);
      out.push({ mode: o.mode, powerKw, targetReservePercent: target, startMs: a, endMs: b, reason: `override by ${o.setBy}: ${o.mode} ${powerKw.toFixed(1)} kW to ${target.toFixed(0)} % ${localClock(a)}-${localClock(b)}`, overriddenBy: o.setBy });
    }
  }
  out.sort((x, y) => x.startMs - y.startMs);
  return { windows: out, notes };
}
