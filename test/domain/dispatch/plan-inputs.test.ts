/**
 * The live planner's inputs, pure parts: the home load forecast by ERCOT local hour (a 25-hour fall-back day), the
 * SoC stepped through committed commands (with latency, stopping at a target), and the reconciler's latency samples
 * for commands the dispatcher started early. Expected values are computed by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import type { BatterySpec } from '../../../src/domain/battery/battery.js';
import { stepSocThroughCommands } from '../../../src/domain/dispatch/committed-soc.js';
import { forecastHomeLoad, type HourlyHomeEnergy } from '../../../src/domain/forecast/home-load.js';
import { estimateCommandLatencyMs } from '../../../src/domain/reconcile/calibration.js';

const HOUR = 3_600_000;
const MIN = 60_000;
// η = √0.81 = 0.9: 1 kW of charge for 1 h stores 0.9 kWh; 1 kW of discharge for 1 h draws 1/0.9 kWh.
const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 20, degradationCostUsdPerKwh: 0 };

describe('home load forecast by local hour', () => {
  it('on the 25-hour fall-back day (2026-11-01) both 01:00 hours get the 01:00 profile, and later hours are not shifted', () => {
    // History: the 14 days before, all in CDT (UTC−5): load = local hour in kW, solar 2 kW at noon only.
    const dayStart = Date.UTC(2026, 10, 1, 5); // 2026-11-01 00:00 CDT
    const history: HourlyHomeEnergy[] = [];
    for (let h = dayStart - 14 * 24 * HOUR; h < dayStart; h += HOUR) {
      const localHour = (new Date(h).getUTCHours() + 24 - 5) % 24;
      history.push({ hourStartMs: h, loadKw: localHour, solarKw: localHour === 12 ? 2 : 0 });
    }
    const f = forecastHomeLoad(history, dayStart, 100);
    // Intervals 0-3: 00:xx CDT; 4-7: 01:xx CDT; 8-11: 01:xx CST (repeated); 12-15: 02:xx CST; … 96-99: 23:xx CST.
    const expected = Array.from({ length: 100 }, (_, i) => (i < 8 ? Math.floor(i / 4) : Math.floor((i - 4) / 4)));
    expect(Array.from(f.loadKw)).toEqual(expected);
    // Noon CST is intervals 52-55 (13 hours after 00:00 CDT on this day).
    expect(Array.from(f.solarKw).map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([52, 53, 54, 55]);
    expect(f.info).toMatchObject({ method: 'local-hour-median', loadHours: 14 * 24, loadFallbackIntervals: 0, notes: [] });
  });

  it('takes the median at the hour (an outlier day does not move it) and says when there is no history', () => {
    const start = Date.UTC(2026, 6, 2, 5); // 00:00 CDT
    const history: HourlyHomeEnergy[] = [];
    for (let d = 1; d <= 5; d++) history.push({ hourStartMs: start - d * 24 * HOUR, loadKw: d === 3 ? 40 : 1 + d / 10, solarKw: null });
    const f = forecastHomeLoad(history, start, 8);
    // Hour 0: median of 1.1, 1.2, 40, 1.4, 1.5 = 1.4; hour 1 has no history: the median of all hours, also 1.4.
    expect(Array.from(f.loadKw)).toEqual([1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4]);
    expect(f.info.loadFallbackIntervals).toBe(4);
    expect(Array.from(f.solarKw)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(f.info.notes.join('; ')).toContain('solar: no telemetry history, planned as 0');
    const none = forecastHomeLoad([], start, 4);
    expect(Array.from(none.loadKw)).toEqual([0, 0, 0, 0]);
    expect(none.info.notes).toContain('home load: no telemetry history, planned as 0');
  });
});

describe('SoC stepped through committed commands', () => {
  const t0 = Date.UTC(2026, 6, 1, 17);

  it('a charge acts from its start + latency: 4 kW over the 25 of 30 minutes it acts → +1.5 kWh', () => {
    const r = stepSocThroughCommands(battery, 10, t0, t0 + 30 * MIN, [{ mode: 'charge', powerKw: 4, targetReservePercent: 100, startMs: t0, endMs: t0 + 30 * MIN }], 5 * MIN);
    // 4 kW × 25/60 h × 0.9 = 1.5 kWh
    expect(r.socKwh).toBeCloseTo(11.5, 12);
    expect(r.spans.map((s) => [s.fromMs - t0, s.toMs - t0])).toEqual([[5 * MIN, 30 * MIN]]);
  });

  it('a discharge stops at its target (8 kWh = 40 %), a later overlapping command wins, idle gaps leave the SoC', () => {
    const commands = [
      { mode: 'discharge', powerKw: 5, targetReservePercent: 40, startMs: t0, endMs: t0 + HOUR },
      // planned later, overrides the last 30 minutes of the first: 2 kW charge → 2 × 0.5 × 0.9 = 0.9 kWh
      { mode: 'charge', powerKw: 2, targetReservePercent: 100, startMs: t0 + 30 * MIN, endMs: t0 + HOUR },
    ];
    // 30 min at 5 kW draws 2.5/0.9 = 2.78 kWh but stops at 8 kWh; then +0.9 → 8.9; the last hour is idle.
    const r = stepSocThroughCommands(battery, 10, t0, t0 + 2 * HOUR, commands, 0);
    expect(r.socKwh).toBeCloseTo(8.9, 12);
  });
});

describe('command latency from the first reconciled interval', () => {
  it('adds the lead-in of a command started early; a command followed fully after its lead-in is no sample', () => {
    const q = 15 * MIN;
    // not shifted, a third missing: 5 min; shifted 6 min with 20 % missing: 6 + 3 = 9 min; shifted and fully followed: skipped
    const r = estimateCommandLatencyMs([
      { plannedKwh: 1.5, actualKwh: 1.0, intervalMs: q },
      { plannedKwh: 1.0, actualKwh: 0.8, intervalMs: q, leadInMs: 6 * MIN },
      { plannedKwh: 1.0, actualKwh: 1.0, intervalMs: q, leadInMs: 6 * MIN },
    ]);
    expect(r).toEqual({ latencyMs: 7 * MIN, samples: 2 });
  });
});
