/**
 * Runs a replay: every strategy through the device simulator, settled at real-time prices, with perfect foresight
 * as the reference for capture rates (run even when not asked for, then left out of the table).
 */
import type { Clock } from '../time/clock.js';
import { toErcotIso } from '../time/ercot-calendar.js';
import { INTERVAL_MS } from '../time/interval.js';
import { percentile, strategyReport, type ReplayReport, type StrategyOutcome } from '../report/replay-report.js';
import type { Planner } from '../ports/planner.js';
import type { ReplayData } from './replay-data.js';
import type { NormalizedStrategy } from './strategy-config.js';
import { baselineCostUsd, realTimePrices, settle } from './settle.js';
import { runStrategy } from './strategies.js';
import { terminalRule } from './terminal-value.js';

export interface ReplayOptions {
  clock: Clock;
  /** Called with (strategy name, intervals done, intervals in all strategies to run). */
  onProgress?: (strategy: string, done: number, total: number) => void;
  /** Notes from loading (e.g. fallbacks) to carry into the report. */
  notes?: string[];
}

export interface ReplayResult {
  report: ReplayReport;
  outcomes: StrategyOutcome[];
}

export function runReplay(data: ReplayData, strategies: (NormalizedStrategy & { name: string })[], planner: Planner, options: ReplayOptions): ReplayResult {
  const started = options.clock.nowMs();
  const hasPf = strategies.some((s) => s.kind === 'perfect-foresight');
  const toRun = hasPf ? strategies : [{ kind: 'perfect-foresight' as const, name: 'perfect-foresight' }, ...strategies];
  const total = toRun.length * data.n;
  const outcomes: StrategyOutcome[] = [];
  const rule = terminalRule(data);
  toRun.forEach((strategy, k) => {
    const t0 = options.clock.nowMs();
    const run = runStrategy(data, planner, strategy, (done) => options.onProgress?.(strategy.name, k * data.n + done, total));
    const settlement = settle(data, run, rule);
    outcomes.push({ run, settlement, totalMs: options.clock.nowMs() - t0 });
    options.onProgress?.(strategy.name, (k + 1) * data.n, total);
  });
  const pf = outcomes.find((o) => o.run.kind === 'perfect-foresight');
  const pfNet = pf ? pf.settlement.adjustedNetValueUsd : null;
  const shown = hasPf ? outcomes : outcomes.slice(1);
  const strategyReports = shown.map((o) => strategyReport(o, pfNet));
  const allSolves = shown.flatMap((o) => o.run.solveMs);
  const prices = realTimePrices(data);
  let min = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < prices.length; i++) {
    if (prices[i] < prices[min]) min = i;
    if (prices[i] > prices[max]) max = i;
    sum += prices[i];
  }
  const notes = [...(options.notes ?? [])];
  if (!hasPf) notes.push(`capture rates are relative to perfect foresight (adjusted net ${pfNet?.toFixed(2)} USD), run as the reference`);
  notes.push(`terminal value: ${rule.description}; capture = (net + terminal) / perfect foresight's (net + terminal)`);
  if (data.baseMode !== 'idle') notes.push(`device.baseMode "${data.baseMode}": no planner models it (plans assume the battery idles between commands), so perfect foresight is not an upper bound here and plans are not executed as planned`);
  const report: ReplayReport = {
    scenario: data.name,
    settlementPoint: data.settlementPoint,
    start: toErcotIso(data.startMs),
    end: toErcotIso(data.endMs),
    intervals: data.n,
    priceRange: {
      minUsdPerMwh: prices[min], minAt: toErcotIso(data.startMs + min * INTERVAL_MS),
      maxUsdPerMwh: prices[max], maxAt: toErcotIso(data.startMs + max * INTERVAL_MS),
      meanUsdPerMwh: data.n ? sum / data.n : 0,
    },
    baselineCostUsd: baselineCostUsd(data),
    terminalPriceUsdPerMwh: rule.priceUsdPerMwh,
    dayAheadPrices: data.dayAhead !== null,
    notes,
    strategies: strategyReports,
    violations: shown.flatMap((o) => o.run.violations.map((v) => ({ ...v, strategy: o.run.name }))),
    timing: { solves: allSolves.length, solveMsP50: percentile(allSolves, 0.5), solveMsP95: percentile(allSolves, 0.95), totalMs: options.clock.nowMs() - started },
  };
  return { report, outcomes: shown };
}
