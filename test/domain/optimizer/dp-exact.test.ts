/**
 * dp on the models it used to hand to HiGHS: the cycles-per-day cap (Lagrangian day prices with a duality
 * certificate) and tariffs where importing is cheaper than exporting (negative prices with an export factor < 1).
 * Every dp answer is compared with the HiGHS MIP; `solver === 'dp'` is asserted where dp is claimed. Also the
 * planner's time bound: past it, the plan is the verified hold plan.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { reserveFloorKwh } from '../../../src/domain/battery/battery.js';
import { DpSolver, plannerFromSolver, prepareModel, type Plan, type PlanInput, type Planner } from '../../../src/domain/optimizer/index.js';
import { ercotDateOf, ercotIntervalStartMs } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { battery, makeInput, randomPrices, readRtmCsv, rng } from './fixtures.js';

let dp: Planner;
let highs: Planner;
beforeAll(async () => {
  dp = await createPlanner('dp');
  highs = await createPlanner('highs');
});

const here = path.dirname(fileURLToPath(import.meta.url));
/** HB_HUBAVG real-time 15-minute prices, 2024-01..2025-02 (UTC `csv` layout: interval_start,price). */
function hubavg(): { startMs: number; priceUsdPerMwh: Float64Array } {
  const text = readDataFileSync(path.resolve(here, '../../../datasets/ercot/hubavg/hb_hubavg_rt15_utc_2024-01_2025-02.csv.gz'));
  const rows = text.trim().split('\n').slice(1).map((l) => l.split(','));
  return { startMs: Date.parse(rows[0][0]), priceUsdPerMwh: Float64Array.from(rows, (r) => Number(r[1])) };
}

function relativeGap(a: Plan, b: Plan): number {
  return Math.abs(a.objectiveUsd - b.objectiveUsd) / Math.max(1, Math.abs(b.objectiveUsd));
}

function dailyDischargeKwh(p: Plan, input: PlanInput): Map<string, number> {
  const perDay = new Map<string, number>();
  p.dischargeKw.forEach((d, i) => {
    const day = ercotDateOf(input.startMs + i * INTERVAL_MS);
    perDay.set(day, (perDay.get(day) ?? 0) + d * input.intervalHours);
  });
  return perDay;
}

describe('dp with a cycles-per-day cap', () => {
  const usable = battery.capacityKwh - reserveFloorKwh(battery);

  it('rolling-style 24 h windows over real prices (August HB_HOUSTON, HB_HUBAVG with negative prices, DST days): dp certifies most and every answer matches HiGHS', () => {
    const august = readRtmCsv('August_2024.csv.gz');
    const hub = hubavg();
    const windows: PlanInput[] = [];
    for (let k = 0; k < 12; k++) {
      const start = 96 * (k * 2 + 1) + 37 * k; // starts at varied times of day, so the horizon spans two ERCOT days
      windows.push(makeInput(august.priceUsdPerMwh.subarray(start, start + 96), { startMs: august.startMs + start * INTERVAL_MS, seed: k, maxCyclesPerDay: k % 2 ? 0.5 : 1, dischargedTodayKwh: (k % 3) * 0.3 * usable, terminal: { kind: 'value', usdPerKwh: 0.03 } }));
    }
    for (const date of ['2024-01-12', '2024-03-10', '2024-11-03', '2024-04-14']) {
      const startMs = ercotIntervalStartMs(date, 1, 1) + 20 * INTERVAL_MS;
      const from = (startMs - hub.startMs) / INTERVAL_MS;
      windows.push(makeInput(hub.priceUsdPerMwh.subarray(from, from + 96), { startMs, seed: from, maxCyclesPerDay: 0.5, battery: { ...battery, degradationCostUsdPerKwh: 0.005 } }));
    }
    let binding = 0;
    let byDp = 0;
    for (const input of windows) {
      const a = dp.plan(input);
      const b = highs.plan(input);
      if (a.solver === 'dp') byDp++;
      else expect(a.notes.join(' ')).toMatch(/did not certify an optimum|did not settle/);
      expect(a.verification.ok).toBe(true);
      expect(relativeGap(a, b)).toBeLessThan(1e-6);
      const free = dp.plan({ ...input, maxCyclesPerDay: undefined });
      if (free.objectiveUsd < a.objectiveUsd - 1e-9) binding++;
      const cap = (input.maxCyclesPerDay ?? 0) * usable;
      const first = ercotDateOf(input.startMs);
      for (const [day, kwh] of dailyDischargeKwh(a, input)) expect(kwh).toBeLessThanOrEqual(Math.max(0, cap - (day === first ? input.dischargedTodayKwh ?? 0 : 0)) + 1e-6);
    }
    expect(binding).toBeGreaterThan(8); // the cap really binds in most windows, so the price search is exercised
    expect(byDp).toBeGreaterThanOrEqual(12);
  });

  it('random prices with spikes and negative prices, one to three days: dp matches HiGHS, and certifies most', () => {
    let byDp = 0;
    const cases = 30;
    for (let seed = 1; seed <= cases; seed++) {
      const r = rng(9000 + seed);
      const n = 48 + Math.floor(r() * 200);
      const input = makeInput(randomPrices(n, 300 + seed, { spikes: seed % 2 === 0, negative: seed % 3 === 0 }), {
        seed,
        startMs: ercotIntervalStartMs('2024-08-05', 1, 1) + Math.floor(r() * 96) * INTERVAL_MS,
        maxCyclesPerDay: 0.25 + r(),
        dischargedTodayKwh: r() < 0.5 ? r() * usable : 0,
        terminal: r() < 0.3 ? { kind: 'atLeastInitial' } : { kind: 'value', usdPerKwh: r() * 0.08 },
      });
      const a = dp.plan(input);
      const b = highs.plan(input);
      expect(a.verification.ok).toBe(true);
      expect(relativeGap(a, b)).toBeLessThan(1e-6);
      if (a.solver === 'dp') byDp++;
      else expect(a.notes.join(' ')).toMatch(/did not certify an optimum|did not settle/);
    }
    expect(byDp).toBeGreaterThan(cases * 0.4);
  });
});

