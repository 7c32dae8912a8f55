import { beforeAll, describe, expect, it } from 'vitest';
import { reserveFloorKwh, socCoefficients } from '../../../src/domain/battery/battery.js';
import { UnverifiedSolution } from '../../../src/domain/errors.js';
import { DpSolver, plannerFromSolver, prepareModel, verifySchedule, type Plan, type PlanInput, type Planner, type SolverName } from '../../../src/domain/optimizer/index.js';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { ercotDateOf, ercotIntervalStartMs } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { battery, makeInput, randomPrices, readRtmCsv } from './fixtures.js';

const planners = {} as Record<SolverName, Planner>;
beforeAll(async () => {
  for (const s of ['dp', 'highs', 'glpk', 'jsLpSolver'] as const) planners[s] = await createPlanner(s);
});

function expectSameObjective(a: Plan, b: Plan): void {
  const scale = Math.max(1, Math.abs(a.objectiveUsd));
  expect(Math.abs(a.objectiveUsd - b.objectiveUsd) / scale).toBeLessThan(1e-6);
}

function expectOneMode(p: Plan): void {
  for (let i = 0; i < p.chargeKw.length; i++) {
    expect(Math.min(p.chargeKw[i], p.dischargeKw[i])).toBe(0);
    expect(Math.min(p.gridImportKw[i], p.gridExportKw[i])).toBe(0);
  }
}

/** The solver that must have answered: the one asked for, except that dp hands cycle-capped models to HiGHS. */
/** dp answers every model these tests build itself (cycles caps by per-day prices, import cheaper than export by kinks). */
function answeringSolver(asked: SolverName, _input: PlanInput): SolverName {
  return asked;
}

function crossCheck(input: PlanInput, solvers: SolverName[]): Plan[] {
  const plans = solvers.map((s) => planners[s].plan(input));
  for (const [i, p] of plans.entries()) {
    // "dp agrees with HiGHS" only means something if dp answered: dp answers itself, except a cycles-capped model whose
    // per-day prices it cannot certify, which it hands to HiGHS and says so.
    if (solvers[i] === 'dp' && input.maxCyclesPerDay !== undefined && p.solver !== 'dp') {
      expect(p.solver).toBe('highs');
      expect(p.notes.join(' ')).toMatch(/dp declined/);
    } else expect(p.solver).toBe(answeringSolver(solvers[i], input));
    expect(p.verification.ok).toBe(true);
    expectOneMode(p);
    expect(p.socKwh.length).toBe(input.priceUsdPerMwh.length + 1);
  }
  for (const p of plans.slice(1)) expectSameObjective(plans[0], p);
  return plans;
}

const august = readRtmCsv('August_2024.csv.gz');
function augustWindow(startInterval: number, n: number, opts: Partial<PlanInput> & { seed?: number } = {}): PlanInput {
  return makeInput(august.priceUsdPerMwh.subarray(startInterval, startInterval + n), { startMs: august.startMs + startInterval * INTERVAL_MS, ...opts });
}

describe('solvers agree on the same model', () => {
  it('random 96-interval windows with spikes: all four solvers, objectives within 1e-6', () => {
    for (const seed of [11, 12, 13, 14]) crossCheck(makeInput(randomPrices(96, seed, { spikes: true }), { seed }), ['dp', 'highs', 'glpk', 'jsLpSolver']);
  });

  it('real HB_HOUSTON August 2024 windows (96 and 672 intervals)', () => {
    for (const start of [0, 96 * 7, 96 * 19, 96 * 25]) crossCheck(augustWindow(start, 96, { seed: start }), ['dp', 'highs', 'glpk']);
    crossCheck(augustWindow(96 * 14, 672), ['dp', 'highs', 'glpk']);
    crossCheck(augustWindow(96 * 3, 48, { seed: 3 }), ['dp', 'highs', 'glpk', 'jsLpSolver']);
  });

  it('the 2024-08-20 price spike: discharges into it at full power', () => {
    const day = (Date.UTC(2024, 7, 20, 5) - august.startMs) / INTERVAL_MS;
    const input = augustWindow(day, 96, { initialSocKwh: 13.5 });
    let max = -Infinity;
    let at = -1;
    input.priceUsdPerMwh.forEach((p, i) => {
      if (p > max) [max, at] = [p, i];
    });
    expect(max).toBeGreaterThan(4000); // $4,855.55/MWh at HB_HOUSTON; random windows above cover > $5,000
    const [dp] = crossCheck(input, ['dp', 'highs', 'glpk']);
    expect(dp.dischargeKw[at]).toBeCloseTo(battery.maxDischargeKw, 6);
  });
});

