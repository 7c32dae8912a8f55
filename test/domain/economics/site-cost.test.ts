import { describe, expect, it } from 'vitest';
import { gridFlowsKw, maxDischargeKwFor, siteCostUsd } from '../../../src/domain/economics/site-cost.js';

const tariff = { importAdderUsdPerKwh: 0.05, exportFactor: 0.5 };

describe('site cost', () => {
  it('nets load, solar, charge and discharge at the meter', () => {
    expect(gridFlowsKw({ loadKw: 2, solarKw: 5, chargeKw: 1, dischargeKw: 0 })).toEqual({ importKw: 0, exportKw: 2 });
    expect(gridFlowsKw({ loadKw: 2, solarKw: 0, chargeKw: 0, dischargeKw: 1 })).toEqual({ importKw: 1, exportKw: 0 });
  });

  it('charges imports at price/1000 + adder and credits exports at price/1000 × factor', () => {
    // 4 kW import for 15 min at $100/MWh: 1 kWh × (0.1 + 0.05)
    expect(siteCostUsd({ loadKw: 4, solarKw: 0, chargeKw: 0, dischargeKw: 0 }, 100, tariff, 0.25)).toBeCloseTo(0.15, 12);
    // 4 kW export at $5,000/MWh: −1 kWh × 5 × 0.5
    expect(siteCostUsd({ loadKw: 0, solarKw: 0, chargeKw: 0, dischargeKw: 4 }, 5000, tariff, 0.25)).toBeCloseTo(-2.5, 12);
  });

  it('pays the site to import at negative prices (no clamping)', () => {
    expect(siteCostUsd({ loadKw: 0, solarKw: 0, chargeKw: 4, dischargeKw: 0 }, -200, { importAdderUsdPerKwh: 0, exportFactor: 1 }, 0.25)).toBeCloseTo(-0.2, 12);
  });

  it('limits discharge to the home net load where export is not allowed', () => {
    expect(maxDischargeKwFor(5, 3, 1, false)).toBe(2);
    expect(maxDischargeKwFor(5, 1, 3, false)).toBe(0);
    expect(maxDischargeKwFor(5, 1, 3, true)).toBe(5);
  });
});