describe('dp where importing is cheaper than exporting (negative prices, export factor < 1)', () => {
  it('random windows: dp solves them itself (no grid binary needed) and matches the HiGHS MIP', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const r = rng(7000 + seed);
      const n = 24 + Math.floor(r() * 120);
      const input = makeInput(randomPrices(n, 400 + seed, { negative: true, spikes: seed % 4 === 0 }), {
        seed,
        tariff: { importAdderUsdPerKwh: r() * 0.005, exportFactor: 0.3 + 0.6 * r() },
        battery: { ...battery, degradationCostUsdPerKwh: r() < 0.5 ? 0 : 0.01 },
        exportAllowed: Uint8Array.from({ length: n }, () => (r() < 0.8 ? 1 : 0)),
      });
      expect(prepareModel(input).needsGridBinary.some((v) => v === 1)).toBe(true);
      const a = dp.plan(input);
      const b = highs.plan(input);
      expect(a.solver, a.notes.join('; ')).toBe('dp');
      expect(relativeGap(a, b)).toBeLessThan(1e-6);
      for (let i = 0; i < n; i++) expect(Math.min(a.gridImportKw[i], a.gridExportKw[i])).toBe(0);
    }
  });

  it('real HB_HUBAVG days with negative prices, export factor 0.5, DST days: dp matches HiGHS', () => {
    const hub = hubavg();
    let negativeDays = 0;
    for (const date of ['2024-01-12', '2024-03-10', '2024-04-06', '2024-11-03']) {
      const startMs = ercotIntervalStartMs(date, 1, 1);
      const from = (startMs - hub.startMs) / INTERVAL_MS;
      const n = ercotDateOf(startMs + 99 * INTERVAL_MS) === date ? 100 : ercotDateOf(startMs + 95 * INTERVAL_MS) === date ? 96 : 92;
      const prices = hub.priceUsdPerMwh.subarray(from, from + n);
      if (prices.some((p) => p < 0)) negativeDays++;
      const input = makeInput(prices, { startMs, seed: from, tariff: { importAdderUsdPerKwh: 0, exportFactor: 0.5 }, battery: { ...battery, degradationCostUsdPerKwh: 0.01 } });
      expect(prepareModel(input).needsGridBinary.some((v) => v === 1)).toBe(prices.some((p) => p < 0));
      const a = dp.plan(input);
      const b = highs.plan(input);
      expect(a.solver, a.notes.join('; ')).toBe('dp');
      expect(relativeGap(a, b)).toBeLessThan(1e-6);
    }
    expect(negativeDays).toBeGreaterThan(0);
  });
});

describe('time bound', () => {
  /** A timer that advances 10 ms every time it is read: any budget below that expires at the first look. */
  function steppingTimer(): () => number {
    let ms = 0;
    return () => (ms += 10);
  }

  it('past the bound the plan is the verified hold plan (status fallback), with the reason in the notes', () => {
    const input = makeInput(randomPrices(96, 5, { spikes: true }), { seed: 5 });
    const planner = plannerFromSolver(new DpSolver(), { timer: steppingTimer(), timeLimitMs: 1 });
    const p = planner.plan(input);
    expect(p.status).toBe('fallback');
    expect(p.solver).toBe('hold');
    expect(p.verification.ok).toBe(true);
    expect(p.notes.join(' ')).toMatch(/dp ran out of time/);
    for (let t = 0; t <= 96; t++) expect(p.socKwh[t]).toBeCloseTo(input.initialSocKwh, 9);
    // the same planner without a bound solves it
    const solved = plannerFromSolver(new DpSolver(), { timer: steppingTimer() }).plan(input);
    expect(solved.solver).toBe('dp');
    expect(solved.objectiveUsd).toBeLessThan(p.objectiveUsd);
  });

  it('the hold plan of a battery below its reserve charges up as fast as allowed, and HiGHS without time left also yields it', async () => {
    const input = makeInput(randomPrices(48, 6), { seed: 6, initialSocKwh: 0.5, maxCyclesPerDay: 0.5 });
    const { createHighsSolver } = await import('../../../src/adapters/solvers/highs.js');
    const planner = plannerFromSolver(await createHighsSolver(), { timer: steppingTimer(), timeLimitMs: 5 });
    const p = planner.plan(input);
    expect(p.status).toBe('fallback');
    expect(p.notes.join(' ')).toMatch(/highs ran out of time/);
    expect(p.verification.ok).toBe(true);
    expect(p.chargeKw[0]).toBeCloseTo(battery.maxChargeKw, 9);
    expect(p.socKwh[48]).toBeCloseTo(reserveFloorKwh(battery), 9);
  });

  it('a generous bound changes nothing: dp answers within it', () => {
    const input = makeInput(randomPrices(96, 7, { spikes: true }), { seed: 7 });
    let ms = 0;
    const p = plannerFromSolver(new DpSolver(), { timer: () => (ms += 0.001), timeLimitMs: 60_000 }).plan(input);
    expect(p.solver).toBe('dp');
    expect(p.status).toBe('optimal');
  });
});
