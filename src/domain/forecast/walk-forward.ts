/**
 * Walk-forward evaluation, the pure part: test periods (one per calendar month, ERCOT time), and pooling of the
 * per-month results. Each month's forecasters are trained on a KnownAt view cut at the month's start, so nothing
 * from the test month (or later) can reach the training.
 */
import { ercotDay } from '../time/ercot-calendar.js';
import type { ErrorSums, ForecastErrors } from './metrics.js';
import { addErrorSums, emptyErrorSums, forecastErrors } from './metrics.js';

export interface TestPeriod {
  /** YYYY-MM */
  label: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

function nextMonth(ym: string): string {
  const [y, m] = ym.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** One test period per month from the month of `from` to the month of `to` (YYYY-MM or YYYY-MM-DD), inclusive. */
export function monthlyPeriods(from: string, to: string): TestPeriod[] {
  const first = from.slice(0, 7);
  const last = to.slice(0, 7);
  const out: TestPeriod[] = [];
  for (let ym = first; ym <= last; ym = nextMonth(ym)) {
    out.push({ label: ym, startMs: ercotDay(`${ym}-01`).startMs, endMs: ercotDay(`${nextMonth(ym)}-01`).startMs });
  }
  return out;
}

export interface StrategyFigures {
  name: string;
  /** Net value + terminal value, USD. */
  adjustedNetValueUsd: number;
  terminalValueUsd: number;
  errors?: ErrorSums;
  /** walk-forward-selected: the forecaster chosen for this period. */
  selected?: string;
}

export interface PeriodResult {
  label: string;
  perfectForesightUsd: number;
  dayAheadUsd: number;
  strategies: StrategyFigures[];
}

export interface StrategySummary {
  name: string;
  adjustedNetValueUsd: number;
  /** vs perfect foresight. */
  capture: number | null;
  /** vs the day-ahead-only strategy's capture (difference, in capture points / 100). */
  vsDayAhead: number | null;
  errors: ForecastErrors | null;
}

export interface PooledSummary {
  label: string;
  perfectForesightUsd: number;
  dayAheadUsd: number;
  dayAheadCapture: number | null;
  strategies: StrategySummary[];
}

/** Pools periods: sums of values, capture = Σ value / Σ perfect-foresight value. */
export function pool(label: string, periods: PeriodResult[]): PooledSummary {
  const pf = periods.reduce((s, p) => s + p.perfectForesightUsd, 0);
  const da = periods.reduce((s, p) => s + p.dayAheadUsd, 0);
  const ratio = (v: number) => (pf > 0 ? v / pf : null);
  const names = periods[0]?.strategies.map((s) => s.name) ?? [];
  const strategies = names.map((name) => {
    let value = 0;
    let errors: ErrorSums | null = null;
    for (const p of periods) {
      const s = p.strategies.find((x) => x.name === name);
      if (!s) continue;
      value += s.adjustedNetValueUsd;
      if (s.errors) errors = addErrorSums(errors ?? emptyErrorSums(), s.errors);
    }
    const capture = ratio(value);
    const daCapture = ratio(da);
    return { name, adjustedNetValueUsd: value, capture, vsDayAhead: capture !== null && daCapture !== null ? capture - daCapture : null, errors: errors ? forecastErrors(errors) : null };
  });
  return { label, perfectForesightUsd: pf, dayAheadUsd: da, dayAheadCapture: ratio(da), strategies };
}

/** Calendar quarters (Q1 = Jan–Mar) of the periods, pooled. */
export function quarters(periods: PeriodResult[]): PooledSummary[] {
  const groups = new Map<string, PeriodResult[]>();
  for (const p of periods) {
    const [y, m] = p.label.split('-').map(Number);
    const key = `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups].map(([key, ps]) => pool(key, ps));
}

/** The name `forecast evaluate` reports walk-forward selection under. */
export const selectedName = (lookbackMonths: number) => `walk-forward-selected(${lookbackMonths})`;

/**
 * Walk-forward selection among the evaluated forecasters: for each reported period, the forecaster whose pooled
 * capture (Σ value / Σ perfect-foresight value) was best over the `lookbackMonths` periods just before it (fewer at
 * the start of the data; ties go to the first listed) is "the selected forecaster" of that period, and its value
 * there is reported as one more strategy, `walk-forward-selected(N)`, with the choice in `selected`. Only periods
 * before a reported one decide for it, so nothing of a test month reaches its own choice. `periods` are in time
 * order; the first `warmUp` of them only serve the selection and are not returned. A period with no earlier one
 * cannot select and gets no extra strategy.
 */
export function withWalkForwardSelection(periods: PeriodResult[], lookbackMonths: number, warmUp: number): PeriodResult[] {
  if (!(lookbackMonths >= 1)) throw new RangeError('lookback must be ≥ 1 month');
  return periods.slice(warmUp).map((period, k) => {
    const i = warmUp + k;
    const before = periods.slice(Math.max(0, i - lookbackMonths), i);
    if (before.length === 0) return period;
    const pf = before.reduce((s, p) => s + p.perfectForesightUsd, 0);
    let best: string | null = null;
    let bestValue = -Infinity;
    for (const s of period.strategies) {
      if (!before.every((p) => p.strategies.some((x) => x.name === s.name))) continue;
      const value = before.reduce((sum, p) => sum + p.strategies.find((x) => x.name === s.name)!.adjustedNetValueUsd, 0);
      if (value > bestValue) {
        bestValue = value;
        best = s.name;
      }
    }
    if (best === null || !(pf > 0)) return period;
    const chosen = period.strategies.find((s) => s.name === best)!;
    const extra: StrategyFigures = { name: selectedName(lookbackMonths), adjustedNetValueUsd: chosen.adjustedNetValueUsd, terminalValueUsd: chosen.terminalValueUsd, selected: best };
    return { ...period, strategies: [...period.strategies, extra] };
  });
}
