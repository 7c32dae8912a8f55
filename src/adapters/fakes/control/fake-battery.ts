/**
 * The battery behind the VPP and Texture fakes: the device simulator (src/domain/simulator/device-simulator.ts),
 * stepped one 15-minute interval at a time as simulated time advances (`advanceTo(ms)`), so a commanded battery
 * really charges and discharges with THE state-of-charge recursion.
 *
 * Each interval runs on a fresh DeviceSimulator seeded with the current state of charge and the commands in force,
 * which lets the fake cancel, supersede and opt out of commands (the simulator itself only accepts new ones):
 *  - a command whose target was reached is over (the battery went back to its base mode, self-consumption);
 *  - an `idle` command covering the whole interval holds the charge;
 *  - Storm Guard overrides every command: the battery charges toward full (Full Backup), whatever was commanded.
 */
import type { BatterySpec } from '../../../domain/battery/battery.js';
import { DeviceSimulator, type SimulatedInterval, type SiteConditions, type Violation } from '../../../domain/simulator/device-simulator.js';
import { INTERVAL_MS, intervalFloor } from '../../../domain/time/interval.js';

export interface FakeBatteryCommand {
  id: string;
  mode: 'charge' | 'discharge' | 'idle';
  powerKw: number;
  targetReservePercent: number;
  sentAtMs: number;
  startMs: number;
  endMs: number;
  /** false: a discharge covers home load only (VPP Discharge_To_Load, Texture enableGridInteraction false). */
  exportAllowed?: boolean;
  /** Set by the fake: cancelled, superseded, opted out, or target reached. */
  endedAtMs?: number;
  targetReached?: boolean;
}

export interface FakeBatteryOptions {
  battery?: Partial<BatterySpec>;
  initialSocPercent?: number;
  /** Home load and solar per interval start (default: a constant 1 kW load, no solar). */
  conditions?: (intervalStartMs: number) => Omit<SiteConditions, 'exportAllowed'>;
  exportAllowed?: boolean;
}

export const DEFAULT_FAKE_BATTERY: BatterySpec = {
  capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0,
};

const SOC_TOLERANCE_PERCENT = 0.05;

export class FakeBattery {
  readonly spec: BatterySpec;
  readonly commands: FakeBatteryCommand[] = [];
  readonly intervals: SimulatedInterval[] = [];
  readonly violations: Violation[] = [];
  /** Storm Guard periods [fromMs, toMs): set now or ahead of time (mid-command). */
  private readonly stormGuard: Array<{ fromMs: number; toMs: number }> = [];
  private socKwh: number;
  private nowMs: number;

  constructor(startMs: number, private readonly opts: FakeBatteryOptions = {}) {
    this.spec = { ...DEFAULT_FAKE_BATTERY, ...opts.battery };
    this.socKwh = (this.spec.capacityKwh * (opts.initialSocPercent ?? 50)) / 100;
    this.nowMs = intervalFloor(startMs);
  }

  get socPercent(): number {
    return (this.socKwh / this.spec.capacityKwh) * 100;
  }

  get timeMs(): number {
    return this.nowMs;
  }

  /** Storm Guard on (or off) from `atMs` on; intervals starting inside an "on" period ignore commands and charge toward full. */
  setStormGuard(active: boolean, atMs: number): void {
    const open = this.stormGuard.find((p) => p.toMs === Infinity);
    if (active && !open) this.stormGuard.push({ fromMs: atMs, toMs: Infinity });
    if (!active && open) open.toMs = atMs;
  }

  stormGuardAt(ms: number): boolean {
    return this.stormGuard.some((p) => ms >= p.fromMs && ms < p.toMs);
  }

  add(command: FakeBatteryCommand): void {
    this.commands.push(command);
  }

  /** Ends a command from `atMs` on (cancel, supersede, opt-out). */
  end(id: string, atMs: number): void {
    const c = this.commands.find((x) => x.id === id);
    if (c && c.endedAtMs === undefined) c.endedAtMs = Math.max(atMs, c.startMs);
  }

  /** Home load and solar (kW) of the interval starting at `intervalStartMs` (what the Enphase fake meters). */
  conditionsAt(intervalStartMs: number): Omit<SiteConditions, 'exportAllowed'> {
    return { loadKw: 1, solarKw: 0, ...this.opts.conditions?.(intervalStartMs) };
  }

  /** Runs every whole interval that ends at or before `ms`. */
  advanceTo(ms: number): void {
    while (this.nowMs + INTERVAL_MS <= ms) this.step();
  }

  /** The command in force at `ms` (the latest sent among those started and not ended), if any. */
  activeAt(ms: number): FakeBatteryCommand | undefined {
    return this.live(ms, ms + 1).filter((c) => c.startMs <= ms).sort((a, b) => b.sentAtMs - a.sentAtMs)[0];
  }

  private live(fromMs: number, toMs: number): FakeBatteryCommand[] {
    return this.commands.filter((c) => !c.targetReached && c.startMs < toMs && Math.min(c.endMs, c.endedAtMs ?? Infinity) > fromMs);
  }

  private step(): void {
    const s = this.nowMs;
    const e = s + INTERVAL_MS;
    const live = this.live(s, e);
    const homeOnly = live.some((c) => c.mode === 'discharge' && c.exportAllowed === false);
    const site = { ...this.conditionsAt(s), exportAllowed: (this.opts.exportAllowed ?? true) && !homeOnly };
    const sim = new DeviceSimulator({ battery: this.spec, startMs: s, initialSocKwh: this.socKwh, baseMode: 'self-consumption' });
    const idleAll = live.find((c) => c.mode === 'idle' && c.startMs <= s && Math.min(c.endMs, c.endedAtMs ?? Infinity) >= e);
    const storm = this.stormGuardAt(s);
    if (storm) {
      sim.send({ mode: 'charge', powerKw: this.spec.maxChargeKw, targetReservePercent: 100, sendAtMs: s - INTERVAL_MS, effectiveAtMs: s, endMs: e });
    } else if (!idleAll) {
      for (const c of live) {
        if (c.mode === 'idle') continue;
        sim.send({ mode: c.mode, powerKw: c.powerKw, targetReservePercent: c.targetReservePercent, sendAtMs: c.sentAtMs, effectiveAtMs: c.startMs, endMs: Math.min(c.endMs, c.endedAtMs ?? Infinity) });
      }
    }
    const iv = idleAll && !storm
      ? { startMs: s, chargeKw: 0, dischargeKw: 0, socStartKwh: this.socKwh, socEndKwh: this.socKwh, commandedMinutes: INTERVAL_MS / 60_000 }
      : sim.step(site);
    this.socKwh = iv.socEndKwh;
    this.intervals.push(iv);
    this.violations.push(...sim.violations);
    this.nowMs = e;
    if (!storm) this.markReached(live);
  }

  private markReached(live: FakeBatteryCommand[]): void {
    const soc = this.socPercent;
    for (const c of live) {
      if (c.mode === 'charge' && soc >= Math.min(100, c.targetReservePercent) - SOC_TOLERANCE_PERCENT) c.targetReached = true;
      const floor = Math.max(c.targetReservePercent, this.spec.minReservePercent, 10);
      if (c.mode === 'discharge' && soc <= floor + SOC_TOLERANCE_PERCENT) c.targetReached = true;
    }
  }
}
