import { describe, expect, it } from 'vitest';
import { socCoefficients, socPath, type BatterySpec } from '../../../src/domain/battery/battery.js';
import { commandWindows, MAX_COMMAND_MS } from '../../../src/domain/dispatch/command-windows.js';
import { INTERVAL_HOURS, INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';

const battery: BatterySpec = { capacityKwh: 40, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0 };
const startMs = Date.UTC(2024, 7, 1, 5);

function plan(charge: number[], discharge: number[], initialKwh = 8) {
  return { chargeKw: charge, dischargeKw: discharge, socKwh: Array.from(socPath(initialKwh, charge, discharge, socCoefficients(battery, INTERVAL_HOURS))) };
}

describe('commandWindows', () => {
  it('idle intervals get no command; a run of one mode and power becomes one window sent 1 minute ahead', () => {
    const p = plan([0, 4, 4, 0, 0], [0, 0, 0, 3, 0]);
    const w = commandWindows(p, { startMs, battery });
    expect(w).toHaveLength(2);
    expect(w[0]).toMatchObject({ mode: 'charge', powerKw: 4, effectiveAtMs: startMs + INTERVAL_MS, endMs: startMs + 3 * INTERVAL_MS, sendAtMs: startMs + INTERVAL_MS - MINUTE_MS });
    expect(w[0].targetReservePercent).toBeCloseTo((p.socKwh[3] / 40) * 100, 9);
    expect(w[1]).toMatchObject({ mode: 'discharge', powerKw: 3, effectiveAtMs: startMs + 3 * INTERVAL_MS });
    for (const x of w) expect(x.effectiveAtMs - x.sendAtMs).toBeGreaterThanOrEqual(MINUTE_MS);
  });

  it('splits a long charge into commands of at most 4 hours', () => {
    const n = 40; // 10 hours at 1 kW
    const p = plan(Array(n).fill(1), Array(n).fill(0), 8);
    const w = commandWindows(p, { startMs, battery });
    expect(w.map((x) => (x.endMs - x.effectiveAtMs) / 3_600_000)).toEqual([4, 4, 2]);
    for (const x of w) expect(x.endMs - x.effectiveAtMs).toBeLessThanOrEqual(MAX_COMMAND_MS);
    expect(w[1].effectiveAtMs).toBe(w[0].endMs);
  });

  it('a change of power starts a new window; targets never go below 10 %', () => {
    // 4.5 kWh of 40 (11.25 %): 5 kW for 15 min takes 5 × 0.25 / √0.9 = 1.318 kWh → 7.96 %, then 2 kW → 6.64 %
    const p = plan([0, 0], [5, 2], 4.5);
    expect((p.socKwh[1] / 40) * 100).toBeCloseTo(7.96, 2);
    expect((p.socKwh[2] / 40) * 100).toBeCloseTo(6.64, 2);
    const w = commandWindows(p, { startMs, battery: { ...battery, minReservePercent: 0 } });
    expect(w.map((x) => x.powerKw)).toEqual([5, 2]);
    expect(w.map((x) => x.targetReservePercent)).toEqual([10, 10]); // clamped up to the device minimum
    // a site reserve above 10 % is the floor instead
    expect(commandWindows(p, { startMs, battery: { ...battery, minReservePercent: 15 } }).map((x) => x.targetReservePercent)).toEqual([15, 15]);
  });

  it('sendAllAtMs sends everything at once but never later than 1 minute ahead', () => {
    const p = plan([0, 4], [0, 0]);
    const w = commandWindows(p, { startMs, battery, sendAllAtMs: startMs - 3_600_000 });
    expect(w[0].sendAtMs).toBe(startMs - 3_600_000);
  });
});
