/**
 * The `enphase-basic` control channel: for sites without grid-services enrollment, through the v4 monitoring API's
 * battery_settings (PUT battery_mode + reserve_soc), using the account's EnphaseClient (its tokens, call budget and
 * throttling). What it can do (shared/docs/domain.md, "Control channels"):
 *  - charge    → Self-consumption with the reserve raised to the target: the battery charges from surplus solar,
 *                and from the grid only where the site itself has charge-from-grid enabled (the API cannot turn it on);
 *  - discharge → Self-consumption with a low reserve (the target): the battery covers home load only, never exports;
 *  - cancel    → the site's own settings back (config baseProfile / baseReservePercent).
 * What it refuses, with ChannelError('unsupported', reason): idle (no setting holds a battery idle), a command that
 * starts later than now (no schedule: the engine sends at the start), and a grid charge when the site does not allow
 * charging from the grid. There is no command id on the wire: the external id records what was written, and
 * status/findSent read the settings back and compare (a different reading means a person or the device changed it).
 * Writes may be capped per month on some Enphase plans: the dispatcher sends only real changes.
 */
import {
  ChannelError, type ChannelCapabilities, type ChannelCommandRequest, type ChannelCommandState, type ControlChannel, type DeviceSettingsReading,
} from '../../domain/ports/control-channel.js';
import { DEVICE_MIN_RESERVE_PERCENT } from '../../domain/battery/battery.js';
import type { Clock } from '../../domain/time/clock.js';
import type { BatterySettingsUpdate, EnphaseClient } from '../enphase/client.js';
import {
  BudgetExhausted, EnphaseRequestRejected, EnphaseThrottled, EnphaseUnavailable, ReauthRequired, SiteWithoutBattery,
} from '../enphase/errors.js';
import { normaliseBatteryMode, parseFlag } from '../enphase/normalise.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';

export interface EnphaseBasicConfig {
  gridCharge: boolean;
  baseProfile: 'Self-consumption' | 'Savings Mode' | 'Full Backup';
  baseReservePercent: number;
  startToleranceMs: number;
  readStormGuard: boolean;
}

interface Written {
  systemId: number;
  profile: NonNullable<BatterySettingsUpdate['battery_mode']>;
  reservePercent: number;
}

export class EnphaseBasicChannel implements ControlChannel {
  readonly name = 'enphase-basic';
  readonly settingsSource = 'enphase-system' as const;

  constructor(private readonly config: EnphaseBasicConfig, private readonly deps: { clock: Clock; client: EnphaseClient }) {}

  capabilities(): ChannelCapabilities {
    return {
      exportAllowed: false, gridCharge: this.config.gridCharge, scheduledStart: false, duration: false, statusLookup: false,
      listCommands: false, powerSetpoint: false, minDurationMs: INTERVAL_MS, maxDurationMs: Number.MAX_SAFE_INTEGER, minLeadMs: 0,
    };
  }

  /** The settings a request asks for; throws 'unsupported' for what this channel cannot do. */
  settingsFor(req: ChannelCommandRequest): Written {
    const systemId = systemIdOf(req.siteRef);
    if (req.mode === 'idle') throw new ChannelError('unsupported', 'enphase-basic cannot hold a battery idle (no battery setting does that); end the window with cancel instead');
    if (req.startMs > this.deps.clock.nowMs() + this.config.startToleranceMs) {
      throw new ChannelError('unsupported', `enphase-basic cannot schedule: the command starts at ${new Date(req.startMs).toISOString()}; send it at its start`);
    }
    const reserve = Math.round(req.targetReservePercent);
    if (!(reserve >= DEVICE_MIN_RESERVE_PERCENT && reserve <= 100)) throw new ChannelError('permanent', `enphase-basic: reserve must be 10–100 %, got ${req.targetReservePercent}`);
    return { systemId, profile: 'Self-consumption', reservePercent: reserve };
  }

  async send(req: ChannelCommandRequest): Promise<ChannelCommandState> {
    const want = this.settingsFor(req);
    if (req.mode === 'charge' && this.config.gridCharge) {
      const current = await this.map(() => this.deps.client.batterySettings(want.systemId), false);
      if (parseFlag(current.charge_from_grid) !== true) {
        throw new ChannelError('unsupported', `enphase-basic: site ${want.systemId} does not allow charging from the grid (charge_from_grid is ${String(current.charge_from_grid ?? 'unset')}); enable it in the Enphase app or configure gridCharge: false`);
      }
    }
    const reply = await this.map(() => this.deps.client.updateBatterySettings(want.systemId, { battery_mode: want.profile, reserve_soc: want.reservePercent }), true);
    return { ...this.compare(want, reply.battery_mode, reply.reserve_soc), mode: req.mode, startMs: req.startMs, endMs: req.endMs };
  }

