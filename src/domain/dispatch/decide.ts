/**
 * decide(): the commands that should exist for one site, from the current plan, the commands that already exist,
 * the device state, the channel's capabilities and the approval state. Pure: the app applies the decision
 * (src/app/dispatch/apply.ts). Rules (docs/dispatch.md):
 *
 * - stand aside (send nothing, cancel what is pending, say why) on: re-authorisation needed, a person's manual
 *   change, Storm Guard, off grid, homeowner opted out, telemetry too stale, no verified plan;
 * - windows of constant mode, ≤ 4 h (and ≤ the channel's longest command), targets ≥ max(10 %, site reserve);
 * - a window becomes a command row when it is due to be sent before the next cycle (send time ≤ now + sendAheadMs);
 *   a window whose lead time has passed starts later (trimmed) or is dropped when too short;
 * - nothing changes when the plan still asks for what exists; a command on the channel that the plan no longer
 *   wants is replaced only when the expected gain passes the churn threshold;
 * - review mode: a window is sent only when its plan version was approved (or an approved plan had the same window);
 * - a person's window override (window-overrides.ts) replaces the plan in its window: it is sent as asked (approved by
 *   the person who set it) and a command on the channel that it contradicts is replaced whatever the churn threshold.
 */
import type { BatterySpec } from '../battery/battery.js';
import type { ChannelCapabilities, ChannelMode } from '../ports/control-channel.js';
import { HOUR_MS, MINUTE_MS } from '../time/interval.js';
import { changeGainUsd } from './change-value.js';
import type { CommandLifecycleState, DispatchMode, SiteDispatchStatusKind } from './lifecycle.js';
import { planWindows, type DispatchPlan, type PlannedWindow } from './plan-windows.js';
import { sameWindow, type WindowShape } from './window-match.js';
import { applyWindowOverrides, type WindowOverride } from './window-overrides.js';

export interface ExistingCommand {
  commandId: string;
  state: CommandLifecycleState;
  mode: ChannelMode;
  powerKw: number;
  targetReservePercent: number;
  startMs: number;
  endMs: number;
  planVersion: number | null;
}

export interface DeviceState {
  /** Latest telemetry SoC and when it was measured; null when unknown. */
  socAsOfMs: number | null;
  stormGuardActive?: boolean;
  offGrid?: boolean;
  optedOut?: boolean;
  needsReauth?: boolean;
  /** A confirmed manual change (the site is paused until a person resumes it): what changed. */
  manualChange?: string | null;
  /** Any other reason the site must be left alone (e.g. an operator paused it, a telemetry reading that makes no sense). */
  unusable?: string | null;
}

export interface ApprovalState {
  mode: DispatchMode;
  /** The current plan version has an approval. */
  currentPlanApproved: boolean;
  /** Windows of approved plan versions (still valid when the current plan asks for the same window). */
  approvedWindows: readonly WindowShape[];
}

export interface DecideOptions {
  /** Least time between sending and taking effect (default 1 min; never below the channel's minLeadMs). */
  leadMs?: number;
  /** A change of what is on the channel must be worth at least this much (default $0.25). */
  churnThresholdUsd?: number;
  /** Older telemetry is not trusted (default 3 h). */
  maxTelemetryAgeMs?: number;
  /** Windows due to be sent within this time from now become command rows now (default 15 min, one cycle). */
  sendAheadMs?: number;
  powerStepKw?: number;
}

export interface DecideInput {
  nowMs: number;
  siteId: string;
  battery: BatterySpec;
  siteReservePercent: number;
  capabilities: ChannelCapabilities;
  /** The current verified plan, or null with `planProblem` saying why there is none. */
  plan: DispatchPlan | null;
  planProblem?: string;
  /** The site's open commands (planned … active). */
  existing: readonly ExistingCommand[];
  /** Recent commands the channel failed or rejected or the homeowner overrode: overlapping windows are not re-sent. */
  refused?: readonly ExistingCommand[];
  device: DeviceState;
  approval: ApprovalState;
  /** A person's per-window mode overrides (review pages). */
  overrides?: readonly WindowOverride[];
  options?: DecideOptions;
}

export interface CommandToCreate extends PlannedWindow {
  idempotencyKey: string;
  sendAtMs: number;
  planId: string;
  planVersion: number;
  state: 'planned' | 'awaiting_approval';
}

export interface CommandToStop {
  commandId: string;
  /** superseded: a newer plan replaces it; cancelled: standing aside or no longer wanted; expired: its time passed unsent. */
  to: 'superseded' | 'cancelled' | 'expired';
  /** It is (or may be) on the channel: the channel must be asked to cancel it. */
  onChannel: boolean;
  reason: string;
}

