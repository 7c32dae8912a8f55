/**
 * Settlement at real-time prices, against figures worked out by hand: the decision (forecast) price of each interval
 * differs from its real-time price, so settling at the wrong one changes every figure.
 */
import type { TerminalRule } from '../../../src/domain/replay/terminal-value.js';
import { describe, expect, it } from 'vitest';
import type { ReplayData } from '../../../src/domain/replay/replay-data.js';
import { settle } from '../../../src/domain/replay/settle.js';
import type { StrategyRun } from '../../../src/domain/replay/strategies.js';

const startMs = Date.UTC(2024, 7, 20, 5);
const Q = 900_000;

function data(): ReplayData {
  return {
    name: 'hand', settlementPoint: 'HB_HOUSTON', startMs, endMs: startMs + 2 * Q, n: 2,
    battery: { capacityKwh: 10, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 10, degradationCostUsdPerKwh: 0.02 },
    initialSocKwh: 5,
    // real-time: $100 then $1,000/MWh, with a day of history before
    realTime: { startMs: startMs - Q, endMs: startMs + 2 * Q, pricesUsdPerMwh: Float64Array.from([7, 100, 1000]) },
    dayAhead: null,
    loadKw: Float64Array.from([1, 1]),
    solarKw: Float64Array.from([0, 0]),
    exportAllowed: Uint8Array.from([1, 1]),
    tariff: { importAdderUsdPerKwh: 0.01, exportFactor: 0.5 },
    baseMode: 'idle',
  };
}

function run(): StrategyRun {
  return {
    name: 'hand', kind: 'rolling', commands: 2, violations: [], solveMs: [], notes: [],
    // the forecast said $50 both times
    decisionPriceUsdPerMwh: Float64Array.from([50, 50]),
    intervals: [
      { startMs, chargeKw: 4, dischargeKw: 0, socStartKwh: 5, socEndKwh: 5.9, commandedMinutes: 15 },
      { startMs: startMs + Q, chargeKw: 0, dischargeKw: 4, socStartKwh: 5.9, socEndKwh: 4.788888888888889, commandedMinutes: 15 },
    ],
  };
}

/** Leftover energy valued at zero: these tests check the interval arithmetic alone. */
const NO_TERMINAL_VALUE: TerminalRule = { priceUsdPerMwh: 0, surplusUsdPerKwh: 0, deficitUsdPerKwh: 0, initialSocKwh: 5, description: 'none' };

describe('settle', () => {
  it('settles at the real-time price (not the decision price), import adder on imports, export factor on exports', () => {
    const s = settle(data(), run(), NO_TERMINAL_VALUE);
    // interval 0: grid imports 1 + 4 = 5 kW for 0.25 h = 1.25 kWh at 0.100 + 0.01 = 0.11 $/kWh → 0.1375 $
    //             baseline 1 kW → 0.25 kWh × 0.11 = 0.0275 $
    // interval 1: grid exports 4 − 1 = 3 kW → 0.75 kWh credited at 1.000 × 0.5 = 0.5 $/kWh → −0.375 $
    //             baseline 0.25 kWh × (1.000 + 0.01) = 0.2525 $
    // degradation: 4 kW × 0.25 h × 0.02 $/kWh = 0.02 $
    expect(s.intervals.map((iv) => iv.priceUsdPerMwh)).toEqual([100, 1000]);
    expect(s.intervals.map((iv) => iv.decisionPriceUsdPerMwh)).toEqual([50, 50]);
    expect(s.intervals[0].costUsd).toBeCloseTo(0.1375, 12);
    expect(s.intervals[1].costUsd).toBeCloseTo(-0.375, 12);
    expect(s.baselineCostUsd).toBeCloseTo(0.28, 12);
    expect(s.costUsd).toBeCloseTo(-0.2375, 12);
    expect(s.grossValueUsd).toBeCloseTo(0.5175, 12); // 0.28 − (−0.2375)
    expect(s.degradationCostUsd).toBeCloseTo(0.02, 12);
    expect(s.netValueUsd).toBeCloseTo(0.4975, 12);
    expect(s.intervals.map((iv) => [iv.gridImportKw, iv.gridExportKw])).toEqual([[5, 0], [0, 3]]);
    expect(s.chargedKwh).toBe(1);
    expect(s.dischargedKwh).toBe(1);
    expect(s.cycles).toBeCloseTo(1 / 9, 12); // 1 kWh over a usable 10 − 1 kWh
    expect(s.finalSocPercent).toBeCloseTo(47.88888888888889, 9);
  });
});
