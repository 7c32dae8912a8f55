/**
 * A battery under commands, behaving the way Enphase grid-services commands do (shared/docs/domain.md, "Control
 * channels"), stepped one 15-minute interval at a time:
 *
 * - a command takes effect no earlier than 1 minute after it is sent: when it was sent late, the part of its first
 *   interval before that minute runs the base mode (the interval is split into sub-interval segments);
 * - it lasts at most 4 hours (longer requests are cut and reported);
 * - it ends when its target reserve is reached (the battery returns to its base mode for the rest of the interval);
 * - a discharge never goes below max(10 %, the site's reserve); where export is not allowed it covers only home load;
 * - a later-sent command supersedes an earlier one from the moment it takes effect.
 *
 * The base mode is `idle` (the battery holds its charge, e.g. a backup mode with the reserve at the current SoC) or
 * `self-consumption` (covers home load from the battery and charges from surplus solar).
 * Every segment steps the state of charge with the battery model's one recursion (nextSocKwh/socCoefficients).
 */
import {
  chargeKwToReach,
  DEVICE_MIN_RESERVE_PERCENT,
  dischargeKwToReach,
  nextSocKwh,
  percentToKwh,
  reserveFloorKwh,
  socCoefficients,
  type BatterySpec,
} from '../battery/battery.js';
import { maxDischargeKwFor } from '../economics/site-cost.js';
import { COMMAND_LATENCY_MS, MAX_COMMAND_MS, type CommandWindow } from '../dispatch/command-windows.js';
import { HOUR_MS, INTERVAL_MS, INTERVAL_HOURS } from '../time/interval.js';
import { toErcotIso } from '../time/ercot-calendar.js';

export type BaseMode = 'idle' | 'self-consumption';

export type ViolationKind =
  | 'soc-below-reserve'
  | 'power-above-limit'
  | 'command-over-4h'
  | 'sent-less-than-1-minute-ahead'
  | 'target-below-10-percent'
  /** Reported by the replay (domain/replay/cycles-cap.ts), not the simulator: a day's discharge above maxCyclesPerDay. */
  | 'cycles-cap-exceeded';

export interface Violation {
  kind: ViolationKind;
  /** ISO 8601 local time of the interval or command. */
  at: string;
  message: string;
}

export interface SimulatorOptions {
  battery: BatterySpec;
  /** UTC start of the first interval. */
  startMs: number;
  initialSocKwh: number;
  baseMode?: BaseMode;
}

export interface SiteConditions {
  loadKw: number;
  solarKw: number;
  exportAllowed: boolean;
}

export interface SimulatedInterval {
  startMs: number;
  /** Interval-average AC powers, kW. */
  chargeKw: number;
  dischargeKw: number;
  socStartKwh: number;
  socEndKwh: number;
  /** Minutes of the interval under a command. */
  commandedMinutes: number;
}

interface ActiveCommand extends CommandWindow {
  id: number;
  /** When it really starts (≥ sendAtMs + 1 min). */
  startsMs: number;
  done: boolean;
}

const POWER_TOLERANCE_KW = 1e-6;
const SOC_TOLERANCE_KWH = 1e-6;

export class DeviceSimulator {
  readonly violations: Violation[] = [];
  private readonly battery: BatterySpec;
  private readonly baseMode: BaseMode;
  private readonly floorKwh: number;
  private commands: ActiveCommand[] = [];
  private readonly byId = new Map<number, ActiveCommand>();
  private nextId = 0;
  private nowMs: number;
  private socKwh: number;

  constructor(options: SimulatorOptions) {
    this.battery = options.battery;
    this.baseMode = options.baseMode ?? 'idle';
    this.floorKwh = reserveFloorKwh(options.battery);
    this.nowMs = options.startMs;
    this.socKwh = options.initialSocKwh;
  }

  get socNowKwh(): number {
    return this.socKwh;
  }

  get timeMs(): number {
    return this.nowMs;
  }

