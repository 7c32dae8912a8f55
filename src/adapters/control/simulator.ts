/**
 * The `simulator` control channel: the device simulator (src/domain/simulator/device-simulator.ts) behind the
 * control-channel port, one simulated battery per siteRef, driven by an injected clock. Every call first advances
 * each simulated battery to the clock (whole 15-minute intervals), so tests and demos dispatch into a battery that
 * really charges and discharges.
 *
 * It behaves like the Enphase VPP channel by default (start time and duration per command, status lookup, listing,
 * ≥ 1 min lead); pass other capabilities to behave like Texture (no start time/duration: a command takes effect on
 * receipt and lasts until the next one or a cancel). Switches for tests: queued send failures of every error kind
 * (including a lost response: the command is created, the reply never arrives), Storm Guard, off grid, a homeowner's
 * manual reserve/profile change, opting out of a command, unavailable settings reads. It counts what it accepted, so
 * a test can prove nothing was sent twice.
 */
import { kwhToPercent, type BatterySpec } from '../../domain/battery/battery.js';
import { MAX_COMMAND_MS } from '../../domain/dispatch/command-windows.js';
import { DeviceSimulator, type BaseMode, type SiteConditions } from '../../domain/simulator/device-simulator.js';
import type { Clock } from '../../domain/time/clock.js';
import { INTERVAL_MS, MINUTE_MS, intervalFloor } from '../../domain/time/interval.js';
import {
  ChannelError,
  type ChannelCapabilities,
  type ChannelCommandRequest,
  type ChannelCommandState,
  type ChannelErrorKind,
  type ControlChannel,
  type DeviceSettingsReading,
} from '../../domain/ports/control-channel.js';

export const SIMULATOR_CHANNEL_NAME = 'simulator';

/** VPP-like defaults: scheduled start, duration 5 min-4 h, 1 min lead, status lookup and listing. */
export const SIMULATOR_DEFAULT_CAPABILITIES: ChannelCapabilities = Object.freeze({
  exportAllowed: true,
  gridCharge: true,
  scheduledStart: true,
  duration: true,
  statusLookup: true,
  listCommands: true,
  powerSetpoint: true,
  minDurationMs: 5 * MINUTE_MS,
  maxDurationMs: MAX_COMMAND_MS,
  minLeadMs: MINUTE_MS,
});

export interface SimulatedSiteOptions {
  siteRef: string;
  battery: BatterySpec;
  initialSocKwh: number;
  baseMode?: BaseMode;
  /** Home load and solar per interval (default: none). */
  conditions?: (intervalStartMs: number) => { loadKw: number; solarKw: number };
}

export interface SimulatorChannelOptions {
  clock: Clock;
  sites?: SimulatedSiteOptions[];
  /** Creates a simulated battery on first use of an unknown siteRef (e.g. from the site's stored battery); undefined → unknown site. */
  siteFor?: (siteRef: string) => SimulatedSiteOptions | undefined;
  capabilities?: Partial<ChannelCapabilities>;
}

export interface SimulatedFailure {
  kind: ChannelErrorKind;
  httpStatus?: number;
  retryAfterMs?: number;
  message?: string;
}

interface SimSite {
  options: SimulatedSiteOptions;
  device: DeviceSimulator;
  stormGuard: boolean;
  offGrid: boolean;
  manualReservePercent?: number;
  manualProfile?: string;
  settingsUnavailable: boolean;
}

interface SimCommand {
  externalId: string;
  request: ChannelCommandRequest;
  deviceId: number;
  sentAtMs: number;
  startsMs: number;
  endMs: number;
  cancelledAtMs?: number;
  optedOut: boolean;
}

export class SimulatorChannel implements ControlChannel {
  readonly name = SIMULATOR_CHANNEL_NAME;
  /** Every command the channel accepted (lost responses included), in order: the proof against double sends. */
  readonly accepted: ChannelCommandRequest[] = [];
  private readonly clock: Clock;
  private readonly caps: ChannelCapabilities;
  private readonly sites = new Map<string, SimSite>();
  private readonly commands = new Map<string, SimCommand>();
  private readonly failures: SimulatedFailure[] = [];
  private readonly siteFor?: (siteRef: string) => SimulatedSiteOptions | undefined;
  private nextId = 1;

