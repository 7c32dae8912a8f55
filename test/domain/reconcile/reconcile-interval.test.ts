import { describe, expect, it } from 'vitest';
import type { BatterySpec } from '../../../src/domain/battery/battery.js';
import { reconcileInterval, type IntervalToReconcile, type ReconcileSettings } from '../../../src/domain/reconcile/reconcile-interval.js';
import { calibratedBattery, estimateCommandLatencyMs, estimateRoundTripEfficiency } from '../../../src/domain/reconcile/calibration.js';

// 20 kWh, round trip 0.81 → 0.9 each way; degradation 2 ¢/kWh discharged; import adder 1 ¢/kWh, export factor 0.9.
const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 10, degradationCostUsdPerKwh: 0.02 };
const settings: ReconcileSettings = { battery, tariff: { importAdderUsdPerKwh: 0.01, exportFactor: 0.9 }, intervalHours: 0.25 };
const T0 = Date.UTC(2025, 1, 1, 12);

function interval(overrides: Partial<IntervalToReconcile>): IntervalToReconcile {
  return { intervalStartMs: T0, planId: 'p1', planned: null, measured: null, socPercentStart: null, settledPriceUsdPerMwh: null, command: null, ...overrides };
}

describe('reconcileInterval', () => {
  it('charging at a negative price: energies, grid flows, SoC and money by hand', () => {
    // Home 1 kW, no solar; charge 4 kW for 15 min = 1 kWh AC → +0.9 kWh stored: 10 → 10.9 kWh = 54.5 %.
    const r = reconcileInterval(interval({
      planned: { chargeKw: 4, dischargeKw: 0, gridImportKw: 5, gridExportKw: 0, socKwhEnd: 10.9 },
      measured: { chargeWh: 1000, dischargeWh: 0, consumptionWh: 250, productionWh: 0, socPercentEnd: 54.5 },
      socPercentStart: 50,
      settledPriceUsdPerMwh: -20,
      command: { commandId: 'c1', mode: 'charge', targetReservePercent: 60, overridden: false },
    }), settings);
    expect(r.planned).toMatchObject({ chargeKwh: 1, dischargeKwh: 0, gridImportKwh: 1.25, gridExportKwh: 0 });
    expect(r.planned!.socPercentEnd).toBeCloseTo(54.5, 12);
    expect(r.actual).toMatchObject({ chargeKwh: 1, dischargeKwh: 0, gridImportKwh: 1.25, gridExportKwh: 0, socPercentEnd: 54.5, socInferred: false });
    // import price −0.02 + 0.01 = −0.01 $/kWh: without battery 0.25 kWh → −0.0025; with 1.25 kWh → −0.0125; value +0.01.
    expect(r.realisedUsd).toBeCloseTo(0.01, 12);
    expect(r.plannedUsd).toBeCloseTo(0.01, 12);
    expect(r.socResidualKwh).toBeCloseTo(0, 12);
    expect(r.outcome).toBe('effective');
    expect(r.commandId).toBe('c1');
  });

  it('discharging into a $5,000 spike with export: value net of degradation, SoC residual', () => {
    // 5 kW for 15 min = 1.25 kWh AC, home 1 kW → 1 kWh exported. SoC 10.9 − 1.25/0.9 = 9.51111 kWh; measured 47.5 % = 9.5 kWh.
    const r = reconcileInterval(interval({
      planned: { chargeKw: 0, dischargeKw: 5, gridImportKw: 0, gridExportKw: 4, socKwhEnd: 10.9 - 1.25 / 0.9 },
      measured: { chargeWh: 0, dischargeWh: 1250, consumptionWh: 250, productionWh: 0, socPercentEnd: 47.5 },
      socPercentStart: 54.5,
      settledPriceUsdPerMwh: 5000,
      command: { commandId: 'c2', mode: 'discharge', targetReservePercent: 20, overridden: false },
    }), settings);
    expect(r.actual).toMatchObject({ dischargeKwh: 1.25, gridImportKwh: 0, gridExportKwh: 1 });
    // without: 0.25 kWh × (5 + 0.01) = 1.2525 cost; with: 1 kWh × 5 × 0.9 = 4.5 earned; degradation 1.25 × 0.02 = 0.025.
    expect(r.realisedUsd).toBeCloseTo(1.2525 + 4.5 - 0.025, 12);
    expect(r.plannedUsd).toBeCloseTo(5.7275, 12);
    expect(r.socResidualKwh).toBeCloseTo(9.5 - (10.9 - 1.25 / 0.9), 12);
    expect(r.outcome).toBe('effective');
  });

  it('partial, no effect, reverted early (target reached), Storm Guard, not yet known, no command', () => {
    const planned = { chargeKw: 4, dischargeKw: 0, gridImportKw: 4, gridExportKw: 0, socKwhEnd: 10.9 };
    const charge = { commandId: 'c3', mode: 'charge', targetReservePercent: 80, overridden: false };
    const base = { planned, socPercentStart: 50, settledPriceUsdPerMwh: 30, command: charge };
    const measured = (chargeWh: number, socPercentEnd: number) => ({ chargeWh, dischargeWh: 0, consumptionWh: 0, productionWh: 0, socPercentEnd });
    expect(reconcileInterval(interval({ ...base, measured: measured(500, 52.25) }), settings).outcome).toBe('partial');
    expect(reconcileInterval(interval({ ...base, measured: measured(50, 50.2) }), settings).outcome).toBe('no_effect');
    // Target 80 %: SoC 79.5 at the end is within 1 point → the battery reverted early, not a failure.
    const reverted = reconcileInterval(interval({ ...base, socPercentStart: 78, measured: measured(300, 79.5) }), settings);
    expect(reverted.outcome).toBe('reverted_early');
    expect(reverted.note).toContain('target 80 % reached');
    const discharge = { commandId: 'c4', mode: 'discharge', targetReservePercent: 20, overridden: false };
    const dischargeRow = { chargeWh: 0, dischargeWh: 200, consumptionWh: 500, productionWh: 0, socPercentEnd: 20.2 };
    expect(reconcileInterval(interval({ planned: { chargeKw: 0, dischargeKw: 5, gridImportKw: 0, gridExportKw: 3, socKwhEnd: 4 }, socPercentStart: 21, measured: dischargeRow, settledPriceUsdPerMwh: 200, command: discharge }), settings).outcome).toBe('reverted_early');
    // Storm Guard wins over everything, even when some energy flowed.
    expect(reconcileInterval(interval({ ...base, measured: measured(900, 54), command: { ...charge, overridden: true } }), settings).outcome).toBe('overridden_storm_guard');
    expect(reconcileInterval(interval({ ...base, measured: measured(0, 50), stormGuardActive: true }), settings).outcome).toBe('overridden_storm_guard');
    const unknown = reconcileInterval(interval({ ...base, measured: null }), settings);
    expect(unknown.outcome).toBe('not_yet_known');
    expect(unknown.actual).toBeNull();
    expect(unknown.realisedUsd).toBeNull();
    expect(reconcileInterval(interval({ planned, measured: measured(0, 50), command: null }), settings).outcome).toBe('no_command');
  });

  it('infers a missing end SoC with the recursion and marks it', () => {
    // 2 kWh AC charged: 10 kWh + 2 × 0.9 = 11.8 kWh = 59 %.
    const r = reconcileInterval(interval({ measured: { chargeWh: 2000, dischargeWh: 0, consumptionWh: null, productionWh: null, socPercentEnd: null }, socPercentStart: 50 }), settings);
    expect(r.actual!.socPercentEnd).toBeCloseTo(59, 12);
    expect(r.actual!.socInferred).toBe(true);
    expect(r.actual!.gridImportKwh).toBeNull();
    expect(r.realisedUsd).toBeNull();
  });
});