  /** Accepts a command the way the device would, recording what breaks the rules; returns the device's id for it. */
  send(command: CommandWindow): number {
    const at = toErcotIso(command.effectiveAtMs);
    const earliest = command.sendAtMs + COMMAND_LATENCY_MS;
    if (command.effectiveAtMs < earliest) {
      this.violate('sent-less-than-1-minute-ahead', at, `${command.mode} command sent ${(command.effectiveAtMs - command.sendAtMs) / 1000} s before it should take effect; it starts at ${toErcotIso(earliest)}`);
    }
    let endMs = command.endMs;
    if (endMs - command.effectiveAtMs > MAX_COMMAND_MS) {
      this.violate('command-over-4h', at, `${command.mode} command lasts ${((endMs - command.effectiveAtMs) / HOUR_MS).toFixed(2)} h; the device stops it after 4 h`);
      endMs = command.effectiveAtMs + MAX_COMMAND_MS;
    }
    const limit = command.mode === 'charge' ? this.battery.maxChargeKw : this.battery.maxDischargeKw;
    if (command.powerKw > limit + POWER_TOLERANCE_KW) {
      this.violate('power-above-limit', at, `${command.mode} at ${command.powerKw} kW exceeds the ${limit} kW limit`);
    }
    let target = command.targetReservePercent;
    if (target < DEVICE_MIN_RESERVE_PERCENT - 1e-9) {
      this.violate('target-below-10-percent', at, `target reserve ${target}% is below the device minimum of 10%`);
      target = DEVICE_MIN_RESERVE_PERCENT;
    }
    const accepted: ActiveCommand = { ...command, endMs, targetReservePercent: target, id: this.nextId++, startsMs: Math.max(command.effectiveAtMs, earliest), done: false };
    this.commands.push(accepted);
    this.byId.set(accepted.id, accepted);
    return accepted.id;
  }

  /** Ends a command at `atMs` (or drops it when it has not started by then), the way a cancel/DELETE does. */
  cancel(id: number, atMs: number): void {
    const c = this.byId.get(id);
    if (!c) return;
    c.endMs = Math.max(Math.min(c.endMs, atMs), Math.min(c.startsMs, atMs));
    if (c.endMs <= c.startsMs) c.done = true;
  }

  /** What the device knows about a command it accepted: when it starts/ends and whether it ended early (target reached, superseded or cancelled). */
  commandState(id: number): { startsMs: number; endMs: number; endedEarly: boolean } | undefined {
    const c = this.byId.get(id);
    return c ? { startsMs: c.startsMs, endMs: c.endMs, endedEarly: c.done } : undefined;
  }

  /** Runs the next 15-minute interval under the given site conditions. */
  step(site: SiteConditions): SimulatedInterval {
    const s = this.nowMs;
    const e = s + INTERVAL_MS;
    const socStartKwh = this.socKwh;
    this.commands = this.commands.filter((c) => !c.done && c.endMs > s);
    const cuts = new Set<number>([s, e]);
    for (const c of this.commands) {
      if (c.startsMs > s && c.startsMs < e) cuts.add(c.startsMs);
      if (c.endMs > s && c.endMs < e) cuts.add(c.endMs);
    }
    const bounds = [...cuts].sort((a, b) => a - b);
    let chargeKwh = 0;
    let dischargeKwh = 0;
    let commandedMs = 0;
    for (let b = 0; b + 1 < bounds.length; b++) {
      let segStart = bounds[b];
      const segEnd = bounds[b + 1];
      const cmd = this.activeAt(segStart);
      if (cmd) {
        const r = this.runCommand(cmd, segStart, segEnd, site);
        chargeKwh += r.chargeKwh;
        dischargeKwh += r.dischargeKwh;
        commandedMs += r.usedMs;
        segStart += r.usedMs;
        if (segStart >= segEnd) continue;
      }
      const r = this.runBase(segEnd - segStart, site);
      chargeKwh += r.chargeKwh;
      dischargeKwh += r.dischargeKwh;
    }
    this.nowMs = e;
    if (this.socKwh < this.floorKwh - SOC_TOLERANCE_KWH && this.socKwh < socStartKwh - SOC_TOLERANCE_KWH) {
      this.violate('soc-below-reserve', toErcotIso(s), `state of charge fell to ${this.socKwh.toFixed(3)} kWh, below the ${this.floorKwh.toFixed(3)} kWh reserve`);
    }
    return {
      startMs: s,
      chargeKw: chargeKwh / INTERVAL_HOURS,
      dischargeKw: dischargeKwh / INTERVAL_HOURS,
      socStartKwh,
      socEndKwh: this.socKwh,
      commandedMinutes: commandedMs / 60_000,
    };
  }

