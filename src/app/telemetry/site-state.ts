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

const isDue = (at: number | null | undefined, nowMs: number, ttlMs: number) => at === null || at === undefined || nowMs - at >= ttlMs;

/** How many calls `refreshSiteState` will make for a site in this state (at most 3). */
export function siteStateCallsDue(s: SiteState | null, nowMs: number, ttlMs: number): number {
  const hasBattery = s?.hasBattery ?? true;
  return (hasBattery && isDue(s?.settingsFetchedAtMs, nowMs, ttlMs) ? 1 : 0) + (hasBattery && isDue(s?.stormGuardFetchedAtMs, nowMs, ttlMs) ? 1 : 0)
    + (isDue(s?.gridFetchedAtMs, nowMs, ttlMs) ? 1 : 0);
}

/**
 * Re-reads what is due; returns the calls made. `state`: the site's state as just read (else it is read here). What
 * was read is stored in one upsert at the end (also when a later call fails: what was read is kept).
 */
export async function refreshSiteState(opts: { db: Executor; client: EnphaseClient; siteId: string; systemId: number; nowMs: number; ttlMs: number; logger?: Logger; state?: SiteState | null }): Promise<number> {
  const { db, client, siteId, systemId, nowMs, ttlMs } = opts;
  const s = opts.state !== undefined ? opts.state : await getSiteState(db, siteId);
  const due = (at: number | null | undefined) => isDue(at, nowMs, ttlMs);
  let calls = 0;
  const hasBattery = s?.hasBattery ?? true;
  const patch: SiteStatePatch = {};
  try {
    try {
      if (hasBattery && due(s?.settingsFetchedAtMs)) {
        calls++;
        const b = await client.batterySettings(systemId);
        const mode = normaliseBatteryMode(b.battery_mode);
        if (!mode) opts.logger?.warn({ siteId, batteryMode: b.battery_mode }, 'unknown Enphase battery mode spelling; stored raw');
        Object.assign(patch, { hasBattery: true, batteryMode: mode ?? null, batteryModeRaw: b.battery_mode, reserveSoc: b.reserve_soc, chargeFromGrid: parseFlag(b.charge_from_grid) ?? null, settingsFetchedAtMs: nowMs });
      }
      if (hasBattery && due(s?.stormGuardFetchedAtMs)) {
        calls++;
        const g = await client.stormGuard(systemId);
        Object.assign(patch, { stormGuardEnabled: parseFlag(g.storm_guard_status) ?? null, stormAlert: parseFlag(g.storm_alert) ?? null, stormGuardFetchedAtMs: nowMs });
      }
    } catch (error) {
      if (!(error instanceof SiteWithoutBattery)) throw error;
      Object.assign(patch, { hasBattery: false, stormGuardEnabled: false, stormAlert: false });
    }
    if (due(s?.gridFetchedAtMs)) {
      calls++;
      const grid = await client.gridStatus(systemId);
      Object.assign(patch, { gridState: normaliseGridState(grid.grid_state), gridFetchedAtMs: nowMs });
    }
  } finally {
    if (Object.keys(patch).length > 0) await patchSiteState(db, siteId, patch);
  }
  return calls;
}
