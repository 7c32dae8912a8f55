/**
 * Optimizer benchmarks: prints figures (never asserts times). Cases, selectable by a substring filter:
 *   plan-96, plan-672, foresight-year, rolling-year
 * Prices: the six real ERCOT RTM months (HB_HOUSTON) from datasets/ercot (gzipped), repeated cyclically to fill a year.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readDataFileSync } from '../src/adapters/files/text-files.js';
import { createPlanner } from '../src/adapters/solvers/planner-factory.js';
import type { BatterySpec } from '../src/domain/battery/battery.js';
import { prepareModel, type Plan, type PlanInput, type Planner, type SolverName } from '../src/domain/optimizer/index.js';
import { ercotIntervalStartMs } from '../src/domain/time/ercot-calendar.js';
import { INTERVAL_HOURS, INTERVAL_MS } from '../src/domain/time/interval.js';

const MONTHS = ['June_2024.csv.gz', 'July_2024.csv.gz', 'August_2024.csv.gz', 'December_2024.csv.gz', 'January_2025.csv.gz', 'February_2025.csv.gz'];
const YEAR = 35_040;

let BATTERY: BatterySpec = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };
const TARIFF = { importAdderUsdPerKwh: 0.03, exportFactor: 1 };

function readMonth(dir: string, file: string, point: string): Float64Array {
  const rows: Array<[number, number]> = [];
  for (const line of readDataFileSync(path.join(dir, file)).split(/\r?\n/).slice(1)) {
    const f = line.split(',');
    if (f[4] !== point) continue;
    const [mm, dd, yyyy] = f[0].split('/');
    rows.push([ercotIntervalStartMs(`${yyyy}-${mm}-${dd}`, Number(f[1]), Number(f[2]), f[3] === 'Y'), Number(f[6])]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return Float64Array.from(rows, (r) => r[1]);
}

function yearOfPrices(): Float64Array {
  const dir = path.resolve(process.cwd(), 'datasets/ercot/rtm-spp-15min');
  const months = MONTHS.map((m) => readMonth(dir, m, 'HB_HOUSTON'));
  const out = new Float64Array(YEAR + 200);
  let o = 0;
  for (let k = 0; o < out.length; k++) {
    const m = months[k % months.length];
    const take = Math.min(m.length, out.length - o);
    out.set(m.subarray(0, take), o);
    o += take;
  }
  return out;
}

function siteSeries(n: number): { loadKw: Float64Array; solarKw: Float64Array } {
  const loadKw = new Float64Array(n);
  const solarKw = new Float64Array(n);
  let s = 12345;
  const r = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < n; i++) {
    const hod = (i % 96) / 4;
    loadKw[i] = 0.6 + 1.5 * r() + (hod > 16 && hod < 22 ? 1.5 : 0);
    solarKw[i] = hod > 7 && hod < 19 ? 6 * Math.sin(((hod - 7) / 12) * Math.PI) * (0.6 + 0.4 * r()) : 0;
  }
  return { loadKw, solarKw };
}

const START_MS = Date.UTC(2024, 5, 1, 5);

function input(prices: Float64Array, site: { loadKw: Float64Array; solarKw: Float64Array }, from: number, n: number, socKwh: number, terminal: PlanInput['terminal']): PlanInput {
  return {
    startMs: START_MS + from * INTERVAL_MS,
    intervalHours: INTERVAL_HOURS,
    battery: BATTERY,
    initialSocKwh: socKwh,
    priceUsdPerMwh: prices.subarray(from, from + n),
    loadKw: site.loadKw.subarray(from, from + n),
    solarKw: site.solarKw.subarray(from, from + n),
    exportAllowed: new Uint8Array(n).fill(1),
    tariff: TARIFF,
    terminal,
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const fmt = (ms: number): string => (ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));

function timePlans(planner: Planner, inputs: PlanInput[], reps: number, warm: number): { total: number[]; solve: number[]; plans: Plan[] } {
  const total: number[] = [];
  const solve: number[] = [];
  const plans: Plan[] = [];
  for (let r = 0; r < warm + reps; r++) {
    const inp = inputs[r % inputs.length];
    const t0 = performance.now();
    const p = planner.plan(inp);
    const t1 = performance.now();
    if (r >= warm) {
      total.push(t1 - t0);
      solve.push(p.timing.solveMs);
      if (plans.length < inputs.length) plans.push(p);
    }
  }
  return { total, solve, plans };
}

function sideBySide(title: string, planners: Map<SolverName, Planner>, inputs: PlanInput[], reps: Record<string, number>, skipped: string[]): void {
  console.log(`\n## ${title} (same ${inputs.length} models for every solver, warm)`);
  console.log('solver      | plan median ms | plan p95 ms | solve median ms | max |Δobjective| vs highs (relative)');
  const ref = planners.has('highs') ? timePlans(planners.get('highs')!, inputs, inputs.length, 0).plans : [];
  for (const [name, planner] of planners) {
    const n = reps[name] ?? 100;
    const { total, solve, plans } = timePlans(planner, inputs, n, Math.min(20, n));
    let maxRel = 0;
    plans.forEach((p, k) => {
      const q = ref[k % ref.length];
      if (q) maxRel = Math.max(maxRel, Math.abs(p.objectiveUsd - q.objectiveUsd) / Math.max(1, Math.abs(q.objectiveUsd)));
    });
    console.log(`${name.padEnd(11)} | ${fmt(quantile(total, 0.5)).padStart(14)} | ${fmt(quantile(total, 0.95)).padStart(11)} | ${fmt(quantile(solve, 0.5)).padStart(15)} | ${maxRel.toExponential(2)} (${plans.length} models, ${n} solves)`);
  }
  for (const s of skipped) console.log(`(${s})`);
}

/** This file selects its cases by the runner's filter. */
export const takesFilter = true;