  /** The command in force at `ms`: the latest-sent one that has started and not ended; it supersedes older ones. */
  private activeAt(ms: number): ActiveCommand | undefined {
    let best: ActiveCommand | undefined;
    for (const c of this.commands) {
      if (c.done || c.startsMs > ms || c.endMs <= ms) continue;
      if (!best || c.sendAtMs > best.sendAtMs || (c.sendAtMs === best.sendAtMs && c.id > best.id)) best = c;
    }
    if (best) for (const c of this.commands) if (c !== best && c.startsMs <= ms && c.sendAtMs <= best.sendAtMs) c.done = true;
    return best;
  }

  /** Runs a command for up to [from, to); returns the energy moved and how long it ran before reaching its target. */
  private runCommand(cmd: ActiveCommand, from: number, to: number, site: SiteConditions): { chargeKwh: number; dischargeKwh: number; usedMs: number } {
    const hours = (to - from) / HOUR_MS;
    const k = socCoefficients(this.battery, hours);
    const targetKwh = percentToKwh(this.battery, cmd.targetReservePercent);
    if (cmd.mode === 'charge') {
      const goal = Math.min(targetKwh, this.battery.capacityKwh);
      const powerKw = Math.min(cmd.powerKw, this.battery.maxChargeKw);
      const needKw = chargeKwToReach(this.socKwh, goal, k);
      if (needKw <= powerKw + 1e-12 || powerKw <= 0) {
        // The target is reached inside this segment: run until then, then revert to the base mode.
        const usedMs = powerKw > 0 ? Math.min(to - from, ((to - from) * needKw) / powerKw) : 0;
        this.socKwh = powerKw > 0 ? nextSocKwh(this.socKwh, needKw, 0, k) : this.socKwh;
        cmd.done = true;
        return { chargeKwh: needKw * hours * (powerKw > 0 ? 1 : 0), dischargeKwh: 0, usedMs };
      }
      this.socKwh = nextSocKwh(this.socKwh, powerKw, 0, k);
      return { chargeKwh: powerKw * hours, dischargeKwh: 0, usedMs: to - from };
    }
    const goal = Math.max(targetKwh, this.floorKwh);
    const powerKw = Math.min(cmd.powerKw, maxDischargeKwFor(this.battery.maxDischargeKw, site.loadKw, site.solarKw, site.exportAllowed));
    const needKw = dischargeKwToReach(this.socKwh, goal, k);
    if (needKw <= powerKw + 1e-12 || powerKw <= 0) {
      if (needKw <= powerKw + 1e-12) cmd.done = true;
      const used = powerKw > 0 ? needKw : 0;
      this.socKwh = nextSocKwh(this.socKwh, 0, used, k);
      return { chargeKwh: 0, dischargeKwh: used * hours, usedMs: powerKw > 0 ? Math.min(to - from, ((to - from) * needKw) / powerKw) : to - from };
    }
    this.socKwh = nextSocKwh(this.socKwh, 0, powerKw, k);
    return { chargeKwh: 0, dischargeKwh: powerKw * hours, usedMs: to - from };
  }

  private runBase(durationMs: number, site: SiteConditions): { chargeKwh: number; dischargeKwh: number } {
    if (this.baseMode === 'idle' || durationMs <= 0) return { chargeKwh: 0, dischargeKwh: 0 };
    const hours = durationMs / HOUR_MS;
    const k = socCoefficients(this.battery, hours);
    const net = site.loadKw - site.solarKw;
    if (net > 0) {
      const d = Math.min(net, this.battery.maxDischargeKw, dischargeKwToReach(this.socKwh, this.floorKwh, k));
      this.socKwh = nextSocKwh(this.socKwh, 0, d, k);
      return { chargeKwh: 0, dischargeKwh: d * hours };
    }
    const c = Math.min(-net, this.battery.maxChargeKw, chargeKwToReach(this.socKwh, this.battery.capacityKwh, k));
    this.socKwh = nextSocKwh(this.socKwh, c, 0, k);
    return { chargeKwh: c * hours, dischargeKwh: 0 };
  }

  private violate(kind: ViolationKind, at: string, message: string): void {
    this.violations.push({ kind, at, message });
  }
}