describe('calibration', () => {
  it('finds the round trip that explains the measured SoC (0.9 each way → 0.81)', () => {
    // 10 kWh in → +9 kWh stored; 8.1 kWh out → −9 kWh stored. Net SoC change 0 only for η = 0.9.
    const est = estimateRoundTripEfficiency([
      { socStartKwh: 2, socEndKwh: 11, chargeKwh: 10, dischargeKwh: 0 },
      { socStartKwh: 11, socEndKwh: 2, chargeKwh: 0, dischargeKwh: 8.1 },
    ], { ...battery, roundTripEfficiency: 0.95 });
    expect(est!.roundTripEfficiency).toBeCloseTo(0.81, 9);
    expect(est!.throughputKwh).toBeCloseTo(18.1, 12);
    expect(est!.clamped).toBe(false);
    expect(estimateRoundTripEfficiency([{ socStartKwh: 2, socEndKwh: 2.5, chargeKwh: 0.5, dischargeKwh: 0 }], battery)).toBeNull();
  });

  it('command latency is the median missing share of the first interval', () => {
    const i = 900_000;
    // shortfalls 10 %, 20 %, 0 % of 15 min → 90 s, 180 s, 0 s → median 90 s.
    expect(estimateCommandLatencyMs([{ plannedKwh: 1, actualKwh: 0.9, intervalMs: i }, { plannedKwh: 1, actualKwh: 0.8, intervalMs: i }, { plannedKwh: 1, actualKwh: 1, intervalMs: i }]))
      .toEqual({ latencyMs: 90_000, samples: 3 });
    expect(estimateCommandLatencyMs([])).toBeNull();
  });

  it('the planner gets the calibrated efficiency only once it rests on enough throughput', () => {
    expect(calibratedBattery(battery, { roundTripEfficiency: 0.85, rteThroughputKwh: 50, commandLatencyMs: 60_000, latencySamples: 3 }).roundTripEfficiency).toBe(0.85);
    expect(calibratedBattery(battery, { roundTripEfficiency: 0.85, rteThroughputKwh: 5, commandLatencyMs: null, latencySamples: 0 }).roundTripEfficiency).toBe(0.81);
    expect(calibratedBattery(battery, null)).toBe(battery);
  });
});