  constructor(options: SimulatorChannelOptions) {
    this.clock = options.clock;
    this.siteFor = options.siteFor;
    this.caps = { ...SIMULATOR_DEFAULT_CAPABILITIES, ...options.capabilities };
    for (const s of options.sites ?? []) this.addSite(s);
  }

  /** Adds a simulated battery; its simulation starts at the interval containing the clock's now. */
  addSite(options: SimulatedSiteOptions): void {
    const device = new DeviceSimulator({ battery: options.battery, startMs: intervalFloor(this.clock.nowMs()), initialSocKwh: options.initialSocKwh, baseMode: options.baseMode });
    this.sites.set(options.siteRef, { options, device, stormGuard: false, offGrid: false, settingsUnavailable: false });
  }

  capabilities(): ChannelCapabilities {
    return { ...this.caps };
  }

  async send(request: ChannelCommandRequest): Promise<ChannelCommandState> {
    const site = this.advance(request.siteRef);
    const failure = this.failures.shift();
    if (failure && failure.kind !== 'unknown-outcome') throw toError(failure);
    const command = this.accept(site, request);
    if (failure) throw toError(failure);
    return this.stateOf(command);
  }

  async status(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    this.advance(siteRef);
    const c = this.commands.get(externalId);
    if (!c || c.request.siteRef !== siteRef) throw new ChannelError('permanent', `simulator: no command ${externalId} on site ${siteRef}`, { httpStatus: 404 });
    return this.stateOf(c);
  }

  async findSent(request: ChannelCommandRequest): Promise<ChannelCommandState | null> {
    this.advance(request.siteRef);
    for (const c of this.commands.values()) {
      if (c.request.siteRef !== request.siteRef) continue;
      const sameKey = c.request.idempotencyKey === request.idempotencyKey;
      const sameShape = c.request.mode === request.mode && c.request.startMs === request.startMs && c.request.endMs === request.endMs;
      if (sameKey || (sameShape && this.caps.scheduledStart)) return this.stateOf(c);
    }
    return null;
  }

  async cancel(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const site = this.advance(siteRef);
    const c = this.commands.get(externalId);
    if (!c || c.request.siteRef !== siteRef) throw new ChannelError('permanent', `simulator: no command ${externalId} on site ${siteRef}`, { httpStatus: 404 });
    const now = this.clock.nowMs();
    if (c.cancelledAtMs === undefined && now < c.endMs) {
      c.cancelledAtMs = now;
      site.device.cancel(c.deviceId, now);
    }
    return this.stateOf(c);
  }

  async readSettings(siteRef: string): Promise<DeviceSettingsReading> {
    const site = this.advance(siteRef);
    if (site.settingsUnavailable) throw new ChannelError('transient', `simulator: settings of site ${siteRef} unavailable`, { httpStatus: 503 });
    return {
      asOfMs: this.clock.nowMs(),
      reservePercent: site.manualReservePercent ?? site.options.battery.minReservePercent,
      profile: site.manualProfile ?? (site.options.baseMode ?? 'idle'),
      stormGuardActive: site.stormGuard,
      offGrid: site.offGrid,
    };
  }

  // ---- test and demo switches ----

  /** The next sends fail in order; an 'unknown-outcome' failure creates the command and loses the reply. */
  failNextSends(...failures: SimulatedFailure[]): void {
    this.failures.push(...failures);
  }

  setStormGuard(siteRef: string, active: boolean): void {
    this.site(siteRef).stormGuard = active;
  }

  setOffGrid(siteRef: string, offGrid: boolean): void {
    this.site(siteRef).offGrid = offGrid;
  }

  /** A person changes the reserve or profile in the app (undefined: back to the engine's settings). */
  setManualChange(siteRef: string, change: { reservePercent?: number; profile?: string }): void {
    const s = this.site(siteRef);
    s.manualReservePercent = change.reservePercent;
    s.manualProfile = change.profile;
  }

