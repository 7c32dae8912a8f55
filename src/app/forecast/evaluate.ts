/**
 * `forecast evaluate`: walk-forward evaluation. For each test month, trainable forecasters are trained on what was
 * known at the month's start; then perfect foresight, day-ahead-only and rolling with each forecaster are replayed
 * over the month (battery below, no load, export allowed) and settled; forecast errors are measured on the month.
 */
import { performance } from 'node:perf_hooks';
import type { BatterySpec } from '../../domain/battery/battery.js';
import { InputError } from '../../domain/errors.js';
import { KnownAt, type MarketHistory } from '../../domain/forecast/known-at.js';
import { forecastErrorSums } from '../../domain/forecast/metrics.js';
import { oracleForecaster } from '../../domain/forecast/oracle.js';
import { parseForecasterName, UNTRAINED_FORECASTERS, untrainedForecaster } from '../../domain/forecast/registry.js';
import { monthlyPeriods, pool, quarters, withWalkForwardSelection, type PeriodResult, type PooledSummary, type TestPeriod } from '../../domain/forecast/walk-forward.js';
import { DEFAULT_FORECASTER, DEFAULT_HORIZON_TO_PUBLISHED_DAM } from '../../domain/forecast/default.js';
import { DAM_FADE_SHAPE_BASE, isTrainableName, TRAINABLE_FORECASTERS, trainableForecaster } from '../../domain/forecast/trainable.js';
import { damFadeForecaster } from '../../domain/forecast/simple-forecasters.js';
import type { Forecaster, TrainableForecaster } from '../../domain/ports/forecaster.js';
import type { Planner } from '../../domain/ports/planner.js';
import { HORIZON_PADDING_INTERVALS, type ReplayData } from '../../domain/replay/replay-data.js';
import { runReplay } from '../../domain/replay/replay.js';
import type { NormalizedStrategy } from '../../domain/replay/strategy-config.js';
import { requireComplete } from '../../domain/prices/price-series.js';
import { INTERVAL_MS, intervalCount } from '../../domain/time/interval.js';
import { loadPlanner } from '../replay/planner-loader.js';
import { readEvaluationData } from './market-data.js';
import { MeanForecaster } from '../../domain/forecast/mean-forecast.js';

/** Information-bound "forecasters": real prices (see domain/forecast/oracle.ts); never offered to `rolling`. */
export const BOUND_FORECASTERS = ['oracle-15m', 'oracle-1h', 'lookahead-2h', 'lookahead-6h'] as const;
export const ALL_FORECASTERS: string[] = [...UNTRAINED_FORECASTERS, ...TRAINABLE_FORECASTERS, ...BOUND_FORECASTERS];

/** The evaluation battery: the bundled scenarios' (13.5 kWh, 5 kW, 90 % round trip, 20 % reserve, $0.02/kWh). */
export const EVALUATION_BATTERY: BatterySpec = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };
const INITIAL_SOC_PERCENT = 50;

export interface EvaluateOptions {
  from: string;
  to: string;
  forecasters?: string[];
  /** Rolling horizon, hours (default 24). */
  horizonHours?: number;
  /** Rolling: extend the horizon to the end of the latest published DAM day when that is later (default: rolling's, DEFAULT_HORIZON_TO_PUBLISHED_DAM). */
  horizonToPublishedDam?: boolean;
  /** Rolling: planning-only extra cost per kWh discharged (default 0). */
  hurdleUsdPerKwh?: number;
  dataDir?: string;
  solver?: string;
  /**
   * Also report `walk-forward-selected(N)`: per test month, the evaluated forecaster that did best over the N months
   * before it (the N months before `from` are evaluated too, as far as the data goes, but not reported).
   */
  selectLookbackMonths?: number;
  planner?: Planner;
  onPeriod?: (result: PeriodResult, ms: number) => void;
}

