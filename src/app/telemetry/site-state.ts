/**
 * battery_settings, storm_guard and grid_status, re-read when older than the TTL and stored in
 * enphase_site_state. A site without batteries (422) only gets grid_status.
 */
import type { EnphaseClient } from '../../adapters/enphase/client.js';
import { SiteWithoutBattery } from '../../adapters/enphase/errors.js';
import { normaliseBatteryMode, normaliseGridState, parseFlag } from '../../adapters/enphase/normalise.js';
import type { Executor } from '../../store/database.js';
import type { Logger } from '../logger.js';
import { getSiteState, patchSiteState, type SiteState, type SiteStatePatch } from './enphase-tables.js';

const dueAt = (at: number | null | undefined, nowMs: number, ttlMs: number): boolean => at === null || at === undefined || nowMs - at >= ttlMs;

/** How many settings calls `refreshSiteState` will make for this state (a site's calls can then be reserved at once). */
export function settingsCallsDue(s: SiteState | null, nowMs: number, ttlMs: number): number {
  const hasBattery = s?.hasBattery ?? true;
  return (hasBattery && dueAt(s?.settingsFetchedAtMs, nowMs, ttlMs) ? 1 : 0) + (hasBattery && dueAt(s?.stormGuardFetchedAtMs, nowMs, ttlMs) ? 1 : 0) + (dueAt(s?.gridFetchedAtMs, nowMs, ttlMs) ? 1 : 0);
}

/** Re-reads what is due; what was read is stored in one upsert at the end (also when a later call failed). */
export async function refreshSiteState(opts: { db: Executor; client: EnphaseClient; siteId: string; systemId: number; nowMs: number; ttlMs: number; logger?: Logger; known?: SiteState | null }): Promise<number> {
  const s = opts.known !== undefined ? opts.known : await getSiteState(opts.db, opts.siteId);
  const read: SiteStateRead = { calls: 0, patch: {} };
  try {
    await readSiteStateInto(read, { ...opts, known: s });
  } finally {
    if (Object.keys(read.patch).length) await patchSiteState(opts.db, opts.siteId, read.patch);
  }
  return read.calls;
}

/** What a settings read gathered so far: the calls made and the state patch (kept when a later call throws). */
export interface SiteStateRead {
  calls: number;
  patch: SiteStatePatch;
}

/** Calls what is due and adds it to `read` as it goes (nothing is stored: the caller writes `read.patch`). */
export async function readSiteStateInto(read: SiteStateRead, opts: { client: EnphaseClient; siteId: string; systemId: number; nowMs: number; ttlMs: number; logger?: Logger; known: SiteState | null }): Promise<void> {
  const { client, siteId, systemId, nowMs, ttlMs } = opts;
  const s = opts.known;
  const due = (at: number | null | undefined) => dueAt(at, nowMs, ttlMs);
  const hasBattery = s?.hasBattery ?? true;
  try {
    if (hasBattery && due(s?.settingsFetchedAtMs)) {
      read.calls++;
      const b = await client.batterySettings(systemId);
      const mode = normaliseBatteryMode(b.battery_mode);
      if (!mode) opts.logger?.warn({ siteId, batteryMode: b.battery_mode }, 'unknown Enphase battery mode spelling; stored raw');
      read.patch = { ...read.patch, hasBattery: true, batteryMode: mode ?? null, batteryModeRaw: b.battery_mode, reserveSoc: b.reserve_soc, chargeFromGrid: parseFlag(b.charge_from_grid) ?? null, settingsFetchedAtMs: nowMs };
    }
    if (hasBattery && due(s?.stormGuardFetchedAtMs)) {
      read.calls++;
      const g = await client.stormGuard(systemId);
      read.patch = { ...read.patch, stormGuardEnabled: parseFlag(g.storm_guard_status) ?? null, stormAlert: parseFlag(g.storm_alert) ?? null, stormGuardFetchedAtMs: nowMs };
    }
  } catch (error) {
    if (!(error instanceof SiteWithoutBattery)) throw error;
    read.patch = { ...read.patch, hasBattery: false, stormGuardEnabled: false, stormAlert: false };
  }
  if (due(s?.gridFetchedAtMs)) {
    read.calls++;
    const grid = await client.gridStatus(systemId);
    read.patch = { ...read.patch, gridState: normaliseGridState(grid.grid_state), gridFetchedAtMs: nowMs };
  }
}
