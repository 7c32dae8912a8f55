/**
 * Planned vs actual for one site and day. From the reconciler's rows (table reconciliations) when there are any for
 * the day; otherwise from what the plans and telemetry give (planned energy/SoC/$ from the plans, actual SoC from
 * telemetry, no realised $), and the page says so.
 */
import { ercotDay } from '../../domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { getTelemetry } from '../../store/telemetry-repo.js';
import type { Site } from '../../store/sites-repo.js';
import { clock } from '../html.js';
import type { ReconciliationView } from '../schemas.js';
import { loadDayPlan } from './day-plan.js';

export async function loadReconciliation(db: Executor, site: Site, date: string, nowMs: number): Promise<ReconciliationView> {
  const day = ercotDay(date);
  const plan = await loadDayPlan(db, site, date, nowMs);
  const rows = await db.selectFrom('reconciliations').selectAll().where('site_id', '=', site.siteId).where('interval_start', '>=', new Date(day.startMs)).where('interval_start', '<', new Date(day.endMs)).orderBy('interval_start').execute();
  const expectedUsd = plan.headline.expectedUsd;
  if (rows.length) {
    return {
      siteId: site.siteId, date, source: 'reconciliations', note: 'From the reconciler (table reconciliations).',
      expectedUsd: rows.reduce((s, r) => s + (r.planned_usd ?? 0), 0),
      realisedUsd: rows.reduce((s, r) => s + (r.realised_usd ?? 0), 0),
      intervals: rows.map((r) => ({ startMs: r.interval_start.getTime(), time: clock(r.interval_start.getTime()), plannedChargeKwh: r.planned_charge_kwh, actualChargeKwh: r.actual_charge_kwh, plannedDischargeKwh: r.planned_discharge_kwh, actualDischargeKwh: r.actual_discharge_kwh, plannedSocPercent: r.planned_soc_percent, actualSocPercent: r.actual_soc_percent, plannedUsd: r.planned_usd, realisedUsd: r.realised_usd, commandOutcome: r.command_outcome })),
      commands: plan.commands,
    };
  }
  const telemetry = await getTelemetry(db, site.siteId, day.startMs, day.endMs + INTERVAL_MS);
  const actual = new Map(telemetry.map((t) => [t.intervalEndMs, t]));
  const h = INTERVAL_MS / 3_600_000;
  return {
    siteId: site.siteId, date, source: 'plans-and-commands',
    note: 'The reconciler has not written rows for this day (or is not installed yet): planned values come from the plans, actual SoC and energy from telemetry; realised $ needs the reconciler.',
    expectedUsd, realisedUsd: null,
    intervals: plan.intervals.map((i) => {
      const t = actual.get(i.startMs + INTERVAL_MS);
      return { startMs: i.startMs, time: i.time, plannedChargeKwh: i.chargeKw === null ? null : i.chargeKw * h, actualChargeKwh: t?.chargeWh == null ? null : t.chargeWh / 1000, plannedDischargeKwh: i.dischargeKw === null ? null : i.dischargeKw * h, actualDischargeKwh: t?.dischargeWh == null ? null : t.dischargeWh / 1000, plannedSocPercent: i.socPercent, actualSocPercent: t?.socPercent ?? null, plannedUsd: i.expectedUsd, realisedUsd: null, commandOutcome: null };
    }),
    commands: plan.commands,
  };
}
