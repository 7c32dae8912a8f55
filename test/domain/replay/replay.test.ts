import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ercotDatasetPath } from '../../datasets.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { replayScenario } from '../../../src/app/replay/replay-service.js';
import { loadScenario } from '../../../src/app/replay/load-scenario.js';
import type { Planner } from '../../../src/domain/ports/planner.js';
import { planInputFor, type ReplayData } from '../../../src/domain/replay/replay-data.js';
import { baselineCostUsd, realTimePrices } from '../../../src/domain/replay/settle.js';
import { ercotDateOf, ercotDay, toErcotIso } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_HOURS, INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { reserveFloorKwh } from '../../../src/domain/battery/battery.js';
import { cyclesCapViolations } from '../../../src/domain/replay/cycles-cap.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const smoke = join(fixtures, 'scenarios/smoke.json');
const repoScenarios = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

let planner: Planner;
beforeAll(async () => {
  planner = await createPlanner();
});

/** A variant of the fixture smoke scenario written next to the fixtures' copy in a temp dir. */
function variant(change: (s: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  cpSync(join(fixtures, 'prices'), join(dir, 'prices'), { recursive: true });
  const s = JSON.parse(readFileSync(smoke, 'utf8')) as Record<string, unknown>;
  change(s);
  const file = join(dir, 'scenarios-smoke.json');
  writeFileSync(file, JSON.stringify(s, null, 2).replaceAll('../prices/', './prices/'));
  return file;
}

/**
 * Every strategy is settled at the real-time prices of the scenario (not at its forecast or signal price):
 * net value = Σ (cost without battery − cost with battery − degradation), written out here.
 */
function expectSettledAtRealTime(outcomes: Awaited<ReturnType<typeof replayScenario>>['outcomes'], d: ReplayData): void {
  const rt = realTimePrices(d);
  for (const o of outcomes) {
    let net = 0;
    let decidedAtOtherPrices = 0;
    o.settlement.intervals.forEach((iv, i) => {
      const usdPerKwh = rt[i] / 1000;
      const cost = (gridKw: number) => (gridKw >= 0 ? gridKw * (usdPerKwh + d.tariff.importAdderUsdPerKwh) : gridKw * usdPerKwh * d.tariff.exportFactor) * 0.25;
      const homeKw = d.loadKw[i] - d.solarKw[i];
      net += cost(homeKw) - cost(homeKw + iv.chargeKw - iv.dischargeKw) - iv.dischargeKw * 0.25 * d.battery.degradationCostUsdPerKwh;
      if (Math.abs(iv.decisionPriceUsdPerMwh - rt[i]) > 1 && (iv.chargeKw > 0 || iv.dischargeKw > 0)) decidedAtOtherPrices++;
    });
    expect(o.settlement.netValueUsd).toBeCloseTo(net, 9);
    if (o.run.kind !== 'perfect-foresight') expect(decidedAtOtherPrices).toBeGreaterThan(0); // so the check tells the two prices apart
  }
}

describe('replay service', () => {
  it('perfect foresight: the simulated net value equals the whole-period LP optimum to 1e-6, and every strategy runs without violations', async () => {
    const result = await replayScenario(smoke, { planner });
    const loaded = await loadScenario(smoke);
    const d = loaded.data;
    const plan = planner.plan(planInputFor(d, 0, d.n, Float64Array.from(realTimePrices(d)), d.initialSocKwh, { kind: 'atLeastInitial' }));
    const lpNet = baselineCostUsd(d) - plan.objectiveUsd;
    const pf = result.report.strategies.find((s) => s.kind === 'perfect-foresight')!;
    expect(lpNet).toBeGreaterThan(1);
    expect(Math.abs(pf.netValueUsd - lpNet) / Math.abs(lpNet)).toBeLessThan(1e-6);
    expect(pf.captureRate).toBeCloseTo(1, 12);
    expect(result.report.strategies.map((s) => s.name)).toEqual(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']);
    expect(result.report.violations).toEqual([]);
    for (const s of result.report.strategies) {
      expect(s.violations).toEqual([]);
      expect(s.netValueUsd).toBeCloseTo(s.grossValueUsd - s.degradationCostUsd, 9);
      expect(s.captureRate).toBeCloseTo(s.adjustedNetValueUsd / pf.adjustedNetValueUsd, 12);
      expect(s.adjustedNetValueUsd).toBeCloseTo(s.netValueUsd + s.terminalValueUsd, 9);
      expect(s.netValueUsd).toBeLessThanOrEqual(pf.netValueUsd + 0.5); // may end lower on SoC, never far above the ceiling
    }
    expect(result.report.intervals).toBe(192);
    expect(result.report.priceRange.maxUsdPerMwh).toBe(4855.55);
    expect(result.report.priceRange.maxAt).toBe('2024-08-20T19:30:00-05:00');
    const rolling = result.report.strategies.find((s) => s.kind === 'rolling')!;
    expect(rolling.timing.solves).toBe(192);
    expectSettledAtRealTime(result.outcomes, d);
  });

  it('no export, home load, import adder and export windows: perfect foresight still matches its LP and nothing is violated', async () => {
    const file = variant((s) => {
      s.site = { load: { constantKw: 1.2 }, solar: { constantKw: 0 } };
      s.tariff = { importAdderUsdPerKwh: 0.04, exportAllowed: [{ from: '17:00', to: '21:00' }] };
    });
    const result = await replayScenario(file, { planner });
    const d = (await loadScenario(file)).data;
    const plan = planner.plan(planInputFor(d, 0, d.n, Float64Array.from(realTimePrices(d)), d.initialSocKwh, { kind: 'atLeastInitial' }));
    const pf = result.report.strategies[0];
    expect(Math.abs(pf.netValueUsd - (baselineCostUsd(d) - plan.objectiveUsd)) / Math.abs(pf.netValueUsd)).toBeLessThan(1e-6);
    expect(result.report.violations).toEqual([]);
    // outside the windows the battery never exports: discharge ≤ home load
    for (const o of result.outcomes) {
      o.settlement.intervals.forEach((iv, i) => {
        if (d.exportAllowed[i] === 0) expect(iv.dischargeKw).toBeLessThanOrEqual(1.2 + 1e-9);
      });
    }
  });

  it('without day-ahead prices rolling and day-ahead fall back to persistence and say so', async () => {
    const file = variant((s) => {
      (s.prices as Record<string, unknown>).dayAhead = undefined;
    });
    const result = await replayScenario(file, { planner, strategies: ['rolling', 'day-ahead'] });
    expect(result.report.dayAheadPrices).toBe(false);
    expect(result.report.strategies.map((s) => s.name)).toEqual(['rolling', 'day-ahead']);
    expect(result.report.notes.join(' ')).toMatch(/persistence/);
    expect(result.report.strategies[0].notes.join(' ')).toMatch(/persistence/);
    expect(result.report.violations).toEqual([]);
  });

  it('replays across the fall-back day (100 intervals) with csv real-time prices and an hourly load file', async () => {
    const file = variant((s) => {
      s.start = '2024-11-03T00:00:00-05:00';
      s.end = '2024-11-04T00:00:00-06:00';
      s.prices = { realTime: { file: './prices/rt-nov.csv', format: 'csv' }, dayAhead: { file: './prices/dam-houston-dst-days.csv', format: 'ercot-api' } };
      s.site = { load: { file: './prices/load-nov.csv', format: 'csv' } };
      s.tariff = { exportAllowed: false };
    });
    const dir = join(file, '..');
    const rt = ['interval_start,price'];
    const load = ['interval_start,kw'];
    for (let ms = Date.parse('2024-10-28T00:00:00Z'); ms < Date.parse('2024-11-06T00:00:00Z'); ms += INTERVAL_MS) {
      const hour = new Date(ms).getUTCHours();
      rt.push(`${new Date(ms).toISOString()},${(20 + 40 * Math.max(0, Math.sin(((hour - 12) / 24) * 2 * Math.PI)) - (hour === 9 ? 30 : 0)).toFixed(2)}`);
      if (ms % 3_600_000 === 0) load.push(`${new Date(ms).toISOString()},${(1 + (hour % 5) / 4).toFixed(2)}`);
    }
    writeFileSync(join(dir, 'prices/rt-nov.csv'), `${rt.join('\n')}\n`);
    writeFileSync(join(dir, 'prices/load-nov.csv'), `${load.join('\n')}\n`);
    const result = await replayScenario(file, { planner });
    expect(result.report.intervals).toBe(100);
    expect(result.report.violations).toEqual([]);
    expect(result.report.baselineCostUsd).toBeGreaterThan(0);
    expect(result.report.priceRange.minUsdPerMwh).toBeLessThan(0);
    const byKind = Object.fromEntries(result.report.strategies.map((s) => [s.kind, s]));
    expect(byKind['day-ahead'].timing.solves).toBe(1); // one ERCOT day of 25 hours
    const d = (await loadScenario(file)).data;
    const plan = planner.plan(planInputFor(d, 0, d.n, Float64Array.from(realTimePrices(d)), d.initialSocKwh, { kind: 'atLeastInitial' }));
    expect(Math.abs(byKind['perfect-foresight'].netValueUsd - (baselineCostUsd(d) - plan.objectiveUsd)) / Math.abs(plan.objectiveUsd - baselineCostUsd(d))).toBeLessThan(1e-6);
    // no export: the battery never discharges more than the home load
    for (const o of result.outcomes) o.settlement.intervals.forEach((iv) => expect(iv.dischargeKw).toBeLessThanOrEqual(iv.loadKw + 1e-9));
  });

  it('a price source may list several files (a period spanning two monthly RT files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-months-'));
    const file = join(dir, 'months.json');
    const s = JSON.parse(readFileSync(smoke, 'utf8'));
    s.start = '2024-07-31T00:00:00-05:00';
    s.end = '2024-08-02T00:00:00-05:00';
    s.prices = {
      realTime: { file: [ercotDatasetPath('rtm-spp-15min/July_2024.csv.gz'), ercotDatasetPath('rtm-spp-15min/August_2024.csv.gz')], format: 'ercot-rtm-yearly' },
      dayAhead: { file: ercotDatasetPath('dam-spp-hourly/dam_spp_HB_HOUSTON.csv.gz'), format: 'ercot-api' },
    };
    s.strategies = ['perfect-foresight', 'day-ahead'];
    writeFileSync(file, JSON.stringify(s));
    const result = await replayScenario(file, { planner });
    expect(result.report.intervals).toBe(192);
    expect(result.report.violations).toEqual([]);
  }, 30_000);

  it('rolling captures at least 80 % of perfect foresight on the bundled summer month (HB_HOUSTON, August 2024)', async () => {
    const file = join(repoScenarios, 'summer-houston-aug2024.json');
    const result = await replayScenario(file, { planner, strategies: ['perfect-foresight', 'rolling'] });
    expectSettledAtRealTime(result.outcomes, (await loadScenario(file)).data);
    const rolling = result.report.strategies.find((s) => s.kind === 'rolling')!;
    console.log(`summer-houston-aug2024: rolling capture ${(rolling.captureRate! * 100).toFixed(1)} %`);
    expect(rolling.captureRate).toBeGreaterThanOrEqual(0.8);
    expect(result.report.violations).toEqual([]);
  }, 120_000);
});