const CASES = ['plan-96', 'plan-672', 'foresight-year', 'rolling-year', 'zero-degradation'];

export async function run(filter = ''): Promise<void> {
  const want = (name: string): boolean => !filter || name.includes(filter);
  if (!CASES.some(want)) return; // the filter selects another bench file (e.g. `store`)
  const prices = yearOfPrices();
  const site = siteSeries(prices.length);
  const planners = new Map<SolverName, Planner>();
  for (const s of ['dp', 'highs', 'glpk', 'jsLpSolver'] as const) planners.set(s, await createPlanner(s));
  console.log(`# Optimizer benchmarks (node ${process.version}, battery 13.5 kWh / 5 kW / RTE 0.9 / reserve 20 % / $0.02 per kWh discharged; HB_HOUSTON RTM Jun 2024–Feb 2025 repeated)`);

  if (want('plan-96')) {
    const inputs = Array.from({ length: 20 }, (_, k) => input(prices, site, k * 1700, 96, 7, { kind: 'value', usdPerKwh: 0.04 }));
    sideBySide('plan-96: 24-hour plan, 96 intervals', planners, inputs, { dp: 2000, highs: 200, glpk: 100, jsLpSolver: 40 }, []);
  }
  if (want('plan-672')) {
    const inputs = Array.from({ length: 4 }, (_, k) => input(prices, site, k * 8000, 672, 7, { kind: 'value', usdPerKwh: 0.04 }));
    const some = new Map([...planners].filter(([n]) => n !== 'jsLpSolver'));
    sideBySide('plan-672: one-week plan, 672 intervals', some, inputs, { dp: 200, highs: 20, glpk: 8 }, ['jsLpSolver skipped: its dense tableau takes ~1 s here and minutes beyond']);
  }
  if (want('foresight-year')) {
    console.log('\n## foresight-year: perfect foresight, 35,040 intervals, final SoC ≥ initial');
    const inp = input(prices, site, 0, YEAR, 7, { kind: 'atLeastInitial' });
    const m = prepareModel(inp);
    console.log(`intervals needing a binary (non-convex): ${m.binaryIntervals}`);
    const results: Array<[string, Plan, number]> = [];
    for (const name of ['dp', 'highs'] as const) {
      const t0 = performance.now();
      const p = planners.get(name)!.plan(inp);
      results.push([name, p, performance.now() - t0]);
    }
    for (const [name, p, ms] of results) {
      console.log(`${name.padEnd(6)}: ${(ms / 1000).toFixed(3)} s (build ${fmt(p.timing.buildMs)} ms, solve ${fmt(p.timing.solveMs)} ms, verify ${fmt(p.timing.verifyMs)} ms), objective $${p.objectiveUsd.toFixed(6)}, solver used ${p.solver}`);
    }
    const [a, b] = results;
    console.log(`relative objective difference dp vs highs: ${(Math.abs(a[1].objectiveUsd - b[1].objectiveUsd) / Math.max(1, Math.abs(b[1].objectiveUsd))).toExponential(2)}`);
    console.log('(glpk and jsLpSolver skipped at this size: minutes of solve time / gigabytes of tableau)');
  }
  if (filter.includes('zero-degradation')) {
    // non-convex variant: with no degradation cost every negative-price interval would make burning pay, so dp hands
    // those plans to the HiGHS MIP (only when asked for explicitly: `npm run bench -- zero-degradation`)
    BATTERY = { ...BATTERY, degradationCostUsdPerKwh: 0 };
    const dp = planners.get('dp')!;
    const inp = input(prices, site, 0, YEAR, 7, { kind: 'atLeastInitial' });
    console.log(`\n## zero-degradation: intervals needing a binary in the year: ${prepareModel(inp).binaryIntervals}`);
    const t0 = performance.now();
    const p = dp.plan(inp);
    console.log(`perfect foresight year: ${((performance.now() - t0) / 1000).toFixed(2)} s, solver used ${p.solver}`);
    let soc = 7;
    let fallbacks = 0;
    const plans = YEAR;
    const t1 = performance.now();
    for (let i = 0; i < plans; i++) {
      const q = dp.plan(input(prices, site, i, 96, soc, { kind: 'value', usdPerKwh: 0.04 }));
      if (q.solver !== 'dp') fallbacks++;
      soc = q.socKwh[1];
    }
    const sec = (performance.now() - t1) / 1000;
    console.log(`rolling year, ${plans} plans of 96: ${sec.toFixed(2)} s (${fallbacks} fell back to the MIP)`);
    BATTERY = { ...BATTERY, degradationCostUsdPerKwh: 0.02 };
  }
  if (want('rolling-year')) {
    console.log('\n## rolling-year: 35,040 plans of 96 intervals, each shifted by one interval (dp), SoC carried forward');
    const planner = planners.get('dp')!;
    let soc = 7;
    let peakRss = process.memoryUsage().rss;
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < YEAR; i++) {
      const s = performance.now();
      const p = planner.plan(input(prices, site, i, 96, soc, { kind: 'value', usdPerKwh: 0.04 }));
      times.push(performance.now() - s);
      soc = p.socKwh[1];
      if ((i & 1023) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const total = (performance.now() - t0) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(`total ${total.toFixed(2)} s, per plan median ${fmt(quantile(times, 0.5))} ms / p95 ${fmt(quantile(times, 0.95))} ms, peak RSS ${(peakRss / 1e6).toFixed(0)} MB`);
  }
}
