/**
 * The simulator walks a sorted list of pending commands with a cursor instead of rescanning every command at every
 * interval. What it does must not depend on the order commands were sent in, nor on whether they were sent up front
 * or just in time; expected energies are computed here from the battery recursion, not by the simulator.
 */
import { describe, expect, it } from 'vitest';
import { nextSocKwh, socCoefficients, type BatterySpec } from '../../../src/domain/battery/battery.js';
import type { CommandWindow } from '../../../src/domain/dispatch/command-windows.js';
import { DeviceSimulator } from '../../../src/domain/simulator/device-simulator.js';
import { HOUR_MS, INTERVAL_HOURS, INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';

const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 10, degradationCostUsdPerKwh: 0 };
const t0 = Date.UTC(2024, 2, 9, 6);
const site = { loadKw: 0, solarKw: 0, exportAllowed: true };

/** A charge hour and a discharge hour every 6 hours for `days` days. */
function commands(days: number): CommandWindow[] {
  const out: CommandWindow[] = [];
  for (let h = 0; h < days * 24; h += 6) {
    const at = t0 + h * HOUR_MS;
    out.push({ mode: 'charge', powerKw: 4, targetReservePercent: 100, sendAtMs: at - MINUTE_MS, effectiveAtMs: at, endMs: at + HOUR_MS });
    out.push({ mode: 'discharge', powerKw: 2, targetReservePercent: 10, sendAtMs: at + 2 * HOUR_MS - MINUTE_MS, effectiveAtMs: at + 2 * HOUR_MS, endMs: at + 3 * HOUR_MS });
  }
  return out;
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function simulate(send: (sim: DeviceSimulator, t: number) => void, steps: number): number[] {
  const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 10 });
  const soc: number[] = [];
  for (let t = 0; t < steps; t++) {
    send(sim, t);
    soc.push(sim.step(site).socEndKwh);
  }
  return soc;
}

describe('DeviceSimulator command order', () => {
  const steps = 3 * 96;
  const all = commands(3);

  it('commands sent up front in any order, or just in time, give the same SoC path, and it is the recursion', () => {
    const inOrder = simulate((sim, t) => t === 0 && all.forEach((c) => sim.send(c)), steps);
    const k = socCoefficients(battery, INTERVAL_HOURS);
    // hand-stepped expectation for the first 6 hours: 4 intervals charging at 4 kW, 4 idle, 4 discharging at 2 kW, 12 idle
    let soc = 10;
    const expected: number[] = [];
    for (let t = 0; t < 24; t++) {
      if (t < 4) soc = nextSocKwh(soc, 4, 0, k);
      else if (t >= 8 && t < 12) soc = nextSocKwh(soc, 0, 2, k);
      expected.push(soc);
    }
    inOrder.slice(0, 24).forEach((v, t) => expect(v).toBeCloseTo(expected[t], 12));
    for (const seed of [1, 2, 3]) {
      const order = shuffled(all, seed);
      expect(simulate((sim, t) => t === 0 && order.forEach((c) => sim.send(c)), steps)).toEqual(inOrder);
    }
    const justInTime = simulate((sim, t) => all.filter((c) => c.effectiveAtMs === t0 + t * INTERVAL_MS).forEach((c) => sim.send(c)), steps);
    expect(justInTime).toEqual(inOrder);
  });

  it('a later-sent command still supersedes an earlier one that was sent up front', () => {
    const sim = new DeviceSimulator({ battery, startMs: t0, initialSocKwh: 10 });
    sim.send({ mode: 'charge', powerKw: 4, targetReservePercent: 100, sendAtMs: t0 - MINUTE_MS, effectiveAtMs: t0, endMs: t0 + 4 * HOUR_MS });
    const steps = Array.from({ length: 4 }, () => sim.step(site));
    // sent during interval 4 for interval 8 (after the up-front one): from then on it rules
    sim.send({ mode: 'discharge', powerKw: 3, targetReservePercent: 10, sendAtMs: t0 + 5 * INTERVAL_MS, effectiveAtMs: t0 + 8 * INTERVAL_MS, endMs: t0 + 10 * INTERVAL_MS });
    for (let t = 4; t < 12; t++) steps.push(sim.step(site));
    expect(steps.slice(0, 8).every((s) => s.chargeKw > 3.99)).toBe(true);
    expect(steps[8].dischargeKw).toBeCloseTo(3, 12);
    expect(steps[9].dischargeKw).toBeCloseTo(3, 12);
    expect(steps[10].chargeKw).toBe(0); // the charge command was superseded for good
    expect(steps[10].dischargeKw).toBe(0);
  });
});
