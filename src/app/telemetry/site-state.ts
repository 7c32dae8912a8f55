/**
 * battery_settings, storm_guard and grid_status, re-read when older than the TTL and stored in
 * enphase_site_state. A site without batteries (422) only gets grid_status.
 */
import type { EnphaseClient } from '../../adapters/enphase/client.js';
import { SiteWithoutBattery } from '../../adapters/enphase/errors.js';
import { normaliseBatteryMode, normaliseGridState, parseFlag } from '../../adapters/enphase/normalise.js';
import type { Executor } from '../../store/database.js';
import type { Logger } from '../logger.js';
import { getSiteState, patchSiteState } from './enphase-tables.js';

export async function refreshSiteState(opts: { db: Executor; client: EnphaseClient; siteId: string; systemId: number; nowMs: number; ttlMs: number; logger?: Logger }): Promise<number> {
  const { db, client, siteId, systemId, nowMs, ttlMs } = opts;
  const s = await getSiteState(db, siteId);
  const due = (at: number | null | undefined) => at === null || at === undefined || nowMs - at >= ttlMs;
  let calls = 0;
  const hasBattery = s?.hasBattery ?? true;
  try {
    if (hasBattery && due(s?.settingsFetchedAtMs)) {
      calls++;
      const b = await client.batterySettings(systemId);
      const mode = normaliseBatteryMode(b.battery_mode);
      if (!mode) opts.logger?.warn({ siteId, batteryMode: b.battery_mode }, 'unknown Enphase battery mode spelling; stored raw');
      await patchSiteState(db, siteId, { hasBattery: true, batteryMode: mode ?? null, batteryModeRaw: b.battery_mode, reserveSoc: b.reserve_soc, chargeFromGrid: parseFlag(b.charge_from_grid) ?? null, settingsFetchedAtMs: nowMs });
    }
    if (hasBattery && due(s?.stormGuardFetchedAtMs)) {
      calls++;
      const g = await client.stormGuard(systemId);
      await patchSiteState(db, siteId, { stormGuardEnabled: parseFlag(g.storm_guard_status) ?? null, stormAlert: parseFlag(g.storm_alert) ?? null, stormGuardFetchedAtMs: nowMs });
    }
  } catch (error) {
    if (!(error instanceof SiteWithoutBattery)) throw error;
    await patchSiteState(db, siteId, { hasBattery: false, stormGuardEnabled: false, stormAlert: false });
  }
  if (due(s?.gridFetchedAtMs)) {
    calls++;
    const grid = await client.gridStatus(systemId);
    await patchSiteState(db, siteId, { gridState: normaliseGridState(grid.grid_state), gridFetchedAtMs: nowMs });
  }
  return calls;
}