export interface Decision {
  status: { kind: SiteDispatchStatusKind; reason: string };
  create: CommandToCreate[];
  stop: CommandToStop[];
  /** Channels without a duration: the engine ends these windows itself (cancel on the channel → completed). */
  end: { commandId: string; reason: string }[];
  /** awaiting_approval rows whose window is now approved (→ planned). */
  release: string[];
  keep: string[];
  notes: string[];
}

export const DEFAULT_DECIDE_OPTIONS: Required<Omit<DecideOptions, 'powerStepKw'>> = Object.freeze({
  leadMs: MINUTE_MS,
  churnThresholdUsd: 0.25,
  maxTelemetryAgeMs: 3 * HOUR_MS,
  sendAheadMs: 15 * MINUTE_MS,
});

const UNSENT: readonly CommandLifecycleState[] = ['planned', 'awaiting_approval'];
const ON_CHANNEL: readonly CommandLifecycleState[] = ['accepted', 'scheduled', 'active'];

export function decide(input: DecideInput): Decision {
  const o = { ...DEFAULT_DECIDE_OPTIONS, ...input.options };
  const leadMs = Math.max(o.leadMs, input.capabilities.minLeadMs);
  const aside = standAsideReason(input, o.maxTelemetryAgeMs);
  if (aside) return standAside(input, aside.kind, aside.reason);
  const plan = input.plan!;
  const decision: Decision = { status: { kind: 'idle', reason: '' }, create: [], stop: [], end: [], release: [], keep: [], notes: [] };
  const wanted = dueWindows(input, plan, leadMs, o.sendAheadMs, decision.notes);
  const open = input.existing.filter((c) => c.state !== 'sending');
  const sending = input.existing.filter((c) => c.state === 'sending');
  const unmatched = new Set(wanted.map((_, i) => i));
  for (const c of open) {
    if (c.endMs <= input.nowMs) {
      if (UNSENT.includes(c.state)) decision.stop.push({ commandId: c.commandId, to: 'expired', onChannel: false, reason: 'its window passed before it was sent' });
      continue;
    }
    const i = wanted.findIndex((w, j) => unmatched.has(j) && sameWindow(c, w));
    if (i >= 0) {
      unmatched.delete(i);
      keepMatched(input, c, wanted[i], decision);
    } else if (UNSENT.includes(c.state)) {
      decision.stop.push({ commandId: c.commandId, to: 'superseded', onChannel: false, reason: `plan v${plan.planVersion} no longer has this window` });
    } else {
      weighReplacement(input, plan, c, wanted, unmatched, o.churnThresholdUsd, decision);
    }
  }
  blockOverlaps(sending, wanted, unmatched, decision.notes, 'a command whose send is not resolved yet');
  blockOverlaps((input.refused ?? []).filter((c) => c.endMs > input.nowMs), wanted, unmatched, decision.notes, 'a command the channel refused or the homeowner overrode');
  for (const i of [...unmatched].sort((a, b) => a - b)) decision.create.push(toCreate(input, plan, wanted[i], leadMs));
  endWindowsWithoutDuration(input, leadMs, decision);
  decision.status = statusOf(input, plan, decision);
  return decision;
}

function standAsideReason(input: DecideInput, maxAgeMs: number): { kind: SiteDispatchStatusKind; reason: string } | null {
  const d = input.device;
  if (d.needsReauth) return { kind: 'needs_reauth', reason: 'the channel account needs re-authorisation' };
  if (d.manualChange) return { kind: 'paused_manual_change', reason: `paused: a person changed the battery (${d.manualChange}); resume with \`sites resume\`` };
  if (d.stormGuardActive) return { kind: 'standing_aside', reason: 'standing aside: Storm Guard is active' };
  if (d.offGrid) return { kind: 'standing_aside', reason: 'standing aside: the site is off grid' };
  if (d.optedOut) return { kind: 'standing_aside', reason: 'standing aside: the homeowner opted out' };
  if (d.unusable) return { kind: 'standing_aside', reason: `standing aside: ${d.unusable}` };
  if (d.socAsOfMs === null) return { kind: 'standing_aside', reason: 'standing aside: no telemetry (state of charge unknown)' };
  const ageMs = input.nowMs - d.socAsOfMs;
  if (ageMs > maxAgeMs) return { kind: 'standing_aside', reason: `standing aside: telemetry is ${(ageMs / HOUR_MS).toFixed(1)} h old (limit ${(maxAgeMs / HOUR_MS).toFixed(1)} h)` };
  if (!input.plan) return { kind: 'standing_aside', reason: `standing aside: no verified plan (${input.planProblem ?? 'none stored'})` };
  return null;
}

