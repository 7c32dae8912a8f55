/**
 * What the dispatcher knows about a site's device before it decides: the telemetry SoC and its age, Storm Guard and
 * grid state (the Enphase site state the telemetry job stores, and the channel's own settings read), a
 * re-authorisation need, a recent homeowner opt-out, and a person's manual change.
 *
 * Manual change: the reserve/profile read back from the device must be what the engine expects (the site's reserve,
 * or the target of one of its own commands on the channel; the profile first seen). A stale or failed read proves
 * nothing; a mismatch must repeat `manualChangeReads` times in a row before the site is paused (one odd read is
 * tolerated). The pause stays until a person resumes the site (`sites resume`).
 */
import type { DeviceState } from '../../domain/dispatch/decide.js';
import type { ControlChannel, DeviceSettingsReading } from '../../domain/ports/control-channel.js';
import { type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import type { SiteDispatch, SiteDispatchPatch } from '../../store/dispatch-repo.js';
import type { Site } from '../../store/sites-repo.js';
import type { StoredTelemetry } from '../../store/telemetry-repo.js';
import { getSiteState, type SiteState } from '../telemetry/enphase-tables.js';
import { latestTelemetryWith } from '../telemetry/latest.js';
import { storeSiteCommands, type SiteCommands } from './site-commands.js';

export interface DeviceStateOptions {
  manualChangeReads: number;
  settingsMaxAgeMs: number;
  optOutStandAsideMs: number;
  /** Enphase site state (Storm Guard, grid) older than this is not trusted for Enphase sites. */
  siteStateMaxAgeMs: number;
  /**
   * The settings the telemetry poll stored (enphase_site_state) stand in for the channel's own read when the channel
   * reads the same thing (`settingsSource: 'enphase-system'`) and both battery settings and Storm Guard were read at
   * most this long ago (default 2 min: the fleet's poll at the start of the same cycle). 0 = always ask the channel.
   */
  storedSettingsMaxAgeMs?: number;
}

const STORED_SETTINGS_MAX_AGE_MS = 2 * 60_000;

/** The poll's stored settings as a channel reading, when they may stand in for one (see storedSettingsMaxAgeMs). */
export function storedSettingsReading(channel: ControlChannel, site: Site, state: SiteState | null | undefined, nowMs: number, maxAgeMs = STORED_SETTINGS_MAX_AGE_MS): DeviceSettingsReading | null {
  if (channel.settingsSource !== 'enphase-system' || !site.enphaseSystemId || !state || !state.hasBattery || maxAgeMs <= 0) return null;
  if (state.settingsFetchedAtMs === null || state.stormGuardFetchedAtMs === null) return null;
  const asOfMs = Math.min(state.settingsFetchedAtMs, state.stormGuardFetchedAtMs);
  if (nowMs - asOfMs > maxAgeMs || asOfMs > nowMs + maxAgeMs) return null;
  return {
    asOfMs,
    reservePercent: state.reserveSoc ?? undefined,
    profile: state.batteryMode ?? state.batteryModeRaw ?? undefined,
    stormGuardActive: state.stormGuardEnabled === true && state.stormAlert === true,
  };
}

export interface DeviceStateResult {
  device: DeviceState;
  socPercent: number | null;
  patch: SiteDispatchPatch;
  notes: string[];
}

const RESERVE_TOLERANCE_PERCENT = 1;

export async function readDeviceState(
  db: Executor,
  site: Site,
  channel: ControlChannel,
  siteRef: string,
  sd: SiteDispatch | null,
  nowMs: number,
  o: DeviceStateOptions,
  /** What the cycle already read (site context); absent parts are read from the store. */
  known: { soc?: StoredTelemetry | null; siteState?: SiteState | null; commands?: SiteCommands } = {},
): Promise<DeviceStateResult> {
  const notes: string[] = [];
  const cmds = known.commands ?? storeSiteCommands(db, site.siteId);
  const soc = known.soc !== undefined ? known.soc : await latestTelemetryWith(db, site.siteId, 'soc_percent');
  const socPercent = soc?.socPercent ?? null;
  const device: DeviceState = { socAsOfMs: soc && socPercent !== null && Number.isFinite(socPercent) && socPercent >= 0 && socPercent <= 100 ? soc.intervalEndMs : null };
  if (soc && device.socAsOfMs === null) device.unusable = `the newest telemetry SoC (${String(socPercent)} %) makes no sense`;
  if (site.status === 'paused') device.unusable = 'the site is paused (sites.status)';
  device.needsReauth = site.status === 'needs_reauth';
  const siteState = known.siteState !== undefined ? known.siteState : site.enphaseSystemId ? await getSiteState(db, site.siteId) : null;
  await enphaseFlags(site, nowMs, o.siteStateMaxAgeMs, device, notes, siteState);
  device.optedOut = await recentlyOptedOut(cmds, nowMs, o.optOutStandAsideMs);
  const patch: SiteDispatchPatch = {};
  if (sd?.status === 'paused_manual_change') {
    device.manualChange = sd.reason?.replace(/^paused: a person changed the battery \((.*)\); resume.*$/, '$1') ?? 'a manual change';
    return { device, socPercent, patch, notes };
  }
  if (!device.needsReauth) {
    const stored = storedSettingsReading(channel, site, siteState, nowMs, o.storedSettingsMaxAgeMs);
    await checkSettings(db, site, channel, siteRef, sd, nowMs, o, device, patch, notes, cmds, stored ?? undefined);
  }
  return { device, socPercent, patch, notes };
}

async function enphaseFlags(site: Site, nowMs: number, maxAgeMs: number, device: DeviceState, notes: string[], s: SiteState | null): Promise<void> {
  if (!site.enphaseSystemId || !s) return;
  if (s.stormGuardEnabled && s.stormAlert) device.stormGuardActive = true;
  if (s.gridState === 'off_grid') device.offGrid = true;
  if (s.gridFetchedAtMs !== null && nowMs - s.gridFetchedAtMs > maxAgeMs) notes.push('Enphase grid status is stale');
}

async function recentlyOptedOut(cmds: SiteCommands, nowMs: number, windowMs: number): Promise<boolean> {
  const rows = await cmds.list({ states: ['overridden'], startMs: nowMs - windowMs });
  return rows.some((c) => (c.error ?? '').startsWith('opted-out') && (c.finishedAtMs ?? 0) >= nowMs - windowMs);
}

/** Reads the device's settings (when the channel can) and runs the manual-change check. */
export async function checkSettings(
  db: Executor,
  site: Site,
  channel: ControlChannel,
  siteRef: string,
  sd: SiteDispatch | null,
  nowMs: number,
  o: DeviceStateOptions,
  device: DeviceState,
  patch: SiteDispatchPatch,
  notes: string[],
  commands?: SiteCommands,
  /** A reading the engine already has (storedSettingsReading): the channel is not asked. */
  given?: DeviceSettingsReading,
): Promise<void> {
  if (!channel.readSettings && !given) return;
  let reading: DeviceSettingsReading;
  try {
    reading = given ?? (await channel.readSettings!(siteRef));
  } catch (e) {
    notes.push(`settings read failed (tolerated): ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  if (reading.stormGuardActive) device.stormGuardActive = true;
  if (reading.offGrid) device.offGrid = true;
  if (nowMs - reading.asOfMs > o.settingsMaxAgeMs) {
    notes.push('settings reading is stale (tolerated)');
    return;
  }
  const own = await (commands ?? storeSiteCommands(db, site.siteId)).list({ states: ['accepted', 'scheduled', 'active'] });
  const mismatch = settingsMismatch(reading, site, own, sd?.expectedProfile ?? null);
  if (sd?.expectedProfile == null && reading.profile !== undefined && own.length === 0) patch.expectedProfile = reading.profile;
  if (!mismatch) {
    if ((sd?.suspectReads ?? 0) !== 0) patch.suspectReads = 0;
    return;
  }
  const count = (sd?.suspectReads ?? 0) + 1;
  patch.suspectReads = count;
  if (count >= o.manualChangeReads) {
    device.manualChange = mismatch;
    patch.pausedAtMs = nowMs;
  } else {
    notes.push(`device settings differ from what the engine set (${mismatch}); read ${count} of ${o.manualChangeReads} before pausing`);
  }
}

/** What differs from what the engine set, or null. */
export function settingsMismatch(reading: DeviceSettingsReading, site: Site, own: readonly Command[], expectedProfile: string | null): string | null {
  if (reading.reservePercent !== undefined) {
    const allowed = [site.reservePercent, site.battery.minReservePercent, ...own.map((c) => c.targetReservePercent ?? NaN)];
    if (!allowed.some((a) => Math.abs(a - reading.reservePercent!) <= RESERVE_TOLERANCE_PERCENT)) {
      return `reserve ${reading.reservePercent} % (engine expects ${site.reservePercent} %)`;
    }
  }
  if (reading.profile !== undefined && expectedProfile !== null && own.length === 0 && reading.profile !== expectedProfile) {
    return `profile "${reading.profile}" (engine expects "${expectedProfile}")`;
  }
  return null;
}
