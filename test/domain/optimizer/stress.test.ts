import { beforeAll, describe, expect, it } from 'vitest';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { prepareModel, type Planner } from '../../../src/domain/optimizer/index.js';
import { makeInput, randomPrices, rng } from './fixtures.js';

let dp: Planner;
let highs: Planner;
beforeAll(async () => {
  dp = await createPlanner('dp');
  highs = await createPlanner('highs');
});

describe('dp against HiGHS on randomised batteries, tariffs and export rules', () => {
  it('60 random models: same objective to 1e-6, both verified; dp itself answers at least 50', () => {
    let solvedByDp = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(1000 + seed);
      const n = 8 + Math.floor(r() * 200);
      const capacityKwh = 1 + r() * 30;
      const exportAllowed = new Uint8Array(n);
      const mode = seed % 3;
      for (let i = 0; i < n; i++) exportAllowed[i] = mode === 0 ? 1 : mode === 1 ? 0 : r() < 0.5 ? 1 : 0;
      const input = makeInput(randomPrices(n, seed, { spikes: seed % 2 === 0, negative: seed % 5 === 0 }), {
        seed,
        battery: {
          capacityKwh,
          maxChargeKw: r() < 0.1 ? 0 : r() * 10,
          maxDischargeKw: r() < 0.1 ? 0 : r() * 10,
          roundTripEfficiency: 0.7 + r() * 0.3,
          minReservePercent: r() * 40,
          degradationCostUsdPerKwh: r() < 0.3 ? 0.4 : r() * 0.05,
        },
        initialSocKwh: r() * capacityKwh * 1.1,
        tariff: { importAdderUsdPerKwh: r() * 0.1, exportFactor: 0.5 + r() * 0.5 },
        terminal: r() < 0.3 ? { kind: 'atLeastInitial' } : { kind: 'value', usdPerKwh: r() * 0.2 },
        exportAllowed,
      });
      const a = dp.plan(input);
      const b = highs.plan(input);
      // dp answers every one itself, including those where import is cheaper than export somewhere (negative
      // prices × export factor < 1: each interval's cost is split at its concave kink), so this compares dp with HiGHS.
      expect(a.solver).toBe('dp');
      solvedByDp++;
      expect(b.solver).toBe('highs');
      expect(a.verification.ok && b.verification.ok).toBe(true);
      expect(Math.abs(a.objectiveUsd - b.objectiveUsd) / Math.max(1, Math.abs(b.objectiveUsd))).toBeLessThan(1e-6);
    }
    expect(solvedByDp).toBe(60);
  });

  it('an empty horizon is a plan too', () => {
    const p = dp.plan(makeInput(new Float64Array(0)));
    expect(p.socKwh.length).toBe(1);
    expect(p.verification.ok).toBe(true);
  });
});

describe('dp on non-convex inputs (negative prices, no degradation cost) against the HiGHS MIP', () => {
  it('40 random negative-price models: same objective to 1e-6, one mode per interval', () => {
    let solvedByDp = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(5000 + seed);
      const n = 8 + Math.floor(r() * 120);
      const capacityKwh = 2 + r() * 20;
      const input = makeInput(randomPrices(n, 700 + seed, { negative: true, spikes: seed % 3 === 0 }), {
        seed,
        battery: { capacityKwh, maxChargeKw: 1 + r() * 8, maxDischargeKw: 1 + r() * 8, roundTripEfficiency: 0.75 + r() * 0.25, minReservePercent: r() * 30, degradationCostUsdPerKwh: r() < 0.5 ? 0 : r() * 0.01 },
        initialSocKwh: r() * capacityKwh,
        terminal: r() < 0.4 ? { kind: 'atLeastInitial' } : { kind: 'value', usdPerKwh: r() * 0.1 },
        exportAllowed: Uint8Array.from({ length: n }, () => (r() < 0.7 ? 1 : 0)),
      });
      const a = dp.plan(input);
      const b = highs.plan(input);
      if (a.solver === 'dp') solvedByDp++;
      for (let i = 0; i < n; i++) expect(Math.min(a.chargeKw[i], a.dischargeKw[i])).toBe(0);
      expect(Math.abs(a.objectiveUsd - b.objectiveUsd) / Math.max(1, Math.abs(b.objectiveUsd))).toBeLessThan(1e-6);
    }
    expect(solvedByDp).toBeGreaterThan(30);
  });
});

describe('dp on a real winter month with negative prices and no degradation cost', () => {
  it('February 2025 HB_HOUSTON perfect foresight: dp solves it itself and matches the HiGHS MIP', async () => {
    const { readRtmCsv, battery } = await import('./fixtures.js');
    const { prepareModel } = await import('../../../src/domain/optimizer/index.js');
    const feb = readRtmCsv('February_2025.csv.gz');
    const input = makeInput(feb.priceUsdPerMwh, { startMs: feb.startMs, battery: { ...battery, degradationCostUsdPerKwh: 0 }, terminal: { kind: 'atLeastInitial' } });
    expect(prepareModel(input).binaryIntervals).toBeGreaterThan(10);
    const a = dp.plan(input);
    const b = highs.plan(input);
    expect(a.solver).toBe('dp');
    expect(Math.abs(a.objectiveUsd - b.objectiveUsd) / Math.max(1, Math.abs(b.objectiveUsd))).toBeLessThan(1e-6);
    for (let i = 0; i < a.chargeKw.length; i++) expect(Math.min(a.chargeKw[i], a.dischargeKw[i])).toBe(0);
  });
});