/** Cancels everything pending; what is on the channel is cancelled there too (not while re-authorisation is needed). */
function standAside(input: DecideInput, kind: SiteDispatchStatusKind, reason: string): Decision {
  const decision: Decision = { status: { kind, reason }, create: [], stop: [], end: [], release: [], keep: [], notes: [] };
  for (const c of input.existing) {
    if (UNSENT.includes(c.state)) decision.stop.push({ commandId: c.commandId, to: 'cancelled', onChannel: false, reason });
    else if (ON_CHANNEL.includes(c.state) && kind !== 'needs_reauth' && c.endMs > input.nowMs) decision.stop.push({ commandId: c.commandId, to: 'cancelled', onChannel: true, reason });
    else decision.keep.push(c.commandId);
  }
  return decision;
}

/** The plan's windows that are due to be sent by the next cycle, trimmed where the lead time has passed. */
function dueWindows(input: DecideInput, plan: DispatchPlan, leadMs: number, sendAheadMs: number, notes: string[]): PlannedWindow[] {
  const caps = input.capabilities;
  const earliestStart = Math.ceil((input.nowMs + leadMs) / MINUTE_MS) * MINUTE_MS;
  const out: PlannedWindow[] = [];
  const planned = planWindows(plan, { battery: input.battery, siteReservePercent: input.siteReservePercent, capabilities: caps, powerStepKw: input.options?.powerStepKw });
  const overridden = applyWindowOverrides(planned, input.overrides ?? [], plan, { battery: input.battery, siteReservePercent: input.siteReservePercent, capabilities: caps });
  notes.push(...overridden.notes);
  for (const w of shiftedWindows(plan, overridden.windows)) {
    if (w.endMs <= input.nowMs || w.startMs - leadMs > input.nowMs + sendAheadMs) continue;
    if (w.startMs >= earliestStart) {
      out.push(w);
      continue;
    }
    // Its lead time has passed: it can only start later. Commands already running are matched on this trimmed shape.
    if (w.endMs - earliestStart < caps.minDurationMs) {
      notes.push(`${w.mode} ${new Date(w.startMs).toISOString()}: too little time left to send it`);
      continue;
    }
    out.push({ ...w, startMs: earliestStart });
  }
  if (!caps.gridCharge) notes.push('the channel cannot charge from the grid: charge windows are not sent');
  return out;
}

/** Windows as sent: `commandShiftMs` (the measured command latency, whole minutes) earlier than planned. */
function shiftedWindows(plan: DispatchPlan, windows: PlannedWindow[]): PlannedWindow[] {
  const shift = plan.commandShiftMs ?? 0;
  if (!(shift > 0)) return windows;
  const note = ` (starts ${Math.round(shift / MINUTE_MS)} min early: the battery follows commands that late)`;
  return windows.map((w) => ({ ...w, startMs: w.startMs - shift, endMs: w.endMs - shift, reason: w.reason + note }));
}

function isApproved(input: DecideInput, w: WindowShape & { overriddenBy?: string }): boolean {
  if (input.approval.mode === 'auto' || input.approval.currentPlanApproved || w.overriddenBy) return true;
  // Approved plans store their windows as planned (not shifted by the command latency).
  const shift = input.plan?.commandShiftMs ?? 0;
  const planned = shift > 0 ? { ...w, startMs: w.startMs + shift, endMs: w.endMs + shift } : w;
  return input.approval.approvedWindows.some((a) => sameWindow(a, planned) || sameWindow(planned, a));
}

function keepMatched(input: DecideInput, c: ExistingCommand, w: PlannedWindow, decision: Decision): void {
  decision.keep.push(c.commandId);
  if (c.state === 'awaiting_approval' && isApproved(input, w)) decision.release.push(c.commandId);
}