describe('mode exclusivity at negative prices', () => {
  it('no simultaneous charge/discharge or import/export; dp (bundle of convex pieces) agrees with the MIPs', () => {
    for (const seed of [21, 22, 23]) {
      const input = makeInput(randomPrices(96, seed, { negative: true }), { seed, battery: { ...battery, degradationCostUsdPerKwh: 0 } });
      const model = prepareModel(input);
      expect(model.binaryIntervals).toBeGreaterThan(0);
      const plans = crossCheck(input, ['dp', 'highs', 'glpk']);
      expect(plans[0].solver).toBe('dp');
    }
  });

  it('import cheaper than export credit (exportFactor > 1) needs the grid binary', () => {
    // short horizon: this MIP has a binary in nearly every interval
    const input = makeInput(randomPrices(16, 31), { seed: 31, tariff: { importAdderUsdPerKwh: 0, exportFactor: 1.5 } });
    expect(prepareModel(input).needsGridBinary.some((v) => v === 1)).toBe(true);
    // dp solves it itself (each interval's cost split at its concave kink) and agrees with the MIPs
    const [viaDp] = crossCheck(input, ['dp', 'highs', 'glpk']);
    expect(viaDp.solver).toBe('dp');
  });

  it('mild negative prices with degradation cost keep the pure LP exact (no binaries) and dp solves them itself', () => {
    const prices = randomPrices(96, 41).map((p, i) => (i % 10 === 0 ? -20 : p));
    const input = makeInput(prices, { seed: 41 });
    expect(prepareModel(input).binaryIntervals).toBe(0);
    const [dp] = crossCheck(input, ['dp', 'highs', 'glpk']);
    expect(dp.solver).toBe('dp');
  });
});

