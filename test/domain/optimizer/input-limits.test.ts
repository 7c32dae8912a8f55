import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/domain/errors.js';
import { prepareModel } from '../../../src/domain/optimizer/model.js';
import { battery, makeInput, randomPrices } from './fixtures.js';

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('planner entry: magnitudes no solver can verify are bad input', () => {
  it('a capacity of 1e12 kWh names the field', () => {
    const e = refusal(() => prepareModel(makeInput(randomPrices(8, 1), { battery: { ...battery, capacityKwh: 1e12 } })));
    expect(e.location.field).toBe('battery.capacityKwh');
    expect(e.message).toMatch(/between 0 and 1000000 kWh \(got 1000000000000\)/);
  });

  it('a price of 1e308 $/MWh names the field and the interval', () => {
    const prices = randomPrices(8, 2);
    prices[5] = 1e308;
    const e = refusal(() => prepareModel(makeInput(prices)));
    expect(e.location).toMatchObject({ field: 'priceUsdPerMwh', interval: new Date(Date.UTC(2024, 7, 1, 5) + 5 * 900_000).toISOString() });
  });

  it('a load of 1e9 kW and an export factor of 1e9 are refused; the largest allowed values are not', () => {
    const load = makeInput(randomPrices(8, 3));
    load.loadKw[3] = 1e9;
    expect(refusal(() => prepareModel(load)).location.field).toBe('loadKw');
    expect(refusal(() => prepareModel(makeInput(randomPrices(8, 4), { tariff: { importAdderUsdPerKwh: 0, exportFactor: 1e9 } }))).location.field).toBe('tariff.exportFactor');
    const prices = randomPrices(8, 5);
    prices[0] = -1e6;
    expect(() => prepareModel(makeInput(prices, { battery: { ...battery, capacityKwh: 1e6, maxChargeKw: 1e6, maxDischargeKw: 1e6 } }))).not.toThrow();
  });
});