/** A command on the channel the plan no longer asks for: replace it only when that is worth the churn threshold. */
function weighReplacement(input: DecideInput, plan: DispatchPlan, c: ExistingCommand, wanted: PlannedWindow[], unmatched: Set<number>, thresholdUsd: number, decision: Decision): void {
  const overlapping = [...unmatched].filter((i) => wanted[i].startMs < c.endMs && wanted[i].endMs > c.startMs);
  const after = overlapping.map((i) => wanted[i]);
  const floor = Math.max(10, input.battery.minReservePercent, input.siteReservePercent);
  if (c.mode === 'discharge' && c.targetReservePercent < floor - 1e-6) {
    // Safety first, whatever the churn threshold or the approval: never let a discharge go below the site's reserve.
    decision.stop.push({ commandId: c.commandId, to: after.length ? 'superseded' : 'cancelled', onChannel: true, reason: `its target ${c.targetReservePercent.toFixed(1)} % is below the site's reserve ${floor} %` });
    return;
  }
  const override = (input.overrides ?? []).find((o) => o.startMs < c.endMs && c.startMs < o.endMs);
  if (override) {
    decision.stop.push({ commandId: c.commandId, to: after.length ? 'superseded' : 'cancelled', onChannel: true, reason: `a person (${override.setBy}) overrode this window to ${override.mode}` });
    return;
  }
  const gain = changeGainUsd(plan, input.battery, [c], after, input.nowMs);
  if (gain >= thresholdUsd && after.every((w) => isApproved(input, w))) {
    const to = after.length ? 'superseded' : 'cancelled';
    decision.stop.push({ commandId: c.commandId, to, onChannel: true, reason: `plan v${plan.planVersion} changes this window; expected gain $${gain.toFixed(2)} ≥ $${thresholdUsd.toFixed(2)}` });
    return;
  }
  decision.keep.push(c.commandId);
  for (const i of overlapping) unmatched.delete(i);
  const why = gain < thresholdUsd ? `the change is worth $${gain.toFixed(2)} < $${thresholdUsd.toFixed(2)}` : `plan v${plan.planVersion} is not approved`;
  decision.notes.push(`kept ${c.mode} ${new Date(c.startMs).toISOString()}-${new Date(c.endMs).toISOString()}: ${why}`);
}

function blockOverlaps(blockers: readonly ExistingCommand[], wanted: PlannedWindow[], unmatched: Set<number>, notes: string[], what: string): void {
  for (const b of blockers) {
    for (const i of [...unmatched]) {
      const w = wanted[i];
      if (w.startMs < b.endMs && w.endMs > b.startMs) {
        unmatched.delete(i);
        notes.push(`${w.mode} ${new Date(w.startMs).toISOString()} waits: it overlaps ${what}`);
      }
    }
  }
}

function toCreate(input: DecideInput, plan: DispatchPlan, w: PlannedWindow, leadMs: number): CommandToCreate {
  return {
    ...w,
    idempotencyKey: `${input.siteId}/v${plan.planVersion}/${w.mode}/${new Date(w.startMs).toISOString()}/${new Date(w.endMs).toISOString()}`,
    sendAtMs: w.startMs - leadMs,
    planId: plan.planId,
    planVersion: plan.planVersion,
    state: isApproved(input, w) ? 'planned' : 'awaiting_approval',
  };
}

/** Without a duration on the channel, the engine ends a window at its end (a contiguous successor also replaces it). */
function endWindowsWithoutDuration(input: DecideInput, leadMs: number, decision: Decision): void {
  if (input.capabilities.duration) return;
  const stopping = new Set(decision.stop.map((s) => s.commandId));
  for (const c of input.existing) {
    if (!ON_CHANNEL.includes(c.state) || stopping.has(c.commandId)) continue;
    if (input.nowMs >= c.endMs - leadMs) decision.end.push({ commandId: c.commandId, reason: 'window over: the engine ends it (the channel has no duration)' });
  }
}

function statusOf(input: DecideInput, plan: DispatchPlan, d: Decision): { kind: SiteDispatchStatusKind; reason: string } {
  const waiting = d.create.filter((c) => c.state === 'awaiting_approval').length + input.existing.filter((c) => c.state === 'awaiting_approval' && !d.release.includes(c.commandId) && d.keep.includes(c.commandId)).length;
  if (waiting > 0) return { kind: 'awaiting_approval', reason: `plan v${plan.planVersion}: ${waiting} window(s) wait for approval (\`plans approve --site ${input.siteId} --plan-version ${plan.planVersion}\`)` };
  const next = d.create[0];
  const live = input.existing.filter((c) => d.keep.includes(c.commandId) && (c.state !== 'awaiting_approval' || d.release.includes(c.commandId))).length;
  if (next) return { kind: 'dispatching', reason: `plan v${plan.planVersion}: ${next.reason}` };
  if (live > 0) return { kind: 'dispatching', reason: `plan v${plan.planVersion}: ${live} command(s) in progress` };
  return { kind: 'idle', reason: `plan v${plan.planVersion}: no command due before the next cycle` };
}