  setSettingsUnavailable(siteRef: string, unavailable: boolean): void {
    this.site(siteRef).settingsUnavailable = unavailable;
  }

  /** The homeowner opts out of a command: it stops now and reports opted-out. */
  optOut(externalId: string): void {
    const c = this.commands.get(externalId);
    if (!c) return;
    const site = this.advance(c.request.siteRef);
    c.optedOut = true;
    site.device.cancel(c.deviceId, this.clock.nowMs());
  }

  /** Accepted sends, for one site or all. */
  sendCount(siteRef?: string): number {
    return siteRef === undefined ? this.accepted.length : this.accepted.filter((r) => r.siteRef === siteRef).length;
  }

  /** The simulated battery's state of charge now (after advancing to the clock), as telemetry would report it. */
  reading(siteRef: string): { asOfMs: number; socKwh: number; socPercent: number } {
    const site = this.advance(siteRef);
    return { asOfMs: site.device.timeMs, socKwh: site.device.socNowKwh, socPercent: kwhToPercent(site.options.battery, site.device.socNowKwh) };
  }

  /** Rule breaks the simulated device recorded (sent late, over 4 h, below 10 %, ...). */
  violations(siteRef: string): DeviceSimulator['violations'] {
    return this.site(siteRef).device.violations;
  }

  // ---- internals ----

  private site(siteRef: string): SimSite {
    if (!this.sites.has(siteRef)) {
      const created = this.siteFor?.(siteRef);
      if (created) this.addSite({ ...created, siteRef });
    }
    const s = this.sites.get(siteRef);
    if (!s) throw new ChannelError('permanent', `simulator: unknown site ${siteRef}`, { httpStatus: 404 });
    return s;
  }

  /** Steps the site's battery through every whole interval that ended by now. */
  private advance(siteRef: string): SimSite {
    const s = this.site(siteRef);
    const now = this.clock.nowMs();
    while (s.device.timeMs + INTERVAL_MS <= now) s.device.step(this.conditions(s, s.device.timeMs));
    return s;
  }

  private conditions(s: SimSite, startMs: number): SiteConditions {
    const c = s.options.conditions?.(startMs) ?? { loadKw: 0, solarKw: 0 };
    return { loadKw: c.loadKw, solarKw: c.solarKw, exportAllowed: this.caps.exportAllowed && !s.offGrid };
  }

  private accept(site: SimSite, request: ChannelCommandRequest): SimCommand {
    const now = this.clock.nowMs();
    const { startsMs, endMs } = this.timing(request, now);
    if (request.targetReservePercent < 10 || request.targetReservePercent > 100) throw new ChannelError('permanent', `simulator: target_soc ${request.targetReservePercent} outside 10-100`, { httpStatus: 422 });
    if (request.mode !== 'idle' && !(request.powerKw >= 0)) throw new ChannelError('permanent', `simulator: power ${request.powerKw} kW is not valid`, { httpStatus: 422 });
    const battery = site.options.battery;
    const powerKw = this.caps.powerSetpoint ? request.powerKw : request.mode === 'charge' ? battery.maxChargeKw : battery.maxDischargeKw;
    // idle: the battery holds (a charge to the current SoC cannot move it); modelled as no device command.
    const deviceId =
      request.mode === 'idle' || endMs <= startsMs
        ? -1
        : site.device.send({ mode: request.mode, powerKw, targetReservePercent: request.targetReservePercent, sendAtMs: now, effectiveAtMs: startsMs, endMs });
    if (request.supersede || !this.caps.scheduledStart) this.supersedeOthers(site, request.siteRef, startsMs, endMs, now);
    const command: SimCommand = { externalId: `sim-${this.nextId++}`, request: { ...request }, deviceId, sentAtMs: now, startsMs, endMs, optedOut: false };
    this.commands.set(command.externalId, command);
    this.accepted.push({ ...request });
    return command;
  }

