import { describe, expect, it } from 'vitest';
import {
  chargeKwToReach,
  dischargeKwToReach,
  equivalentCycles,
  nextSocKwh,
  reserveFloorKwh,
  reserveFloorPercent,
  socCoefficients,
  socPath,
  type BatterySpec,
} from '../../../src/domain/battery/battery.js';
import { INTERVAL_HOURS } from '../../../src/domain/time/interval.js';

const spec: BatterySpec = {
  capacityKwh: 10,
  maxChargeKw: 5,
  maxDischargeKw: 5,
  roundTripEfficiency: 0.81,
  minReservePercent: 5,
  degradationCostUsdPerKwh: 0.02,
};

describe('the state-of-charge recursion', () => {
  const k = socCoefficients(spec, INTERVAL_HOURS);

  it('splits round-trip efficiency as a square root on each side', () => {
    expect(k.kwhPerChargeKw).toBeCloseTo(0.9 * 0.25, 12);
    expect(k.kwhPerDischargeKw).toBeCloseTo(0.25 / 0.9, 12);
    // Charging 1 kWh (AC) and discharging everything back returns exactly rte kWh (AC).
    const soc = nextSocKwh(0, 4, 0, k); // 1 kWh AC in
    const acOut = dischargeKwToReach(soc, 0, k) * INTERVAL_HOURS;
    expect(acOut).toBeCloseTo(0.81, 12);
  });

  it('is inverted exactly by chargeKwToReach / dischargeKwToReach', () => {
    expect(nextSocKwh(3, chargeKwToReach(3, 4.2, k), 0, k)).toBeCloseTo(4.2, 12);
    expect(nextSocKwh(8, 0, dischargeKwToReach(8, 2.5, k), k)).toBeCloseTo(2.5, 12);
    expect(chargeKwToReach(5, 4, k)).toBe(0);
  });

  it('steps a schedule with socPath', () => {
    const path = socPath(5, [2, 0, 0], [0, 0, 3], k);
    expect(path).toHaveLength(4);
    expect(path[1]).toBeCloseTo(5 + 2 * k.kwhPerChargeKw, 12);
    expect(path[3]).toBeCloseTo(path[2] - 3 * k.kwhPerDischargeKw, 12);
  });
});

describe('reserve and cycles', () => {
  it('never lets the floor go below the device minimum of 10 %', () => {
    expect(reserveFloorPercent(spec)).toBe(10);
    expect(reserveFloorKwh(spec)).toBe(1);
    expect(reserveFloorPercent({ ...spec, minReservePercent: 30 })).toBe(30);
  });

  it('counts equivalent cycles on the usable capacity', () => {
    expect(equivalentCycles(spec, 9)).toBeCloseTo(1, 12);
    expect(equivalentCycles({ ...spec, capacityKwh: 0 }, 1)).toBe(0);
  });
});
