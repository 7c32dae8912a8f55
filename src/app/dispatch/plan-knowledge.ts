/**
 * What the live planner knows about a site beyond prices, gathered from the store (docs/dispatch.md, "Planning
 * inputs"): the commands committed on the channel (to step the measured SoC to the plan's start), the hourly home
 * load and solar history (for the home load forecast) and the reconciler's calibration (round-trip efficiency and
 * command latency). The dispatch cycle reads them with the rest of the site in one statement (site-context.ts) and passes
 * them to `planSite`; other callers read them here.
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

/** The hour a telemetry row belongs to (hours since the epoch): its interval ends in (h:00, h+1:00]. Also in migration 0012. */
export const HOUR_OF_INTERVAL_END = sql`floor((extract(epoch from interval_end) - 900) / 3600)`;

/**
 * Hourly means (kW) of home consumption and solar production per UTC hour in [fromMs, toMs), from the 15-minute
 * telemetry rows (a row covers the 15 minutes before its interval end), for many sites in one aggregated read.
 */
export async function readHomeEnergyHistories(db: Executor, siteIds: readonly string[], fromMs: number, toMs: number): Promise<Map<string, HourlyHomeEnergy[]>> {
  const out = new Map<string, HourlyHomeEnergy[]>(siteIds.map((id) => [id, []]));
  if (!siteIds.length) return out;
  const rows = await sql<{ site_id: string; hour: string | number; load_wh: number | string | null; solar_wh: number | string | null }>`
    select site_id, ${HOUR_OF_INTERVAL_END} as hour, avg(consumption_wh) as load_wh, avg(production_wh) as solar_wh
    from telemetry
    where site_id in (${sql.join([...siteIds])}) and interval_end > ${toDate(fromMs)} and interval_end <= ${toDate(toMs)}
    group by 1, 2 order by 1, 2`.execute(db);
  const kw = (wh: number | string | null): number | null => (wh === null ? null : Number(wh) / 1000 / INTERVAL_HOURS);
  for (const r of rows.rows) out.get(r.site_id)?.push({ hourStartMs: Number(r.hour) * HOUR_MS, loadKw: kw(r.load_wh), solarKw: kw(r.solar_wh) });
  return out;
}

export async function readHomeEnergyHistory(db: Executor, siteId: string, fromMs: number, toMs: number): Promise<HourlyHomeEnergy[]> {
  return (await readHomeEnergyHistories(db, [siteId], fromMs, toMs)).get(siteId)!;
}

/** The home history window the planner reads at `nowMs`. */
export function homeHistoryWindow(nowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: nowMs - DEFAULT_HOME_LOAD_DAYS * 24 * HOUR_MS - HOUR_MS, toMs: nowMs };
}

/** The commands the planner steps the SoC through: those overlapping an hour before the measurement to 2 h after now. */
export function knowledgeCommandWindow(sinceMs: number, nowMs: number): { startMs: number; endMs: number } {
  return { startMs: sinceMs - HOUR_MS, endMs: nowMs + 2 * HOUR_MS };
}

/**
 * Reads a site's planning knowledge: commands since `sinceMs` (the SoC measurement), the home history, the
 * calibration — each only when `known` does not hold it already.
 */
export async function loadSiteKnowledge(db: Executor, siteId: string, sinceMs: number, nowMs: number, known: Partial<SiteKnowledge> = {}): Promise<SiteKnowledge> {
  const w = homeHistoryWindow(nowMs);
  const [commands, homeHistory, calibration] = await Promise.all([
    known.commands ?? listCommands(db, siteId, knowledgeCommandWindow(sinceMs, nowMs)),
    known.homeHistory ?? readHomeEnergyHistory(db, siteId, w.fromMs, w.toMs),
    known.calibration !== undefined ? known.calibration : getSiteCalibration(db, siteId),
  ]);
  return { commands, homeHistory, calibration };
}