  /** Start and end on the device: the requested ones when the channel schedules, else from receipt until the next command. */
  private timing(request: ChannelCommandRequest, now: number): { startsMs: number; endMs: number } {
    if (!this.caps.scheduledStart) {
      const startsMs = now + MINUTE_MS;
      return { startsMs, endMs: this.caps.duration ? Math.max(startsMs, request.endMs) : startsMs + this.caps.maxDurationMs };
    }
    if (request.startMs < now + this.caps.minLeadMs) throw new ChannelError('permanent', `simulator: start ${new Date(request.startMs).toISOString()} is less than ${this.caps.minLeadMs / 1000} s ahead`, { httpStatus: 422 });
    const durationMs = request.endMs - request.startMs;
    if (durationMs < this.caps.minDurationMs || durationMs > this.caps.maxDurationMs) throw new ChannelError('permanent', `simulator: duration ${durationMs / MINUTE_MS} min outside ${this.caps.minDurationMs / MINUTE_MS}-${this.caps.maxDurationMs / MINUTE_MS} min`, { httpStatus: 422 });
    return { startsMs: request.startMs, endMs: request.endMs };
  }

  /** A superseding command ends what overlaps it on the same site (the channel reports those as deleted). */
  private supersedeOthers(site: SimSite, siteRef: string, startsMs: number, endMs: number, now: number): void {
    for (const c of this.commands.values()) {
      if (c.request.siteRef !== siteRef || c.cancelledAtMs !== undefined || c.optedOut) continue;
      if (c.startsMs < endMs && c.endMs > startsMs && c.endMs > now) {
        c.cancelledAtMs = Math.max(now, Math.min(startsMs, c.endMs));
        if (c.deviceId >= 0) site.device.cancel(c.deviceId, c.cancelledAtMs);
      }
    }
  }

  private stateOf(c: SimCommand): ChannelCommandState {
    const now = this.clock.nowMs();
    const base = { externalId: c.externalId, startMs: c.startsMs, endMs: c.endMs, mode: c.request.mode, targetReservePercent: c.request.targetReservePercent };
    const device = c.deviceId >= 0 ? this.sites.get(c.request.siteRef)?.device.commandState(c.deviceId) : undefined;
    if (c.optedOut) return { ...base, status: 'opted-out', detail: 'the homeowner opted out' };
    if (c.cancelledAtMs !== undefined) {
      const never = c.cancelledAtMs <= c.startsMs;
      return { ...base, endMs: c.cancelledAtMs, status: never ? 'deleted' : now < c.cancelledAtMs ? 'active' : 'stopped', detail: never ? 'cancelled before it started' : 'ended early by cancel or a newer command' };
    }
    if (now < c.startsMs) return { ...base, status: 'scheduled', detail: 'queued on the device' };
    if (device?.endedEarly) return { ...base, status: 'stopped', detail: 'ended early: target reached' };
    if (now < c.endMs) return { ...base, status: 'active', detail: 'running' };
    return { ...base, status: 'completed', detail: 'ran to its end' };
  }
}

/** A simulator channel for the registry/daemon: a battery per site created on first use, starting at `initialSocPercent` (default 50). */
export function createSimulatorChannel(options: { clock: Clock; batteryFor: (siteRef: string) => BatterySpec | undefined; initialSocPercent?: number; capabilities?: Partial<ChannelCapabilities> }): SimulatorChannel {
  return new SimulatorChannel({
    clock: options.clock,
    capabilities: options.capabilities,
    siteFor: (siteRef) => {
      const battery = options.batteryFor(siteRef);
      return battery ? { siteRef, battery, initialSocKwh: (battery.capacityKwh * (options.initialSocPercent ?? 50)) / 100 } : undefined;
    },
  }) satisfies ControlChannel;
}

function toError(f: SimulatedFailure): ChannelError {
  const defaults: Record<ChannelErrorKind, number | undefined> = { permanent: 422, auth: 401, throttled: 429, transient: 503, 'unknown-outcome': undefined, unsupported: undefined };
  return new ChannelError(f.kind, f.message ?? `simulator: injected ${f.kind} failure`, { httpStatus: f.httpStatus ?? defaults[f.kind], retryAfterMs: f.retryAfterMs });
}
