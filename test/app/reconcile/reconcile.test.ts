/**
 * The reconciler against a real database: a plan on the 2024-11-03 fall-back day (100 intervals) with a charge at a
 * negative price, a discharge into a $5,000 spike, a Storm-Guard override and a discharge that reverted early at its
 * target; telemetry arrives late (a first run sees half of it), which revises the intervals; the report covers the
 * DST day. Expected values are computed by hand in the comments (20 kWh battery, 0.9 each way).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { plannerCalibration } from '../../../src/app/reconcile/calibration.js';
import { reconcileAndCalibrate } from '../../../src/app/reconcile/jobs.js';
import { formatReconcileReport, reconcileReport } from '../../../src/app/reconcile/report.js';
import { reconcileSite } from '../../../src/app/reconcile/reconcile-site.js';
import { socAnchor } from '../../../src/app/reconcile/soc-anchor.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { insertCommand, transitionCommand } from '../../../src/store/commands-repo.js';
import { insertPlan } from '../../../src/store/plans-repo.js';
import { upsertPrices } from '../../../src/store/prices-repo.js';
import { getSiteCalibration, listReconciliationResults, listReconciliationRevisions } from '../../../src/store/reconcile-repo.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry, type TelemetryRecord } from '../../../src/store/telemetry-repo.js';
import { backends, useDatabase } from '../../store/harness.js';
import { testSite } from '../../store/fixtures.js';

const T = Date.UTC(2024, 10, 3, 12); // 2024-11-03 06:00 CST, the fall-back day
const M = INTERVAL_MS;
const NOW = T + 8 * M;

const tel = (i: number, r: Partial<TelemetryRecord>): TelemetryRecord => ({ siteId: 's1', intervalEndMs: T + i * M, socPercent: null, chargeWh: 0, dischargeWh: 0, consumptionWh: 250, productionWh: 0, devicesReporting: 1, ...r });

async function command(db: Parameters<typeof insertCommand>[0], key: string, mode: string, i: number, target: number, extra: { overridden?: boolean } = {}) {
  const { command: c } = await insertCommand(db, { siteId: 's1', idempotencyKey: key, channel: 'simulator', mode, targetReservePercent: target, windowStartMs: T + i * M, windowEndMs: T + (i + 1) * M });
  await transitionCommand(db, c.commandId, 'sending', { atMs: T + i * M - 120_000 });
  await transitionCommand(db, c.commandId, 'accepted', { atMs: T + i * M - 110_000 });
  await transitionCommand(db, c.commandId, 'active', { atMs: T + i * M });
  // The dispatcher's status refresh marks a command Storm Guard took over as overridden.
  if (extra.overridden) await transitionCommand(db, c.commandId, 'overridden', { atMs: T + i * M + 60_000, error: 'Storm Guard active' });
  return c.commandId;
}

describe.each(backends())('reconciler on $name', (backend) => {
  const db = useDatabase(backend);
  beforeAll(async () => {
    const d = db().db;
    await upsertSite(d, testSite('s1', {
      settlementPoint: 'HB_HOUSTON', reservePercent: 10,
      battery: { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 10, degradationCostUsdPerKwh: 0.02 },
      tariff: { importAdderUsdPerKwh: 0.01, exportFactor: 0.9 },
    }));
    const row = (chargeKw: number, dischargeKw: number, gridImportKw: number, gridExportKw: number, socKwhEnd: number, i: number) => ({ intervalStartMs: T + i * M, chargeKw, dischargeKw, gridImportKw, gridExportKw, socKwhEnd, priceUsdPerMwh: null });
    await insertPlan(d, {
      siteId: 's1', horizonStartMs: T, horizonEndMs: T + 5 * M, solver: 'dp', status: 'optimal', objectiveUsd: null, inputs: {},
      intervals: [row(4, 0, 5, 0, 10.9, 0), row(0, 5, 0, 4, 10.9 - 1.25 / 0.9, 1), row(4, 0, 5, 0, 10.4, 2), row(0, 5, 0, 3, 8.2, 3), row(4, 0, 5, 0, 9.1, 4)],
    });
    await command(d, 'k0', 'charge', 0, 80);
    await command(d, 'k1', 'discharge', 1, 20);
    await command(d, 'k2', 'charge', 2, 80, { overridden: true });
    await command(d, 'k3', 'discharge', 3, 45);
    const prices = [-20, 5000, 30, 100, 25].map((p, i) => ({ market: 'rt15' as const, settlementPoint: 'HB_HOUSTON', intervalStartMs: T + i * M, intervalMinutes: 15, priceUsdPerMwh: p, source: 'test', fetchedAtMs: T }));
    await upsertPrices(d, prices);
    // The first batch: the start SoC and intervals 0 and 1.
    await upsertTelemetry(d, [tel(0, { socPercent: 50 }), tel(1, { chargeWh: 1000, socPercent: 54.5 }), tel(2, { dischargeWh: 1250, socPercent: 47.5 })]);
  });

  it('reconciles what has arrived and marks the rest not yet known', async () => {
    const r = await reconcileSite(db().db, 's1', { fromMs: T, toMs: NOW, nowMs: NOW });
    expect(r).toMatchObject({ intervals: 5, created: 5, revised: 0, notYetKnown: 3 });
    const rows = await listReconciliationResults(db().db, 's1', T, NOW);
    expect(rows.map((x) => x.commandOutcome)).toEqual(['effective', 'effective', 'not_yet_known', 'not_yet_known', 'not_yet_known']);
    // Negative price: import price −0.02 + 0.01 = −0.01 $/kWh; 1.25 kWh with vs 0.25 kWh without → +$0.01.
    expect(rows[0].realisedUsd).toBeCloseTo(0.01, 12);
    expect(rows[0].actualGridImportKwh).toBeCloseTo(1.25, 12);
    // Spike: 1.2525 avoided import + 1 kWh × 5 × 0.9 exported − 1.25 × 0.02 degradation.
    expect(rows[1].realisedUsd).toBeCloseTo(5.7275, 12);
    expect(rows[1].actualGridExportKwh).toBeCloseTo(1, 12);
    expect(rows[1].settledPriceUsdPerMwh).toBe(5000);
    expect(rows.every((x) => x.revision === 1)).toBe(true);
  });

  it('late telemetry revises the intervals it changes and keeps the earlier result', async () => {
    const d = db().db;
    // Storm Guard held the battery in interval 2; interval 3 discharged 0.5 kWh into a 2 kW home and reached its 45 % target
    // (9.5 − 0.5/0.9 = 8.944 kWh = 44.72 %).
    await upsertTelemetry(d, [tel(3, { socPercent: 47.5 }), tel(4, { dischargeWh: 500, consumptionWh: 500, socPercent: 44.72 })]);
    const again = await reconcileSite(d, 's1', { fromMs: T, toMs: NOW, nowMs: NOW + M });
    expect(again).toMatchObject({ created: 0, revised: 2, unchanged: 3 });
    const rows = await listReconciliationResults(d, 's1', T, NOW);
    expect(rows.map((x) => x.commandOutcome)).toEqual(['effective', 'effective', 'overridden_storm_guard', 'reverted_early', 'not_yet_known']);
    expect(rows[2].realisedUsd).toBeCloseTo(0, 12);
    // 0.5 kWh at (0.1 + 0.01) $/kWh avoided − 0.01 degradation.
    expect(rows[3].realisedUsd).toBeCloseTo(0.045, 12);
    expect(rows[3].revision).toBe(2);
    const revisions = await listReconciliationRevisions(d, 's1', T + 3 * M);
    expect(revisions).toHaveLength(1);
    expect(revisions[0].revision).toBe(1);
    expect(revisions[0].record.commandOutcome).toBe('not_yet_known');
    // A re-run with nothing new writes nothing.
    expect(await reconcileSite(d, 's1', { fromMs: T, toMs: NOW, nowMs: NOW + 2 * M })).toMatchObject({ created: 0, revised: 0, unchanged: 5 });
  });

  it('the report covers the 100-interval fall-back day, with the repeated hour told apart', async () => {
    const report = await reconcileReport(db().db, 's1', '2024-11-03');
    expect(report.intervals).toBe(100);
    expect(report.rows).toHaveLength(100);
    expect(report.rows[0].intervalStartMs).toBe(ercotDay('2024-11-03').startMs);
    expect(report.rows.filter((r) => r.local.startsWith('HE02*'))).toHaveLength(4);
    expect(report.reconciled).toBe(5);
    expect(report.revised).toBe(2);
    expect(report.totals.realisedUsd).toBeCloseTo(0.01 + 5.7275 + 0 + 0.045, 12);
    expect(report.outcomes).toEqual({ effective: 2, overridden_storm_guard: 1, reverted_early: 1, not_yet_known: 1 });
    const text = formatReconcileReport(report);
    expect(text).toContain('site s1, 2024-11-03 (100 intervals): 5 reconciled, 2 revised by late data');
    expect(text).toContain('reverted_early (r2)');
  });

  it('calibration and the SoC anchor the planner uses', async () => {
    const d = db().db;
    await reconcileAndCalibrate(d, NOW + 3 * M, { lookbackHours: 4, calibrationDays: 14 });
    const c = await getSiteCalibration(d, 's1');
    // Latency: first intervals of the two effective commands moved all planned energy → 0 ms from 2 samples
    // (the Storm-Guard and reverted-early commands say nothing about latency).
    expect(c).toMatchObject({ commandLatencyMs: 0, latencySamples: 2 });
    // Throughput 1 + 1.25 + 0.5 = 2.75 kWh: estimated, but below the 20 kWh the planner waits for.
    expect(c!.rteThroughputKwh).toBeCloseTo(2.75, 12);
    expect((await plannerCalibration(d, 's1')).battery.roundTripEfficiency).toBe(0.81);
    // Measured 44.72 % of 20 kWh at T+1 h, then the plan charges 4 kW in interval 4: + 1 kWh × 0.9.
    const anchor = await socAnchor(d, 's1', T + 6 * M + 1000);
    expect(anchor).toMatchObject({ atMs: T + 6 * M, measuredAtMs: T + 4 * M, steppedIntervals: 2, stale: false });
    expect(anchor!.socKwh).toBeCloseTo(8.944 + 0.9, 9);
  });
});