describe('calendar and physical rules', () => {
  it('DST days: 92 and 100 intervals', () => {
    for (const [date, n] of [['2024-03-10', 92], ['2024-11-03', 100]] as const) {
      const startMs = ercotIntervalStartMs(date, 1, 1);
      const input = makeInput(randomPrices(n, n, { spikes: true }), { startMs, seed: n, maxCyclesPerDay: 1 });
      expect(ercotDateOf(startMs + (n - 1) * INTERVAL_MS)).toBe(date);
      expect(ercotDateOf(startMs + n * INTERVAL_MS)).not.toBe(date);
      expect(crossCheck(input, ['dp', 'highs', 'glpk'])[0].solver).toBe('dp');
      crossCheck({ ...input, maxCyclesPerDay: undefined }, ['dp', 'highs']);
    }
  });

  it('no-export intervals: discharge only covers the home net load; solar surplus may still be exported', () => {
    const input = makeInput(randomPrices(96, 51, { spikes: true }), { seed: 51, exportAllowed: new Uint8Array(96) });
    const plans = crossCheck(input, ['dp', 'highs', 'glpk']);
    for (const p of plans) {
      for (let i = 0; i < 96; i++) {
        expect(p.dischargeKw[i]).toBeLessThanOrEqual(Math.max(0, input.loadKw[i] - input.solarKw[i]) + 1e-9);
        expect(p.gridExportKw[i]).toBeLessThanOrEqual(Math.max(0, input.solarKw[i] - input.loadKw[i]) + 1e-9);
      }
    }
    expect(plans[0].gridExportKw.some((v) => v > 0)).toBe(true);
  });

  it('reserve floor: SoC never below max(10 %, site reserve) even with a huge spike', () => {
    const prices = randomPrices(96, 61);
    prices[50] = 9000;
    const input = makeInput(prices, { seed: 61, battery: { ...battery, minReservePercent: 30 } });
    const floor = reserveFloorKwh(input.battery);
    for (const p of crossCheck(input, ['dp', 'highs', 'glpk'])) {
      expect(Math.min(...p.socKwh)).toBeGreaterThanOrEqual(floor - 1e-6);
      expect(Math.min(...p.socKwh)).toBeLessThan(floor + 1e-6);
    }
  });

  it('SoC below the reserve at the start: a recovering plan that charges up as fast as allowed', () => {
    const input = makeInput(randomPrices(96, 71, { spikes: true }), { seed: 71, initialSocKwh: 0.5 });
    const k = socCoefficients(battery, input.intervalHours);
    const floor = reserveFloorKwh(battery);
    for (const p of crossCheck(input, ['dp', 'highs', 'glpk'])) {
      expect(p.status).toBe('recovering');
      expect(p.notes.join(' ')).toMatch(/below the reserve floor/);
      for (let t = 0; t <= 96; t++) expect(p.socKwh[t]).toBeGreaterThanOrEqual(Math.min(floor, 0.5 + t * battery.maxChargeKw * k.kwhPerChargeKw) - 1e-6);
      expect(p.chargeKw[0]).toBeCloseTo(battery.maxChargeKw, 9);
    }
  });

  it('zero power limits and zero capacity still give a (recovering, idle) plan', () => {
    const zero = makeInput(randomPrices(96, 81), { battery: { ...battery, maxChargeKw: 0, maxDischargeKw: 0 } });
    for (const p of crossCheck(zero, ['dp', 'highs', 'glpk'])) {
      expect(p.status).toBe('recovering');
      expect(p.chargeKw.every((v) => v === 0) && p.dischargeKw.every((v) => v === 0)).toBe(true);
    }
    const below = { ...zero, initialSocKwh: 0 };
    expect(planners.dp.plan(below).status).toBe('recovering');
    const empty = makeInput(randomPrices(96, 82), { battery: { ...battery, capacityKwh: 0 }, initialSocKwh: 0 });
    for (const p of crossCheck(empty, ['dp', 'highs'])) expect(p.status).toBe('recovering');
  });

  it('cycles-per-day cap holds per ERCOT day and costs money', () => {
    const start = 96 * 10;
    const free = augustWindow(start, 96 * 3, { seed: 5 });
    const capped = { ...free, maxCyclesPerDay: 0.5 };
    const [uncapped] = crossCheck(free, ['dp', 'highs']);
    const plans = crossCheck(capped, ['dp', 'highs', 'glpk']);
    // three binding days: dp's per-day price search may not certify it; then the notes say so and HiGHS answers
    if (plans[0].solver !== 'dp') expect(plans[0].notes.join(' ')).toMatch(/dp declined .*cycles-cap/);
    const usable = battery.capacityKwh - reserveFloorKwh(battery);
    const perDay = new Map<string, number>();
    plans[0].dischargeKw.forEach((d, i) => {
      const day = ercotDateOf(capped.startMs + i * INTERVAL_MS);
      perDay.set(day, (perDay.get(day) ?? 0) + d * capped.intervalHours);
    });
    for (const kwh of perDay.values()) expect(kwh / usable).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(plans[0].objectiveUsd).toBeGreaterThan(uncapped.objectiveUsd);
  });

  it('dischargedTodayKwh: the first ERCOT day of the horizon only gets what is left of its allowance (all LP solvers agree)', () => {
    const usable = battery.capacityKwh - reserveFloorKwh(battery);
    const discharged = (p: Plan, input: PlanInput): Map<string, number> => {
      const perDay = new Map<string, number>();
      p.dischargeKw.forEach((d, i) => {
        const day = ercotDateOf(input.startMs + i * INTERVAL_MS);
        perDay.set(day, (perDay.get(day) ?? 0) + d * input.intervalHours);
      });
      return perDay;
    };
    // starts at noon of 2024-08-11 and runs into 2024-08-12: 48 intervals on the first day, 96 on the second
    const base = augustWindow(96 * 10 + 48, 96 + 48, { seed: 7, maxCyclesPerDay: 1 });
    const firstDay = ercotDateOf(base.startMs);
    let previousObjective = -Infinity;
    let previousFirstDay = Infinity;
    for (const before of [0, 0.4 * usable, 0.9 * usable, 1.5 * usable]) {
      const input = { ...base, dischargedTodayKwh: before };
      const plans = crossCheck(input, ['highs', 'glpk', 'dp']);
      expect(plans[2].solver).toBe('dp'); // dp solves capped models itself (Lagrangian day prices, certified)
      for (const p of plans) {
        const perDay = discharged(p, input);
        expect(perDay.get(firstDay) ?? 0).toBeLessThanOrEqual(Math.max(0, usable - before) + 1e-9);
        for (const [day, kwh] of perDay) if (day !== firstDay) expect(kwh).toBeLessThanOrEqual(usable + 1e-9);
      }
      const firstDayKwh = discharged(plans[0], input).get(firstDay) ?? 0;
      if (before >= usable) expect(firstDayKwh).toBe(0);
      // less allowance can only cost money, and the first day's discharge never grows
      expect(plans[0].objectiveUsd).toBeGreaterThanOrEqual(previousObjective - 1e-9);
      expect(firstDayKwh).toBeLessThanOrEqual(previousFirstDay + 1e-9);
      previousObjective = plans[0].objectiveUsd;
      previousFirstDay = firstDayKwh;
    }
    // with nothing discharged earlier the allowance is the whole cap: the first day uses more than 0.4 of it, so
    // the reduced allowance really binds and costs money
    const free = planners.highs.plan({ ...base, dischargedTodayKwh: 0 });
    const reduced = planners.highs.plan({ ...base, dischargedTodayKwh: 0.9 * usable });
    expect(discharged(free, base).get(firstDay)!).toBeGreaterThan(0.1 * usable + 1e-6);
    expect(reduced.objectiveUsd).toBeGreaterThan(free.objectiveUsd + 1e-6);
    // the verifier holds a schedule to the reduced allowance
    const check = verifySchedule({ ...base, dischargedTodayKwh: 0.9 * usable }, free);
    expect(check.ok).toBe(false);
    expect(check.problems.join(' ')).toMatch(/ERCOT day 0: .* exceed the cap 1/);
    // javascript-lp-solver (dense tableau) on a short window across midnight agrees too
    const short = augustWindow(96 * 10 + 80, 32, { seed: 8, maxCyclesPerDay: 0.5, dischargedTodayKwh: 0.3 * usable });
    crossCheck(short, ['highs', 'glpk', 'jsLpSolver']);
  });

  it('dischargedTodayKwh across the fall-back day (25 h ERCOT day)', () => {
    const startMs = ercotIntervalStartMs('2024-11-03', 1, 1) + 40 * INTERVAL_MS;
    const input = makeInput(randomPrices(100, 33, { spikes: true }), { startMs, seed: 33, maxCyclesPerDay: 1, dischargedTodayKwh: 5 });
    expect(ercotDateOf(startMs + 59 * INTERVAL_MS)).toBe('2024-11-03');
    expect(ercotDateOf(startMs + 60 * INTERVAL_MS)).toBe('2024-11-04');
    const usable = battery.capacityKwh - reserveFloorKwh(battery);
    for (const p of crossCheck(input, ['highs', 'glpk'])) {
      let first = 0;
      for (let i = 0; i < 60; i++) first += p.dischargeKw[i] * input.intervalHours;
      expect(first).toBeLessThanOrEqual(usable - 5 + 1e-9);
    }
    expect(prepareModel(input).cycleCapKwh![0]).toBeCloseTo(usable - 5, 12);
    expect(prepareModel(input).cycleCapKwh![1]).toBeCloseTo(usable, 12);
  });

  it('dischargedTodayKwh must be finite and ≥ 0', () => {
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => planners.dp.plan(makeInput(randomPrices(8, 1), { maxCyclesPerDay: 1, dischargedTodayKwh: bad }))).toThrow(/dischargedTodayKwh/);
    }
  });
});

