import { describe, expect, it } from 'vitest';
import { socCoefficients, nextSocKwh, type BatterySpec } from '../../../src/domain/battery/battery.js';
import type { CommandWindow } from '../../../src/domain/dispatch/command-windows.js';
import { DeviceSimulator } from '../../../src/domain/simulator/device-simulator.js';
import { HOUR_MS, INTERVAL_HOURS, INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';

const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 10, degradationCostUsdPerKwh: 0 };
const t0 = Date.UTC(2024, 7, 1, 5);
const k = socCoefficients(battery, INTERVAL_HOURS);
const noSite = { loadKw: 0, solarKw: 0, exportAllowed: true };

function cmd(partial: Partial<CommandWindow>): CommandWindow {
  return { mode: 'charge', powerKw: 4, targetReservePercent: 100, sendAtMs: t0 - MINUTE_MS, effectiveAtMs: t0, endMs: t0 + HOUR_MS, ...partial };
}

function run(sim: DeviceSimulator, steps: number, site = noSite) {
  return Array.from({ length: steps }, () => sim.step(site));
}

describe('DeviceSimulator', () => {
  it('follows a command sent 1 minute ahead exactly, stepping with the battery model recursion', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 5 });
    sim.send(cmd({}));
    const r = run(sim, 5);
    let soc = 5;
    for (let i = 0; i < 4; i++) {
      soc = nextSocKwh(soc, 4, 0, k);
      expect(r[i].chargeKw).toBeCloseTo(4, 12);
      expect(r[i].socEndKwh).toBeCloseTo(soc, 12);
    }
    expect(r[4].chargeKw).toBe(0); // command over: base mode idle
    expect(sim.violations).toEqual([]);
  });

  it('1-minute latency: a command sent at the interval start takes effect a minute later and is reported', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 5 });
    sim.send(cmd({ sendAtMs: t0 }));
    const [first, second] = run(sim, 2);
    expect(first.chargeKw).toBeCloseTo((4 * 14) / 15, 12);
    expect(first.commandedMinutes).toBeCloseTo(14, 9);
    expect(second.chargeKw).toBeCloseTo(4, 12);
    expect(sim.violations.map((v) => v.kind)).toEqual(['sent-less-than-1-minute-ahead']);
  });

  it('caps a command at 4 hours and reports it', () => {
    const sim = new DeviceSimulator({ battery: { ...battery, capacityKwh: 100 }, startMs: t0, initialSocKwh: 10 });
    sim.send(cmd({ powerKw: 1, endMs: t0 + 6 * HOUR_MS }));
    const r = run(sim, 24);
    expect(r.slice(0, 16).every((x) => x.chargeKw > 0.999)).toBe(true);
    expect(r.slice(16).every((x) => x.chargeKw === 0)).toBe(true);
    expect(sim.violations.map((v) => v.kind)).toEqual(['command-over-4h']);
  });

  it('reverts to the base mode when the target reserve is reached, mid-interval', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 10 });
    // 50 % = 10 kWh → discharge to 40 % (8 kWh): 2 kWh of SoC at 5 kW takes 2·0.9/5 h ≈ 21.6 min
    sim.send(cmd({ mode: 'discharge', powerKw: 5, targetReservePercent: 40 }));
    const r = run(sim, 4);
    expect(r[0].dischargeKw).toBeCloseTo(5, 12);
    expect(r[1].dischargeKw).toBeGreaterThan(0);
    expect(r[1].dischargeKw).toBeLessThan(5);
    expect(r[1].socEndKwh).toBeCloseTo(8, 9);
    expect(r[2].dischargeKw).toBe(0);
    expect(r[3].socEndKwh).toBeCloseTo(8, 9);
  });

  it('never discharges below the reserve floor, whatever the target', () => {
    const sim = new DeviceSimulator({ battery: { ...battery, minReservePercent: 30 }, startMs: t0, initialSocKwh: 8 });
    sim.send(cmd({ mode: 'discharge', powerKw: 5, targetReservePercent: 5, endMs: t0 + 4 * HOUR_MS }));
    const r = run(sim, 16);
    expect(Math.min(...r.map((x) => x.socEndKwh))).toBeCloseTo(6, 9);
    expect(sim.violations.map((v) => v.kind)).toEqual(['target-below-10-percent']);
  });

  it('without export a discharge covers only the home load', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 15 });
    sim.send(cmd({ mode: 'discharge', powerKw: 5, targetReservePercent: 10 }));
    const r = run(sim, 2, { loadKw: 1.8, solarKw: 0.5, exportAllowed: false });
    expect(r[0].dischargeKw).toBeCloseTo(1.3, 12);
    const exporting = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 15 });
    exporting.send(cmd({ mode: 'discharge', powerKw: 5, targetReservePercent: 10 }));
    expect(exporting.step({ loadKw: 1.8, solarKw: 0.5, exportAllowed: true }).dischargeKw).toBeCloseTo(5, 12);
  });

  it('reports power above the limit and clamps it', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 5 });
    sim.send(cmd({ powerKw: 9 }));
    expect(sim.step(noSite).chargeKw).toBeCloseTo(5, 12);
    expect(sim.violations.map((v) => v.kind)).toEqual(['power-above-limit']);
  });

  it('a later command supersedes the running one from when it takes effect', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 10 });
    sim.send(cmd({ powerKw: 4 }));
    sim.send(cmd({ mode: 'discharge', powerKw: 2, targetReservePercent: 10, sendAtMs: t0 + 14 * MINUTE_MS, effectiveAtMs: t0 + INTERVAL_MS, endMs: t0 + HOUR_MS }));
    const r = run(sim, 3);
    expect(r[0].chargeKw).toBeCloseTo(4, 12);
    expect(r[1].dischargeKw).toBeCloseTo(2, 12);
    expect(r[1].chargeKw).toBe(0);
  });

  it('self-consumption base mode covers the home load between commands', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 10, baseMode: 'self-consumption' });
    expect(sim.step({ loadKw: 2, solarKw: 0, exportAllowed: false }).dischargeKw).toBeCloseTo(2, 12);
    expect(sim.step({ loadKw: 0, solarKw: 3, exportAllowed: false }).chargeKw).toBeCloseTo(3, 12);
  });
});
