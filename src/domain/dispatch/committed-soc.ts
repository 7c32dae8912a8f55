/**
 * The SoC a new plan starts from (pure): the measured SoC, stepped forward from its measurement to the plan's first
 * interval through the commands already committed on the channel (they run whatever the new plan says), with the
 * battery model's one recursion. A command acts like the device: at its power, stopping at its target reserve; the
 * battery follows it `latencyMs` after its start and until `latencyMs` after its end (the reconciler's measured
 * command latency). Outside every command the battery is taken as idle (the planner's own model of "no command").
 */
import { chargeKwToReach, dischargeKwToReach, nextSocKwh, percentToKwh, reserveFloorKwh, socCoefficients, type BatterySpec, type SocCoefficients } from '../battery/battery.js';
import { HOUR_MS } from '../time/interval.js';

export interface CommandShape {
  mode: 'charge' | 'discharge' | 'idle' | string;
  powerKw: number;
  /** Where the device stops (percent); null: full for a charge, the reserve floor for a discharge. */
  targetReservePercent: number | null;
}

export interface CommittedCommand extends CommandShape {
  commandId?: string;
  startMs: number;
  /** When it stops acting: its window end, or earlier when it was ended (cancelled, superseded, overridden). */
  endMs: number;
}

/**
 * One step of a command through the recursion: the AC power it draws/delivers over a span with coefficients `k`
 * (stopping at its target), and the SoC after. Idle (or an unknown mode) leaves the SoC as it is.
 */
export function stepCommand(socKwh: number, c: CommandShape, battery: BatterySpec, k: SocCoefficients): { socKwh: number; chargeKw: number; dischargeKw: number } {
  if (c.mode === 'charge') {
    const target = c.targetReservePercent === null ? battery.capacityKwh : Math.min(percentToKwh(battery, c.targetReservePercent), battery.capacityKwh);
    const kw = Math.min(c.powerKw, battery.maxChargeKw, chargeKwToReach(socKwh, target, k));
    return { socKwh: nextSocKwh(socKwh, kw, 0, k), chargeKw: kw, dischargeKw: 0 };
  }
  if (c.mode === 'discharge') {
    const target = c.targetReservePercent === null ? reserveFloorKwh(battery) : percentToKwh(battery, c.targetReservePercent);
    const kw = Math.min(c.powerKw, battery.maxDischargeKw, dischargeKwToReach(socKwh, target, k));
    return { socKwh: nextSocKwh(socKwh, 0, kw, k), chargeKw: 0, dischargeKw: kw };
  }
  return { socKwh, chargeKw: 0, dischargeKw: 0 };
}

export interface SteppedSpan {
  fromMs: number;
  toMs: number;
  commandId: string | null;
  mode: string;
  chargeKw: number;
  dischargeKw: number;
  socKwhEnd: number;
}

export interface SteppedSoc {
  /** SoC at `toMs`, clamped to [0, capacity]. */
  socKwh: number;
  /** The spans stepped (one per change of the command in effect). */
  spans: SteppedSpan[];
}

/**
 * Steps `socKwh` (measured at `fromMs`) to `toMs` through `commands` (later entries win where they overlap: pass them
 * in the order they were planned). Spans are cut where a command's effect begins or ends, each stepped once with
 * coefficients for its own length.
 */
export function stepSocThroughCommands(battery: BatterySpec, socKwh: number, fromMs: number, toMs: number, commands: readonly CommittedCommand[], latencyMs = 0): SteppedSoc {
  if (!(toMs > fromMs)) return { socKwh: Math.min(battery.capacityKwh, Math.max(0, socKwh)), spans: [] };
  const lag = Math.max(0, latencyMs);
  const cuts = new Set<number>([fromMs, toMs]);
  for (const c of commands) {
    for (const t of [c.startMs + lag, c.endMs + lag]) if (t > fromMs && t < toMs) cuts.add(t);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const spans: SteppedSpan[] = [];
  let soc = socKwh;
  for (let i = 0; i + 1 < times.length; i++) {
    const a = times[i];
    const b = times[i + 1];
    let active: CommittedCommand | null = null;
    for (const c of commands) if (c.startMs + lag <= a && c.endMs + lag > a) active = c;
    if (!active || (active.mode !== 'charge' && active.mode !== 'discharge')) continue;
    const step = stepCommand(soc, active, battery, socCoefficients(battery, (b - a) / HOUR_MS));
    soc = step.socKwh;
    spans.push({ fromMs: a, toMs: b, commandId: active.commandId ?? null, mode: active.mode, chargeKw: step.chargeKw, dischargeKw: step.dischargeKw, socKwhEnd: soc });
  }
  return { socKwh: Math.min(battery.capacityKwh, Math.max(0, soc)), spans };
}