describe('terminal conditions', () => {
  it("'atLeastInitial': final SoC ≥ initial", () => {
    const input = makeInput(randomPrices(96, 91, { spikes: true }), { seed: 91, terminal: { kind: 'atLeastInitial' }, initialSocKwh: 9 });
    for (const p of crossCheck(input, ['dp', 'highs', 'glpk', 'jsLpSolver'])) expect(p.socKwh[96]).toBeGreaterThanOrEqual(9 - 1e-6);
  });

  it("'value': a high value fills the battery, zero value empties it to the floor", () => {
    const prices = new Float64Array(96).fill(40);
    const full = makeInput(prices, { terminal: { kind: 'value', usdPerKwh: 5 } });
    for (const p of crossCheck(full, ['dp', 'highs', 'glpk'])) expect(p.socKwh[96]).toBeCloseTo(battery.capacityKwh, 6);
    const empty = makeInput(prices, { terminal: { kind: 'value', usdPerKwh: 0 }, withSolar: false });
    for (const p of crossCheck(empty, ['dp', 'highs', 'glpk'])) expect(p.socKwh[96]).toBeCloseTo(reserveFloorKwh(battery), 6);
  });
});

describe('verification', () => {
  const input = makeInput(randomPrices(96, 101, { spikes: true }), { seed: 101 });
  const copy = (p: Plan): Plan => ({
    ...p,
    chargeKw: p.chargeKw.slice(),
    dischargeKw: p.dischargeKw.slice(),
    gridImportKw: p.gridImportKw.slice(),
    gridExportKw: p.gridExportKw.slice(),
    socKwh: p.socKwh.slice(),
  });

  it('accepts the planner’s own plan and rejects tampered ones', () => {
    const plan = planners.dp.plan(input);
    expect(verifySchedule(input, plan).ok).toBe(true);

    const moreDischarge = copy(plan);
    moreDischarge.dischargeKw[10] += 1;
    expect(verifySchedule(input, moreDischarge).ok).toBe(false);

    const lowSoc = copy(plan);
    lowSoc.socKwh[40] = 0;
    expect(verifySchedule(input, lowSoc).problems.join(' ')).toMatch(/interval 40/);

    const both = copy(plan);
    const i = both.chargeKw.findIndex((c) => c > 0.5);
    both.dischargeKw[i] = 0.5;
    both.chargeKw[i] += 0.5 / (socCoefficients(battery, 0.25).kwhPerChargeKw / socCoefficients(battery, 0.25).kwhPerDischargeKw);
    const r = verifySchedule(input, both);
    expect(r.ok).toBe(false);
    expect(r.problems.join(' ')).toMatch(/simultaneous charge/);

    const cheaper = copy(plan);
    cheaper.objectiveUsd -= 1;
    expect(verifySchedule(input, cheaper).ok).toBe(false);

    const overPower = copy(plan);
    overPower.chargeKw[5] = battery.maxChargeKw + 1;
    expect(verifySchedule(input, overPower).problems.join(' ')).toMatch(/charge .* outside/);
  });

  it('the planner throws UnverifiedSolution when a solver lies', () => {
    const honest = new DpSolver();
    const liar = {
      name: 'liar',
      supports: () => true,
      solve: (m: Parameters<DpSolver['solve']>[0]) => {
        const raw = honest.solve(m);
        raw.dischargeKw[3] += 2;
        return raw;
      },
    };
    expect(() => plannerFromSolver(liar).plan(input)).toThrow(UnverifiedSolution);
  });
});
