/**
 * What the live planner knows about a site beyond prices, gathered from the store (docs/dispatch.md, "Planning
 * inputs"): the commands committed on the channel (to step the measured SoC to the plan's start), the hourly home
 * load and solar history (for the home load forecast) and the reconciler's calibration (round-trip efficiency and
 * command latency). A caller that already holds these (a batched cycle) passes them to `planSite` instead.
 */
import { sql } from 'kysely';
import type { CommittedCommand } from '../../domain/dispatch/committed-soc.js';
import { DEFAULT_HOME_LOAD_DAYS, type HourlyHomeEnergy } from '../../domain/forecast/home-load.js';
import { HOUR_MS, INTERVAL_HOURS } from '../../domain/time/interval.js';
import { listCommands, type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { toDate } from '../../store/mappers.js';
import { getSiteCalibration, type StoredSiteCalibration } from '../../store/reconcile-repo.js';

export interface SiteKnowledge {
  /** The site's commands overlapping the time from the SoC measurement to the plan's start (any state). */
  commands: readonly Command[];
  /** Hourly means of home consumption and solar production over the last `DEFAULT_HOME_LOAD_DAYS` days. */
  homeHistory: readonly HourlyHomeEnergy[];
  calibration: StoredSiteCalibration | null;
}

/** States in which a command is (or may be) on the channel, or ran there until it ended. */
const RUNNING: ReadonlySet<string> = new Set(['sending', 'accepted', 'scheduled', 'active', 'completed', 'reverted_early']);
/** Ended before their window end: they acted until then, if the channel ever took them. */
const ENDED_EARLY: ReadonlySet<string> = new Set(['superseded', 'cancelled', 'overridden', 'failed']);

/** The commands that act on the battery whatever a new plan says, in the order they were planned (later wins). */
export function committedCommands(commands: readonly Command[]): CommittedCommand[] {
  const out: CommittedCommand[] = [];
  for (const c of [...commands].sort((a, b) => a.plannedAtMs - b.plannedAtMs)) {
    const state: string = c.state;
    let endMs = c.windowEndMs;
    if (ENDED_EARLY.has(state)) {
      if (c.acceptedAtMs === null && c.activeAtMs === null && c.scheduledAtMs === null) continue;
      endMs = Math.min(endMs, c.finishedAtMs ?? endMs);
    } else if (!RUNNING.has(state)) continue;
    if (endMs <= c.windowStartMs) continue;
    out.push({ commandId: c.commandId, mode: c.mode, powerKw: c.powerKw ?? 0, targetReservePercent: c.targetReservePercent, startMs: c.windowStartMs, endMs });
  }
  return out;
}

/**
 * Hourly means (kW) of home consumption and solar production per UTC hour in [fromMs, toMs), from the 15-minute
 * telemetry rows (a row covers the 15 minutes before its interval end). One aggregated read per site.
 */
export async function readHomeEnergyHistory(db: Executor, siteId: string, fromMs: number, toMs: number): Promise<HourlyHomeEnergy[]> {
  const rows = await sql<{ hour: string | number; load_wh: number | null; solar_wh: number | null }>`
    select floor((extract(epoch from interval_end) - 900) / 3600) as hour, avg(consumption_wh) as load_wh, avg(production_wh) as solar_wh
    from telemetry
    where site_id = ${siteId} and interval_end > ${toDate(fromMs)} and interval_end <= ${toDate(toMs)}
    group by 1 order by 1`.execute(db);
  const kw = (wh: number | null): number | null => (wh === null ? null : Number(wh) / 1000 / INTERVAL_HOURS);
  return rows.rows.map((r) => ({ hourStartMs: Number(r.hour) * HOUR_MS, loadKw: kw(r.load_wh), solarKw: kw(r.solar_wh) }));
}

/** Reads a site's planning knowledge: commands since `sinceMs` (the SoC measurement), the home history, the calibration. */
export async function loadSiteKnowledge(db: Executor, siteId: string, sinceMs: number, nowMs: number): Promise<SiteKnowledge> {
  const [commands, homeHistory, calibration] = await Promise.all([
    listCommands(db, siteId, { startMs: sinceMs - HOUR_MS, endMs: nowMs + 2 * HOUR_MS }),
    readHomeEnergyHistory(db, siteId, nowMs - DEFAULT_HOME_LOAD_DAYS * 24 * HOUR_MS - HOUR_MS, nowMs),
    getSiteCalibration(db, siteId),
  ]);
  return { commands, homeHistory, calibration };
}
