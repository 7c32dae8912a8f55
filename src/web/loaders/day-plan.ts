/**
 * A site's day plan for one ERCOT delivery date (92, 96 or 100 intervals): for each interval the real-time and
 * day-ahead prices, and what the plan (the chosen version, or for intervals before its horizon the newest earlier
 * version that covered them) planned: forecast price used, charge/discharge kW, SoC, expected $; the plan's
 * windows, the site's commands that day with their states and overrides, headline figures and what changed.
 */
import { sql } from 'kysely';
import { dayAheadSeries } from '../../app/dispatch/plan-site.js';
import type { PlannedWindow } from '../../domain/dispatch/plan-windows.js';
import { ercotDay } from '../../domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import { listCommands } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { getFleetDispatchMode, getPlanByVersion, getSiteDispatch, latestVersionedPlan, listApprovals, type VersionedPlanSummary } from '../../store/dispatch-repo.js';
import { getPriceSeries } from '../../store/prices-repo.js';
import { listReviewActions, listWindowOverrides } from '../../store/review-actions-repo.js';
import type { Site } from '../../store/sites-repo.js';
import { clock } from '../html.js';
import type { DayInterval, DayPlanView, WindowView } from '../schemas.js';
import { planChanges } from './changes.js';

export class PlanVersionNotFound extends Error {
  constructor(readonly siteId: string, readonly version: number) {
    super(`site ${siteId} has no plan version ${version}`);
    this.name = 'PlanVersionNotFound';
  }
}

interface PlannedRow {
  interval_start: Date;
  charge_kw: number;
  discharge_kw: number;
  soc_kwh_end: number;
  price_usd_per_mwh: number | null;
  plan_version: number;
}

export async function loadDayPlan(db: Executor, site: Site, date: string, nowMs: number, version?: number): Promise<DayPlanView> {
  const day = ercotDay(date);
  const plan = version !== undefined ? await getPlanByVersion(db, site.siteId, version) : await latestVersionedPlan(db, site.siteId);
  if (version !== undefined && !plan) throw new PlanVersionNotFound(site.siteId, version);
  const maxVersion = plan?.planVersion ?? 0;
  const [rt, da, plannedRows, commands, overrides, sd, fleetMode, approvals, actions, planRow] = await Promise.all([
    getPriceSeries(db, { market: 'rt15', settlementPoint: site.settlementPoint, startMs: day.startMs, endMs: day.endMs }),
    dayAheadSeries(db, site.settlementPoint, day.startMs, day.endMs),
    sql<PlannedRow>`select distinct on (pi.interval_start) pi.interval_start, pi.charge_kw, pi.discharge_kw, pi.soc_kwh_end, pi.price_usd_per_mwh, p.plan_version
      from plans p cross join lateral unnest(p.interval_starts, p.charge_kw, p.discharge_kw, p.soc_kwh_end, p.price_usd_per_mwh)
        as pi(interval_start, charge_kw, discharge_kw, soc_kwh_end, price_usd_per_mwh)
      where p.site_id = ${site.siteId} and p.plan_version <= ${maxVersion} and pi.interval_start >= ${new Date(day.startMs)} and pi.interval_start < ${new Date(day.endMs)}
      order by pi.interval_start, p.plan_version desc`.execute(db),
    listCommands(db, site.siteId, { startMs: day.startMs, endMs: day.endMs }),
    listWindowOverrides(db, site.siteId, day.startMs, day.endMs),
    getSiteDispatch(db, site.siteId),
    getFleetDispatchMode(db),
    listApprovals(db, site.siteId, 50),
    listReviewActions(db, site.siteId, 20),
    plan ? db.selectFrom('plans').select(['verification']).where('plan_id', '=', plan.planId).executeTakeFirst() : Promise.resolve(undefined),
  ]);
  const capacityKwh = site.battery.capacityKwh;
  const reserveFloorKwh = (Math.max(10, site.reservePercent, site.battery.minReservePercent ?? 0) / 100) * capacityKwh;
  const windows = planWindowsOf(plan);
  const byStart = new Map(plannedRows.rows.map((r) => [r.interval_start.getTime(), r]));
  const rtAt = seriesReader(rt.startMs, rt.pricesUsdPerMwh);
  const daAt = seriesReader(da.startMs, da.pricesUsdPerMwh);
  const intervals: DayInterval[] = [];
  for (let ms = day.startMs; ms < day.endMs; ms += INTERVAL_MS) {
    const r = byStart.get(ms);
    const price = r?.price_usd_per_mwh ?? null;
    const expectedUsd = r && price !== null ? ((r.discharge_kw - r.charge_kw) * (INTERVAL_MS / 3_600_000) * price) / 1000 : null;
    const o = overrides.find((x) => x.windowStartMs <= ms && ms < x.windowEndMs);
    const w = o ? { reason: overrideText(o) } : (windows.find((x) => x.startMs <= ms && ms < x.endMs) ?? commands.find((c) => c.windowStartMs <= ms && ms < c.windowEndMs));
    intervals.push({
      startMs: ms,
      time: clock(ms),
      rtUsdPerMwh: rtAt(ms),
      daUsdPerMwh: daAt(ms),
      forecastUsdPerMwh: price,
      chargeKw: r?.charge_kw ?? null,
      dischargeKw: r?.discharge_kw ?? null,
      socKwh: r?.soc_kwh_end ?? null,
      socPercent: r ? (r.soc_kwh_end / capacityKwh) * 100 : null,
      expectedUsd,
      planVersion: r?.plan_version ?? null,
      reason: w?.reason ?? null,
    });
  }
  const overrideOf = (startMs: number, endMs: number): string | null => overrides.find((o) => o.windowStartMs < endMs && startMs < o.windowEndMs)?.mode ?? null;
  const verification = planRow?.verification as { ok?: boolean } | null | undefined;
  return {
    siteId: site.siteId,
    siteName: site.name,
    date,
    hours: day.hours,
    intervalCount: day.intervals,
    nowMs,
    mode: sd?.mode ?? fleetMode,
    held: site.status === 'paused',
    status: site.status === 'paused' ? 'held' : (sd?.status ?? 'idle'),
    reason: sd?.reason ?? null,
    plan: plan ? { planId: plan.planId, planVersion: plan.planVersion, createdAtMs: plan.createdAtMs, solver: plan.solver, objectiveUsd: plan.objectiveUsd, approved: approvals.some((a) => a.planVersion === plan.planVersion), verified: verification?.ok !== false } : null,
    capacityKwh,
    reserveFloorKwh,
    headline: headline(intervals, capacityKwh, reserveFloorKwh),
    intervals,
    windows,
    commands: commands.map((c) => ({ commandId: c.commandId, mode: c.mode, state: c.state, startMs: c.windowStartMs, endMs: c.windowEndMs, powerKw: c.powerKw, targetReservePercent: c.targetReservePercent, planVersion: c.planVersion, reason: c.reason, error: c.error, override: overrideOf(c.windowStartMs, c.windowEndMs) })),
    overrides: overrides.map((o) => ({ windowStartMs: o.windowStartMs, windowEndMs: o.windowEndMs, mode: o.mode, powerKw: o.powerKw, setBy: o.setBy, setAtMs: o.setAtMs })),
    changes: plan ? await planChanges(db, site.siteId, plan) : null,
    actions: actions.map((a) => ({ action: a.action, planVersion: a.planVersion, detail: a.detail, actedBy: a.actedBy, actedAtMs: a.actedAtMs })),
  };
}

