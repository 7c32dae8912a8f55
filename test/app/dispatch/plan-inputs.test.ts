/**
 * What the live planner is fed, through `planSite` (the cycle's planning step) on a real store: the measured SoC
 * stepped through a running charge command, the home load forecast capping discharge where export is not allowed,
 * and the measured command latency moving the plan's first interval and the commands' start. Each stored plan
 * re-solves bit for bit. Expected values are computed by hand. Cost: one migrated PGlite, three small plans (< 2 s).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULT_CAPABILITIES } from '../../../src/adapters/control/simulator.js';
import { planSite } from '../../../src/app/dispatch/plan-and-store.js';
import type { DispatchPlanInputs } from '../../../src/app/dispatch/plan-site.js';
import { replayStoredPlan } from '../../../src/app/dispatch/plan-and-store.js';
import { decide } from '../../../src/domain/dispatch/decide.js';
import { INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';
import { insertCommand, transitionCommand } from '../../../src/store/commands-repo.js';
import type { Executor } from '../../../src/store/database.js';
import { getPlanInputsOutputs } from '../../../src/store/dispatch-repo.js';
import { getSiteCalibration, upsertSiteCalibration } from '../../../src/store/reconcile-repo.js';
import { reconcileAndCalibrate } from '../../../src/app/reconcile/jobs.js';
import { insertPlan } from '../../../src/store/plans-repo.js';
import { upsertPrices } from '../../../src/store/prices-repo.js';
import { requireSite, upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry, type TelemetryRecord } from '../../../src/store/telemetry-repo.js';
import { backends, useDatabase } from '../../store/harness.js';
import { battery, planner, POINT, seedPrices, T_1850 } from './fixture.js';

const M = MINUTE_MS;
const caps = SIMULATOR_DEFAULT_CAPABILITIES;

async function site(db: Executor, siteId: string): Promise<void> {
  await upsertSite(db, { siteId, name: siteId, settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'simulator' });
}

async function storedInputs(db: Executor, planId: string): Promise<{ inputs: DispatchPlanInputs; outputs: { dischargeKw: number[]; gridExportKw: number[]; socKwh: number[] } }> {
  const s = await getPlanInputsOutputs(db, planId);
  return { inputs: s!.inputs as DispatchPlanInputs, outputs: s!.outputs as never };
}

describe.each(backends())('planning inputs on $name', (backend) => {
  const db = useDatabase(backend);
  let seeded = false;
  const world = async () => {
    if (!seeded) await seedPrices(db().db, T_1850 - 5 * M - 8 * 24 * 3_600_000, T_1850 - 5 * M);
    seeded = true;
    return { db: db().db, p: await planner() };
  };

  it('anchors at the measured SoC stepped through the running charge command (and not through an unsent row)', async () => {
    const { db: d, p } = await world();
    await site(d, 'A1');
    // 40 % (8 kWh) measured at 18:30; a charge 4 kW to 90 % runs 18:15-19:15; the plan starts at 19:00.
    const { command } = await insertCommand(d, { siteId: 'A1', idempotencyKey: 'A1/charge', channel: 'simulator', mode: 'charge', powerKw: 4, targetReservePercent: 90, windowStartMs: T_1850 - 35 * M, windowEndMs: T_1850 + 25 * M });
    await transitionCommand(d, command.commandId, 'sending');
    await transitionCommand(d, command.commandId, 'active');
    // A planned (never sent) discharge over the same time must not count.
    await insertCommand(d, { siteId: 'A1', idempotencyKey: 'A1/unsent', channel: 'simulator', mode: 'discharge', powerKw: 5, targetReservePercent: 20, windowStartMs: T_1850 - 20 * M, windowEndMs: T_1850 + 10 * M });
    const planned = await planSite(d, p, await requireSite(d, 'A1'), caps, 40, T_1850 - 20 * M, T_1850, {});
    expect(planned.problem).toBeNull();
    const { inputs, outputs } = await storedInputs(d, planned.plan!.planId);
    // 18:30 → 19:00 at 4 kW: 8 + 4 × 0.5 h × 0.9 = 9.8 kWh (49 %)
    expect(inputs.planInput.startMs).toBe(T_1850 + 10 * M);
    expect(inputs.planInput.initialSocKwh).toBeCloseTo(9.8, 12);
    expect(outputs.socKwh[0]).toBe(inputs.planInput.initialSocKwh);
    expect(inputs.anchor).toMatchObject({ measuredSocPercent: 40, measuredAtMs: T_1850 - 20 * M, steppedToMs: T_1850 + 10 * M });
    expect(inputs.anchor!.steppedSocPercent).toBeCloseTo(49, 10);
    expect(inputs.anchor!.spans.map((s) => s.commandId)).toEqual([command.commandId]);
    const replay = await replayStoredPlan(d, planned.plan!.planId, () => planner());
    expect(replay.differences).toEqual([]);
    // The per-interval outputs are stored once, in the row's array columns; the JSON keeps the rest and the first SoC.
    const raw = await sql<{ outputs: Record<string, unknown>; n: number; last_soc: number }>`
      select outputs, cardinality(charge_kw) as n, soc_kwh_end[cardinality(soc_kwh_end)] as last_soc from plans where plan_id = ${planned.plan!.planId}`.execute(d);
    expect(Object.keys(raw.rows[0]!.outputs).sort()).toEqual(['intervals', 'notes', 'objectiveUsd', 'socKwh0', 'solver', 'status']);
    expect(outputs.socKwh).toHaveLength(raw.rows[0]!.n + 1);
    expect(outputs.socKwh.at(-1)).toBe(Number(raw.rows[0]!.last_soc));
    expect(replay.comparedValues).toBe(5 * raw.rows[0]!.n + 2);
  });

  it('without export, discharge at the peak is capped by the forecast home load (1 kW at 19:00 local, 3 kW otherwise)', async () => {
    const { db: d, p } = await world();
    await site(d, 'B1');
    // 14 days of telemetry before 18:45: 250 Wh per interval (1 kW) at 19:xx CDT (00:xx UTC), else 750 Wh (3 kW).
    const rows: TelemetryRecord[] = [];
    for (let end = T_1850 - 5 * M - 14 * 96 * INTERVAL_MS + INTERVAL_MS; end <= T_1850 - 5 * M; end += INTERVAL_MS) {
      const utcHour = new Date(end - INTERVAL_MS).getUTCHours();
      rows.push({ siteId: 'B1', intervalEndMs: end, socPercent: 60, chargeWh: 0, dischargeWh: 0, consumptionWh: utcHour === 0 ? 250 : 750, productionWh: 0, devicesReporting: 1 });
    }
    await upsertTelemetry(d, rows);
    const planned = await planSite(d, p, await requireSite(d, 'B1'), { ...caps, exportAllowed: false }, 60, T_1850 - 5 * M, T_1850, {});
    expect(planned.problem).toBeNull();
    const { inputs, outputs } = await storedInputs(d, planned.plan!.planId);
    expect(inputs.planInput.loadKw.slice(0, 6)).toEqual([1, 1, 1, 1, 3, 3]);
    expect(inputs.planInput.solarKw.every((v) => v === 0)).toBe(true);
    expect(inputs.homeLoad).toMatchObject({ method: 'local-hour-median', loadFallbackIntervals: 0 });
    // The $180 hour (19:00-20:00): 1 kW each interval (12 kWh available above the 4 kWh floor), nothing exported.
    expect(outputs.dischargeKw.slice(0, 4).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 1, 1, 1]);
    expect(outputs.dischargeKw.every((v, i) => v <= inputs.planInput.loadKw[i] + 1e-9)).toBe(true);
    expect(outputs.gridExportKw.every((v) => v === 0)).toBe(true);
    const replay = await replayStoredPlan(d, planned.plan!.planId, () => planner());
    expect(replay.differences).toEqual([]);
  });

  it('horizonToPublishedDam (default on): after 13:00 the plan runs to the end of tomorrow (19:00 → midnight after next: 29 h), before 13:00 it stays 24 h', async () => {
    const { db: d, p } = await world();
    await site(d, 'H1');
    const planned = await planSite(d, p, await requireSite(d, 'H1'), caps, 60, T_1850 - 5 * M, T_1850, { horizonToPublishedDam: true });
    expect(planned.problem).toBeNull();
    const { inputs } = await storedInputs(d, planned.plan!.planId);
    expect(inputs.planInput.startMs).toBe(T_1850 + 10 * M);
    expect(inputs.planInput.priceUsdPerMwh.length).toBe(29 * 4);
    // the peak of the day after tomorrow is not in it (its DAM is stored but published only at 13:00 tomorrow)
    expect(inputs.planInput.priceUsdPerMwh.filter((v) => v > 100).length).toBe(8);
    const replay = await replayStoredPlan(d, planned.plan!.planId, () => planner());
    expect(replay.differences).toEqual([]);
    const morning = await planSite(d, p, await requireSite(d, 'H1'), caps, 60, T_1850 - 7 * 60 * M, T_1850 - 7 * 60 * M, { horizonToPublishedDam: true });
    expect(morning.problem).toBeNull();
    expect((await storedInputs(d, morning.plan!.planId)).inputs.planInput.priceUsdPerMwh.length).toBe(96);
    const off = await planSite(d, p, await requireSite(d, 'H1'), caps, 60, T_1850 - 5 * M, T_1850, { horizonToPublishedDam: false });
    expect((await storedInputs(d, off.plan!.planId)).inputs.planInput.priceUsdPerMwh.length).toBe(96);
    const byDefault = await planSite(d, p, await requireSite(d, 'H1'), caps, 60, T_1850 - 5 * M, T_1850, {});
    expect((await storedInputs(d, byDefault.plan!.planId)).inputs.planInput.priceUsdPerMwh.length).toBe(29 * 4);
    expect((await storedInputs(d, byDefault.plan!.planId)).inputs.forecast.method).toBe('fade-mix-robust');
  });

  it('a measured latency of 5.5 min: the plan starts at the first interval a command can fully act on, and commands start 6 min early', async () => {
    const { db: d, p } = await world();
    await site(d, 'C1');
    await upsertSiteCalibration(d, { siteId: 'C1', roundTripEfficiency: null, rteThroughputKwh: 0, commandLatencyMs: 330_000, latencySamples: 4, windowStartMs: null, windowEndMs: null, details: null }, T_1850);
    const nowMs = T_1850 + 5 * M; // 18:55: + 6 min = 19:01 → the first interval is 19:15, not 19:00
    const planned = await planSite(d, p, await requireSite(d, 'C1'), caps, 60, T_1850 - 5 * M, nowMs, {});
    expect(planned.problem).toBeNull();
    const { inputs } = await storedInputs(d, planned.plan!.planId);
    expect(inputs.planInput.startMs).toBe(T_1850 + 25 * M);
    expect(inputs.commandLatency).toEqual({ measuredMs: 330_000, samples: 4, shiftMs: 6 * M, leadMs: M, firstIntervalMs: T_1850 + 25 * M });
    const decision = decide({
      nowMs,
      siteId: 'C1',
      battery,
      siteReservePercent: 20,
      capabilities: caps,
      plan: planned.plan,
      existing: [],
      device: { socAsOfMs: T_1850 - 5 * M },
      approval: { mode: 'auto', currentPlanApproved: false, approvedWindows: [] },
    });
    // The rest of the peak, 19:15-20:00, is sent as 19:09-19:54 (send at 19:08, due before the next cycle at 19:10) so the battery follows over 19:15-20:00.
    const discharge = decision.create.find((c) => c.mode === 'discharge');
    expect(discharge).toMatchObject({ startMs: T_1850 + 19 * M, endMs: T_1850 + 64 * M, sendAtMs: T_1850 + 18 * M });
    expect(discharge!.reason).toContain('6 min early');
  });
  it('the reconciler measures latency from the command start: a command started 3 min early counts its lead-in', async () => {
    const { db: d } = await world();
    await site(d, 'L1');
    const T0 = Date.UTC(2026, 5, 20, 17); // 12:00 CDT
    const Q = INTERVAL_MS;
    // The plan discharges 4 kW (1 kWh) in intervals 0, 2 and 4.
    const row = (i: number, kw: number) => ({ intervalStartMs: T0 + i * Q, chargeKw: 0, dischargeKw: kw, gridImportKw: 0, gridExportKw: kw, socKwhEnd: 12, priceUsdPerMwh: null });
    await insertPlan(d, { siteId: 'L1', horizonStartMs: T0, horizonEndMs: T0 + 5 * Q, solver: 'dp', status: 'optimal', objectiveUsd: null, inputs: {}, intervals: [row(0, 4), row(1, 0), row(2, 4), row(3, 0), row(4, 4)] });
    const cmd = async (key: string, startMs: number) => {
      const { command: c } = await insertCommand(d, { siteId: 'L1', idempotencyKey: key, channel: 'simulator', mode: 'discharge', powerKw: 4, targetReservePercent: 10, windowStartMs: startMs, windowEndMs: startMs + Q });
      await transitionCommand(d, c.commandId, 'sending', { atMs: startMs - 2 * M });
      await transitionCommand(d, c.commandId, 'active', { atMs: startMs });
    };
    await cmd('L1/early', T0 - 3 * M); // started 3 min early; 0.8 of 1 kWh in interval 0 → 3 + 0.2 × 15 = 6 min
    await cmd('L1/on-time', T0 + 2 * Q); // on time; 0.5 kWh → 7.5 min
    await cmd('L1/early-full', T0 + 4 * Q - 3 * M); // 3 min early and followed fully: only "≤ 3 min", no sample
    const wh = [800, 0, 500, 0, 1000];
    await upsertTelemetry(d, wh.map((dischargeWh, i) => ({ siteId: 'L1', intervalEndMs: T0 + (i + 1) * Q, socPercent: 60, chargeWh: 0, dischargeWh, consumptionWh: 0, productionWh: 0, devicesReporting: 1 })));
    await upsertTelemetry(d, [{ siteId: 'L1', intervalEndMs: T0, socPercent: 60, chargeWh: 0, dischargeWh: 0, consumptionWh: 0, productionWh: 0, devicesReporting: 1 }]);
    await upsertPrices(d, wh.map((_, i) => ({ market: 'rt15' as const, settlementPoint: POINT, intervalStartMs: T0 + i * Q, intervalMinutes: 15, priceUsdPerMwh: 30, source: 'test', fetchedAtMs: T0 })));
    await reconcileAndCalibrate(d, T0 + 6 * Q, { lookbackHours: 2, calibrationDays: 14, siteIds: ['L1'] });
    // median(6, 7.5) = 6.75 min
    expect(await getSiteCalibration(d, 'L1')).toMatchObject({ commandLatencyMs: 405_000, latencySamples: 2 });
  });
});