describe('cycles-per-day cap (maxCyclesPerDay)', () => {
  const capped = (maxCyclesPerDay: number): string => variant((s) => {
    s.maxCyclesPerDay = maxCyclesPerDay;
  });
  function dischargedPerDay(intervals: { startMs: number; dischargeKw: number }[]): Map<string, number> {
    const perDay = new Map<string, number>();
    for (const iv of intervals) perDay.set(ercotDateOf(iv.startMs), (perDay.get(ercotDateOf(iv.startMs)) ?? 0) + iv.dischargeKw * INTERVAL_HOURS);
    return perDay;
  }

  it('every strategy keeps each ERCOT day within maxCyclesPerDay · usable kWh over the 2024-08-19..20 spike days, without violations', async () => {
    const free = await replayScenario(smoke, { planner });
    const freeMax = new Map(free.outcomes.map((o) => [o.run.kind, Math.max(...dischargedPerDay(o.settlement.intervals).values())]));
    for (const cycles of [1, 0.3]) {
      const file = capped(cycles);
      const d = (await loadScenario(file)).data;
      const capKwh = cycles * (d.battery.capacityKwh - reserveFloorKwh(d.battery));
      const result = await replayScenario(file, { planner });
      expect(result.report.violations).toEqual([]);
      expect(result.report.priceRange.maxUsdPerMwh).toBe(4855.55);
      expect(result.outcomes.map((o) => o.run.kind)).toEqual(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']);
      for (const o of result.outcomes) {
        const perDay = dischargedPerDay(o.settlement.intervals);
        expect([...perDay.keys()]).toEqual(['2024-08-19', '2024-08-20']);
        for (const kwh of perDay.values()) expect(kwh).toBeLessThanOrEqual(capKwh + 1e-6);
        expect(o.run.violations).toEqual([]);
        // where the uncapped run went over the cap, the capped one uses its allowance fully on that day
        if (freeMax.get(o.run.kind)! > capKwh + 1e-3) expect(Math.max(...perDay.values())).toBeGreaterThan(capKwh - 1e-3);
      }
      // the cap binds: without it, perfect foresight (and at 0.3 every strategy) discharges more on some day
      const over = [...freeMax].filter(([, kwh]) => kwh > capKwh + 1e-3).map(([kind]) => kind);
      expect(over).toContain('perfect-foresight');
      if (cycles < 1) expect(over).toEqual(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']);
    }
  }, 60_000);

  it('reports cycles-cap-exceeded when a schedule exceeds the cap (rolling whose planner ignores dischargedTodayKwh)', async () => {
    const file = capped(0.3);
    const d = (await loadScenario(file)).data;
    const capKwh = 0.3 * (d.battery.capacityKwh - reserveFloorKwh(d.battery));
    const forgetful: Planner = {
      solver: planner.solver,
      plan: (input) => {
        const { dischargedTodayKwh: _ignored, ...rest } = input;
        return planner.plan(rest);
      },
    };
    const result = await replayScenario(file, { planner: forgetful, strategies: ['rolling'] });
    const rolling = result.outcomes.find((o) => o.run.kind === 'rolling')!;
    const overDays = [...dischargedPerDay(rolling.settlement.intervals)].filter(([, kwh]) => kwh > capKwh + 1e-6).map(([day]) => day);
    expect(overDays.length).toBeGreaterThan(0);
    const cap = result.report.violations.filter((v) => v.kind === 'cycles-cap-exceeded');
    expect(cap.map((v) => v.strategy)).toEqual(overDays.map(() => 'rolling'));
    expect(cap.map((v) => v.message.slice(0, 21))).toEqual(overDays.map((day) => `ERCOT day ${day}:`));
  }, 60_000);

  it('cyclesCapViolations: one violation per ERCOT day over the cap, at the interval where it went over (fall-back day of 100 intervals)', () => {
    const battery = { capacityKwh: 10, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0 };
    const day = ercotDay('2024-11-03');
    expect((day.endMs - day.startMs) / INTERVAL_MS).toBe(100);
    const intervals = [];
    // 2024-11-03: 33 intervals at 1 kW = 8.25 kWh (over the 8 kWh cap from the 33rd); 2024-11-04: exactly 8 kWh
    for (let i = 0; i < 100; i++) intervals.push({ startMs: day.startMs + i * INTERVAL_MS, dischargeKw: i >= 60 && i < 93 ? 1 : 0 });
    for (let i = 0; i < 96; i++) intervals.push({ startMs: day.endMs + i * INTERVAL_MS, dischargeKw: i < 32 ? 1 : 0 });
    expect(cyclesCapViolations(battery, undefined, intervals)).toEqual([]);
    const v = cyclesCapViolations(battery, 1, intervals);
    expect(v.map((x) => x.kind)).toEqual(['cycles-cap-exceeded']);
    expect(v[0].at).toBe(toErcotIso(day.startMs + 92 * INTERVAL_MS));
    expect(v[0].message).toMatch(/ERCOT day 2024-11-03: 8\.250000 kWh discharged \(1\.0313 cycles\)/);
    // within the tolerance is fine; just above it is not
    intervals[92].dischargeKw = 4e-6 / INTERVAL_HOURS; // 32 intervals at 1 kW = 8 kWh, plus 4e-6 kWh
    expect(cyclesCapViolations(battery, 1, intervals).length).toBe(1);
    intervals[92].dischargeKw = 0.5e-6 / INTERVAL_HOURS;
    expect(cyclesCapViolations(battery, 1, intervals)).toEqual([]);
    expect(cyclesCapViolations(battery, 0.5, intervals).map((x) => x.message.slice(0, 21))).toEqual(['ERCOT day 2024-11-03:', 'ERCOT day 2024-11-04:']);
  });
});
