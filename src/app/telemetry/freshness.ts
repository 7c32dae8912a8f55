/**
 * Freshness is explicit: the planner gets "SoC x % as of T" with a stale flag, never a bare number. And the
 * dispatcher asks `standAside` before acting: Storm Guard active (enabled and an alert issued), off grid, or a grid
 * status that is unknown or older than allowed all mean "do not command this battery".
 */
import type { Executor } from '../../store/database.js';
import { latestTelemetryWith } from './latest.js';
import { getSiteState } from './enphase-tables.js';

export interface SocReading {
  socPercent: number;
  /** End of the interval the SoC was measured at (UTC epoch ms). */
  asOfMs: number;
  ageMs: number;
  stale: boolean;
}

/** The newest stored SoC of a site, or null when none is stored. */
export async function latestSoc(db: Executor, siteId: string, nowMs: number, staleAfterMs: number): Promise<SocReading | null> {
  const row = await latestTelemetryWith(db, siteId, 'soc_percent');
  if (!row || row.socPercent === null) return null;
  const ageMs = nowMs - row.intervalEndMs;
  return { socPercent: row.socPercent, asOfMs: row.intervalEndMs, ageMs, stale: ageMs > staleAfterMs };
}

export interface StandAside {
  standAside: boolean;
  reason: 'storm_guard' | 'off_grid' | 'grid_unknown' | 'state_stale' | null;
}

/** Why the dispatcher must leave the site alone right now (reason null = it may act). */
export async function standAsideReason(db: Executor, siteId: string, nowMs: number, maxStateAgeMs: number): Promise<StandAside> {
  const s = await getSiteState(db, siteId);
  if (!s || s.gridFetchedAtMs === null) return { standAside: true, reason: 'grid_unknown' };
  if (s.stormGuardEnabled && s.stormAlert) return { standAside: true, reason: 'storm_guard' };
  if (s.gridState === 'off_grid') return { standAside: true, reason: 'off_grid' };
  if (s.gridState !== 'on_grid') return { standAside: true, reason: 'grid_unknown' };
  if (nowMs - s.gridFetchedAtMs > maxStateAgeMs) return { standAside: true, reason: 'state_stale' };
  return { standAside: false, reason: null };
}

export async function standAside(db: Executor, siteId: string, nowMs: number, maxStateAgeMs: number): Promise<boolean> {
  return (await standAsideReason(db, siteId, nowMs, maxStateAgeMs)).standAside;
}
