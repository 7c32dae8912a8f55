/**
 * Freshness is explicit: the planner gets "SoC x % as of T" with a stale flag, never a bare number. And the
 * dispatcher asks `standAside` before acting: Storm Guard active (enabled and an alert issued), off grid, a grid
 * status that is unknown or older than allowed, or a battery whose SoC is unknown or stale all mean "do not command
 * this battery".
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
  reason: 'storm_guard' | 'off_grid' | 'grid_unknown' | 'state_stale' | 'soc_unknown' | 'soc_stale' | null;
}

/** ENPHASE_SOC_STALE_MINUTES' default: a SoC older than this is not a basis for commands. */
export const DEFAULT_SOC_STALE_MS = 30 * 60_000;

/**
 * Why the dispatcher must leave the site alone right now (reason null = it may act): the grid and Storm Guard
 * state first, then, for a site with a battery, its SoC: none stored or older than `socStaleMs` means "stand aside"
 * (a plan from an unknown state of charge could command the battery past its limits).
 */
export async function standAsideReason(db: Executor, siteId: string, nowMs: number, maxStateAgeMs: number, socStaleMs = DEFAULT_SOC_STALE_MS): Promise<StandAside> {
  const s = await getSiteState(db, siteId);
  if (!s || s.gridFetchedAtMs === null) return { standAside: true, reason: 'grid_unknown' };
  if (s.stormGuardEnabled && s.stormAlert) return { standAside: true, reason: 'storm_guard' };
  if (s.gridState === 'off_grid') return { standAside: true, reason: 'off_grid' };
  if (s.gridState !== 'on_grid') return { standAside: true, reason: 'grid_unknown' };
  if (nowMs - s.gridFetchedAtMs > maxStateAgeMs) return { standAside: true, reason: 'state_stale' };
  if (s.hasBattery) {
    const soc = await latestSoc(db, siteId, nowMs, socStaleMs);
    if (!soc) return { standAside: true, reason: 'soc_unknown' };
    if (soc.stale) return { standAside: true, reason: 'soc_stale' };
  }
  return { standAside: false, reason: null };
}

export async function standAside(db: Executor, siteId: string, nowMs: number, maxStateAgeMs: number, socStaleMs = DEFAULT_SOC_STALE_MS): Promise<boolean> {
  return (await standAsideReason(db, siteId, nowMs, maxStateAgeMs, socStaleMs)).standAside;
}
