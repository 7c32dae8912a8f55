/**
 * Walk-forward selection (forecast evaluate --select-lookback N): each test month gets the forecaster that did best
 * over the N months before it, never over the month itself. Hand-built month results; the expected choices and
 * values are read off the table by hand.
 */
import { describe, expect, it } from 'vitest';
import { pool, selectedName, withWalkForwardSelection, type PeriodResult } from '../../../src/domain/forecast/walk-forward.js';

/** One month: perfect foresight $10, day-ahead $5, forecasters a and b worth the given USD. */
function month(label: string, a: number, b: number): PeriodResult {
  return {
    label, perfectForesightUsd: 10, dayAheadUsd: 5,
    strategies: [{ name: 'a', adjustedNetValueUsd: a, terminalValueUsd: 0 }, { name: 'b', adjustedNetValueUsd: b, terminalValueUsd: 0 }],
  };
}

// a wins Jan and Feb, b wins Mar and Apr (by a lot in Apr itself), a wins May
const months = [month('2024-01', 8, 6), month('2024-02', 7, 6), month('2024-03', 5, 9), month('2024-04', 2, 9), month('2024-05', 8, 3)];

describe('walk-forward selection', () => {
  it('picks, per month, the forecaster that was best over the months before it, and reports its value there', () => {
    const out = withWalkForwardSelection(months, 1, 1);
    const name = selectedName(1);
    expect(out.map((p) => p.label)).toEqual(['2024-02', '2024-03', '2024-04', '2024-05']);
    // Feb: Jan's best was a (8 > 6) → a's Feb value 7; Mar: Feb's best a → 5; Apr: Mar's best b → 9; May: Apr's best b → 3
    expect(out.map((p) => p.strategies.find((s) => s.name === name)?.selected)).toEqual(['a', 'a', 'b', 'b']);
    expect(out.map((p) => p.strategies.find((s) => s.name === name)?.adjustedNetValueUsd)).toEqual([7, 5, 9, 3]);
    // pooled over the four reported months: (7 + 5 + 9 + 3) / 40
    expect(pool('pooled', out).strategies.find((s) => s.name === name)?.capture).toBeCloseTo(24 / 40, 12);
  });

  it('sums the lookback window (Σ value over the N months before), using fewer months at the start of the data', () => {
    const out = withWalkForwardSelection(months, 3, 1);
    const picks = out.map((p) => p.strategies.find((s) => s.name === selectedName(3))?.selected);
    // Feb: Jan only (a 8 vs b 6) → a; Mar: Jan+Feb (a 15 vs b 12) → a; Apr: Jan–Mar (a 20 vs b 21) → b;
    // May: Feb–Apr (a 14 vs b 24) → b
    expect(picks).toEqual(['a', 'a', 'b', 'b']);
  });

  it('never lets a month choose for itself: changing a month\'s own results does not change its choice', () => {
    const changed = months.map((p) => (p.label === '2024-04' ? month('2024-04', 100, 0) : p));
    const pick = (ps: PeriodResult[]) => withWalkForwardSelection(ps, 2, 0).find((p) => p.label === '2024-04')!.strategies.find((s) => s.name === selectedName(2))!;
    expect(pick(months).selected).toBe('b');
    expect(pick(changed).selected).toBe('b');
    expect(pick(changed).adjustedNetValueUsd).toBe(0);
  });

  it('the first month of the data has nothing to choose from and gets no selected strategy', () => {
    const out = withWalkForwardSelection(months, 2, 0);
    expect(out[0].strategies.map((s) => s.name)).toEqual(['a', 'b']);
    expect(() => withWalkForwardSelection(months, 0, 0)).toThrow(RangeError);
  });
});
