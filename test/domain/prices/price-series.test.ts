import { describe, expect, it } from 'vitest';
import { gapsOf, priceAt, priceRange, requireComplete, seriesFromPoints } from '../../../src/domain/prices/price-series.js';
import { InvalidPriceData } from '../../../src/domain/errors.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';

const t0 = Date.UTC(2024, 7, 20, 5);

describe('price series', () => {
  it('keeps negative prices and spikes as they are and marks gaps', () => {
    const s = seriesFromPoints(
      [
        { intervalStartMs: t0, priceUsdPerMwh: -74.11 },
        { intervalStartMs: t0 + 2 * INTERVAL_MS, priceUsdPerMwh: 5006.59 },
      ],
      t0,
      t0 + 3 * INTERVAL_MS,
    );
    expect(priceAt(s, t0)).toBe(-74.11);
    expect(priceRange(s)).toEqual({ minUsdPerMwh: -74.11, maxUsdPerMwh: 5006.59 });
    expect(gapsOf(s)).toEqual([t0 + INTERVAL_MS]);
    expect(() => requireComplete(s, 'real-time prices', 'rt.csv')).toThrow(/rt\.csv.*1 missing interval/);
  });

  it('rejects a duplicate interval naming both rows', () => {
    const points = [
      { intervalStartMs: t0, priceUsdPerMwh: 1, source: 'line 2' },
      { intervalStartMs: t0, priceUsdPerMwh: 2, source: 'line 9' },
    ];
    expect(() => seriesFromPoints(points, t0, t0 + INTERVAL_MS, 'p.csv')).toThrow(InvalidPriceData);
    expect(() => seriesFromPoints(points, t0, t0 + INTERVAL_MS, 'p.csv')).toThrow(/line 2 and line 9/);
  });

  it('rejects a start that is not on a 15-minute boundary', () => {
    expect(() => seriesFromPoints([{ intervalStartMs: t0 + 60_000, priceUsdPerMwh: 1 }], t0, t0 + INTERVAL_MS)).toThrow(/15-minute boundary/);
  });
});
