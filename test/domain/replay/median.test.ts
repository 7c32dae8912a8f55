/** The planning terminal value's median (selection, not a sort) equals the sorted-list median, ties and odd/even counts. */
import { describe, expect, it } from 'vitest';
import { medianOf, terminalValueUsdPerKwh } from '../../../src/domain/replay/forecast.js';

function sortedMedian(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

describe('medianOf', () => {
  it('matches the sorted median on 2,000 random lists (1–200 values, many ties) and leaves its input alone', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let k = 0; k < 2000; k++) {
      const n = 1 + Math.floor(rnd() * 200);
      const v = Array.from({ length: n }, () => (rnd() < 0.3 ? 25 : Math.round(rnd() * 400 - 50)));
      const input = Float64Array.from(v);
      expect(medianOf(input)).toBe(sortedMedian(v));
      expect(Array.from(input)).toEqual(v);
    }
  });
  it('by hand: [5, 1, 9] → 5; [5, 1, 9, 3] → 4; the terminal value (40 − 20) $/MWh after $0.02/kWh × √0.81 = $0.018/kWh', () => {
    expect(medianOf(Float64Array.of(5, 1, 9))).toBe(5);
    expect(medianOf(Float64Array.of(5, 1, 9, 3))).toBe(4);
    expect(terminalValueUsdPerKwh(Float64Array.of(10, 40, 90), 0.81, 0.02)).toBeCloseTo(0.018, 12);
  });
});