  async status(_siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const want = parseExternalId(externalId);
    const now = await this.map(() => this.deps.client.batterySettings(want.systemId), false);
    return this.compare(want, now.battery_mode, now.reserve_soc);
  }

  /** The write landed when the settings now read as the request asked (no trace otherwise: null). */
  async findSent(req: ChannelCommandRequest): Promise<ChannelCommandState | null> {
    const want = this.settingsFor({ ...req, startMs: Math.min(req.startMs, this.deps.clock.nowMs()) });
    const state = await this.status(req.siteRef, externalIdOf(want));
    return state.status === 'active' ? state : null;
  }

  /** Restores the site's own settings. */
  async cancel(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const systemId = systemIdOf(siteRef);
    await this.map(() => this.deps.client.updateBatterySettings(systemId, { battery_mode: this.config.baseProfile, reserve_soc: this.config.baseReservePercent }), true);
    return { externalId, status: 'stopped', detail: `restored ${this.config.baseProfile} with a ${this.config.baseReservePercent} % reserve` };
  }

  async readSettings(siteRef: string): Promise<DeviceSettingsReading> {
    const systemId = systemIdOf(siteRef);
    const s = await this.map(() => this.deps.client.batterySettings(systemId), false);
    const reading: DeviceSettingsReading = { asOfMs: this.deps.clock.nowMs(), reservePercent: s.reserve_soc, profile: normaliseBatteryMode(s.battery_mode) ?? s.battery_mode };
    if (this.config.readStormGuard) {
      const g = await this.map(() => this.deps.client.stormGuard(systemId), false);
      reading.stormGuardActive = parseFlag(g.storm_guard_status) === true && parseFlag(g.storm_alert) === true;
    }
    return reading;
  }

  private compare(want: Written, profile: string | undefined, reserve: number | undefined): ChannelCommandState {
    const externalId = externalIdOf(want);
    const same = normaliseBatteryMode(profile ?? '') === normaliseBatteryMode(want.profile) && reserve === want.reservePercent;
    return {
      externalId, status: same ? 'active' : 'stopped', targetReservePercent: reserve,
      detail: same ? `${want.profile}, reserve ${want.reservePercent} %` : `settings now read ${profile ?? '?'} with a ${reserve ?? '?'} % reserve (we set ${want.profile}, ${want.reservePercent} %)`,
    };
  }

  /** Enphase client errors → ChannelError kinds. A failed write's outcome is unknown (idempotent: findSent reads back). */
  private async map<T>(call: () => Promise<T>, isWrite: boolean): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      const msg = `enphase-basic: ${(error as Error).message}`;
      if (error instanceof EnphaseThrottled) throw new ChannelError('throttled', msg, { httpStatus: 429, retryAfterMs: Math.max(0, error.periodEndMs - this.deps.clock.nowMs()) });
      if (error instanceof BudgetExhausted) throw new ChannelError('throttled', msg, { retryAfterMs: Math.max(0, error.untilMs - this.deps.clock.nowMs()) });
      if (error instanceof ReauthRequired) throw new ChannelError('auth', msg);
      if (error instanceof SiteWithoutBattery) throw new ChannelError('unsupported', msg, { httpStatus: 422 });
      if (error instanceof EnphaseRequestRejected) throw new ChannelError(error.status === 401 || error.status === 403 ? 'auth' : 'permanent', msg, { httpStatus: error.status });
      if (error instanceof EnphaseUnavailable) throw new ChannelError(isWrite ? 'unknown-outcome' : 'transient', msg);
      throw new ChannelError('transient', msg);
    }
  }
}

function systemIdOf(siteRef: string): number {
  const id = Number(siteRef);
  if (!Number.isInteger(id) || id <= 0) throw new ChannelError('permanent', `enphase-basic: system id "${siteRef}" is not an integer`);
  return id;
}

/** `basic:<system>:<profile>:<reserve>`: what was written, so status can compare a read-back with it. */
export function externalIdOf(w: Written): string {
  return `basic:${w.systemId}:${w.profile}:${w.reservePercent}`;
}

function parseExternalId(externalId: string): Written {
  const m = /^basic:(\d+):(Self-consumption|Savings Mode|Full Backup):(\d+)$/.exec(externalId);
  if (!m) throw new ChannelError('permanent', `enphase-basic: "${externalId}" is not an id this channel made`);
  return { systemId: Number(m[1]), profile: m[2] as Written['profile'], reservePercent: Number(m[3]) };
}