export interface EvaluationReport {
  data: { dir: string; realTime: string; dayAhead: string };
  battery: BatterySpec & { initialSocPercent: number };
  defaultForecaster: string;
  months: PooledSummary[];
  quarters: PooledSummary[];
  pooled: PooledSummary;
  /** With selectLookbackMonths: the forecaster walk-forward selection chose for each test month. */
  selections?: { month: string; forecaster: string }[];
  timing: { totalMs: number };
}

function boundForecaster(name: string, history: MarketHistory): Forecaster {
  const b = DAM_FADE_SHAPE_BASE;
  const beyond = damFadeForecaster(b.fraction, b.halfLifeHours, b.windowIntervals, b.clipUsdPerMwh);
  switch (name) {
    case 'oracle-15m':
      return oracleForecaster(history.realTime, { name, lookAheadHours: Infinity, resolutionIntervals: 1, beyond });
    case 'oracle-1h':
      return oracleForecaster(history.realTime, { name, lookAheadHours: Infinity, resolutionIntervals: 4, beyond });
    case 'lookahead-2h':
      return oracleForecaster(history.realTime, { name, lookAheadHours: 2, resolutionIntervals: 1, beyond });
    default:
      return oracleForecaster(history.realTime, { name, lookAheadHours: 6, resolutionIntervals: 1, beyond });
  }
}

function monthData(history: MarketHistory, period: TestPeriod): ReplayData {
  const n = intervalCount(period.startMs, period.endMs);
  const from = (period.startMs - history.realTime.startMs) / INTERVAL_MS;
  requireComplete({ startMs: period.startMs, endMs: period.endMs, pricesUsdPerMwh: history.realTime.pricesUsdPerMwh.subarray(from, from + n) }, `real-time prices of ${period.label}`);
  const width = n + HORIZON_PADDING_INTERVALS;
  return {
    name: `walk-forward ${period.label}`, settlementPoint: 'HB_HUBAVG', startMs: period.startMs, endMs: period.endMs, n,
    battery: EVALUATION_BATTERY, initialSocKwh: (EVALUATION_BATTERY.capacityKwh * INITIAL_SOC_PERCENT) / 100,
    realTime: history.realTime, dayAhead: history.dayAhead,
    loadKw: new Float64Array(width), solarKw: new Float64Array(width), exportAllowed: new Uint8Array(width).fill(1),
    tariff: { importAdderUsdPerKwh: 0, exportFactor: 1 }, baseMode: 'idle',
  };
}

/** `mean(A|B|…)`: the mean of the named forecasters' prices (domain/forecast/mean-forecast.ts). */
function meanMembers(name: string): string[] | null {
  const m = /^mean\((.+)\)$/.exec(name);
  return m ? m[1].split('|') : null;
}

function forecastersFor(names: string[], history: MarketHistory, period: TestPeriod): Forecaster[] {
  return names.map((name) => {
    const members = meanMembers(name);
    if (members) return new MeanForecaster(name, forecastersFor(members, history, period)); // trainable members are trained there
    const parsed = parseForecasterName(name);
    if (parsed) return { ...untrainedForecaster(parsed.name, parsed.params), name };
    if ((BOUND_FORECASTERS as readonly string[]).includes(name)) return boundForecaster(name, history);
    const f: TrainableForecaster = trainableForecaster(name);
    f.train(new KnownAt(history, period.startMs)); // walk-forward: only what was known when the test month starts
    return f;
  });
}

function evaluatePeriod(history: MarketHistory, period: TestPeriod, names: string[], planner: Planner, horizonHours: number, hurdleUsdPerKwh: number, horizonToPublishedDam: boolean): PeriodResult {
  const data = monthData(history, period);
  const forecasters = forecastersFor(names, history, period);
  const strategies = [
    { kind: 'perfect-foresight', name: 'perfect-foresight' },
    { kind: 'day-ahead', name: 'day-ahead' },
    ...forecasters.map((f) => ({ kind: 'rolling', name: f.name, horizonHours, horizonToPublishedDam, forecast: 'dam-fade', biasWindowIntervals: 4, hurdleUsdPerKwh, forecaster: f })),
  ] as (NormalizedStrategy & { name: string })[];
  const { report } = runReplay(data, strategies, planner, { clock: { nowMs: () => performance.now() } });
  const value = (name: string) => report.strategies.find((s) => s.name === name)!;
  return {
    label: period.label,
    perfectForesightUsd: value('perfect-foresight').adjustedNetValueUsd,
    dayAheadUsd: value('day-ahead').adjustedNetValueUsd,
    strategies: forecasters.map((f) => ({
      name: f.name,
      adjustedNetValueUsd: value(f.name).adjustedNetValueUsd,
      terminalValueUsd: value(f.name).terminalValueUsd,
      errors: forecastErrorSums(f, history, history.realTime, period.startMs, period.endMs),
    })),
  };
}