/** "override by dana: charge 5.0 kW 19:00–20:00" (idle: "nothing sent"). */
export function overrideText(o: { windowStartMs: number; windowEndMs: number; mode: string; powerKw: number | null; setBy: string }): string {
  const what = o.mode === 'idle' ? 'idle (nothing sent)' : `${o.mode}${o.powerKw !== null ? ` ${o.powerKw.toFixed(1)} kW` : ' at the battery limit'}`;
  return `override by ${o.setBy}: ${what} ${clock(o.windowStartMs)}–${clock(o.windowEndMs)}`;
}

export function planWindowsOf(plan: VersionedPlanSummary | null): WindowView[] {
  const raw = Array.isArray(plan?.windows) ? (plan!.windows as PlannedWindow[]) : [];
  return raw.map((w) => ({ mode: w.mode, powerKw: w.powerKw, targetReservePercent: w.targetReservePercent, startMs: w.startMs, endMs: w.endMs, reason: w.reason }));
}

function seriesReader(startMs: number, values: ArrayLike<number>): (ms: number) => number | null {
  return (ms) => {
    const i = (ms - startMs) / INTERVAL_MS;
    const v = i >= 0 && i < values.length ? values[i] : NaN;
    return Number.isFinite(v) ? v : null;
  };
}

function headline(intervals: DayInterval[], capacityKwh: number, floorKwh: number): DayPlanView['headline'] {
  const h = INTERVAL_MS / 3_600_000;
  let expectedUsd = 0;
  let chargedKwh = 0;
  let dischargedKwh = 0;
  let fullAtMs: number | null = null;
  let emptyAtMs: number | null = null;
  for (const i of intervals) {
    expectedUsd += i.expectedUsd ?? 0;
    chargedKwh += (i.chargeKw ?? 0) * h;
    dischargedKwh += (i.dischargeKw ?? 0) * h;
    if (i.socKwh === null) continue;
    if (fullAtMs === null && i.socKwh >= capacityKwh - 0.05) fullAtMs = i.startMs + INTERVAL_MS;
    if (emptyAtMs === null && i.socKwh <= floorKwh + 0.05) emptyAtMs = i.startMs + INTERVAL_MS;
  }
  return { expectedUsd, chargedKwh, dischargedKwh, cycles: capacityKwh > 0 ? dischargedKwh / capacityKwh : 0, fullAtMs, emptyAtMs };
}