/** Up to `lookback` whole months before `first` that the data covers (walk-forward selection's warm-up). */
function warmUpPeriods(history: MarketHistory, first: TestPeriod | undefined, lookback: number): TestPeriod[] {
  if (!first) return [];
  const [y, m] = first.label.split('-').map(Number);
  const back = (k: number) => { const t = y * 12 + (m - 1) - k; return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`; };
  return monthlyPeriods(back(lookback), back(1)).filter((p) => p.startMs >= history.realTime.startMs && p.endMs <= history.realTime.endMs);
}

export async function evaluateForecasters(options: EvaluateOptions): Promise<EvaluationReport> {
  const started = performance.now();
  const names = options.forecasters?.length ? options.forecasters : [...TRAINABLE_FORECASTERS, ...UNTRAINED_FORECASTERS];
  const known = (n: string): boolean => ALL_FORECASTERS.includes(n) || parseForecasterName(n) !== null || isTrainableName(n);
  const unknown = names.filter((n) => !known(n) && !(meanMembers(n)?.every(known) ?? false));
  if (unknown.length) throw new InputError(`unknown forecaster ${unknown.map((u) => `"${u}"`).join(', ')} (expected some of ${ALL_FORECASTERS.join(', ')})`, { field: '--forecaster' });
  for (const [field, v] of [['--from', options.from], ['--to', options.to]] as const) {
    if (!/^\d{4}-\d{2}(-\d{2})?$/.test(v)) throw new InputError(`expected YYYY-MM or YYYY-MM-DD, got "${v}"`, { field });
  }
  const lookback = options.selectLookbackMonths;
  if (lookback !== undefined && !(Number.isInteger(lookback) && lookback >= 1)) throw new InputError(`expected a whole number of months ≥ 1, got ${lookback}`, { field: '--select-lookback' });
  const data = await readEvaluationData(options.dataDir);
  const planner = options.planner ?? (await loadPlanner(options.solver ?? 'dp'));
  const tested = monthlyPeriods(options.from, options.to);
  const warmUp = lookback ? warmUpPeriods(data.history, tested[0], lookback) : [];
  const all: PeriodResult[] = [];
  for (const period of [...warmUp, ...tested]) {
    const t0 = performance.now();
    const r = evaluatePeriod(data.history, period, names, planner, options.horizonHours ?? 24, options.hurdleUsdPerKwh ?? 0, options.horizonToPublishedDam ?? DEFAULT_HORIZON_TO_PUBLISHED_DAM);
    all.push(r);
    options.onPeriod?.(r, performance.now() - t0);
  }
  const results = lookback ? withWalkForwardSelection(all, lookback, warmUp.length) : all;
  return {
    data: { dir: data.dir, realTime: data.files.realTime, dayAhead: data.files.dayAhead },
    battery: { ...EVALUATION_BATTERY, initialSocPercent: INITIAL_SOC_PERCENT },
    defaultForecaster: DEFAULT_FORECASTER,
    months: results.map((r) => pool(r.label, [r])),
    quarters: quarters(results),
    pooled: pool('pooled', results),
    ...(lookback ? { selections: results.map((r) => ({ month: r.label, forecaster: r.strategies.find((s) => s.selected)?.selected ?? '–' })) } : {}),
    timing: { totalMs: performance.now() - started },
  };
}
