/**
 * The one-pass fade mixture gives the same prices as the mean of its members' `dam-fade` forecasts (the slow way,
 * one forecast per member), with equal and with given weights, on a market whose floor, proportional corrections
 * and DAM gaps all come into play.
 */
import { describe, expect, it } from 'vitest';
import { FADE_GRID, FadeMixtureForecaster, fadeSpec } from '../../../src/domain/forecast/fade-mixture.js';
import { KnownAt, type MarketHistory } from '../../../src/domain/forecast/known-at.js';
import { MeanForecaster } from '../../../src/domain/forecast/mean-forecast.js';
import { parseForecasterName, untrainedForecaster } from '../../../src/domain/forecast/registry.js';
import { biasCorrectedForecaster } from '../../../src/domain/forecast/simple-forecasters.js';
import { trainableForecaster } from '../../../src/domain/forecast/trainable.js';
import { emptySeries } from '../../../src/domain/prices/price-series.js';
import { parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';

const Q = 900_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** 12 days: a daily DAM shape, RT above it by day and far below it at night (the floor binds), the DAM of the
 * last 3 days missing (the curve then looks back a week). */
function market(): MarketHistory {
  const from = parseIsoInstant('2024-06-01T00:00:00-05:00');
  const to = from + 12 * DAY;
  const rt = emptySeries(from, to);
  const dam = emptySeries(from, to);
  for (let i = 0; i < rt.pricesUsdPerMwh.length; i++) {
    const ms = from + i * Q;
    const hour = Math.floor((ms - from) / HOUR) % 24;
    const day = Math.floor((ms - from) / DAY);
    dam.pricesUsdPerMwh[i] = hour < 5 ? 3 : 20 + 3 * hour + (day % 3);
    rt.pricesUsdPerMwh[i] = hour < 5 ? -300 : dam.pricesUsdPerMwh[i] + (hour > 16 ? 180 : 15) + (i % 7);
    if (day >= 9) dam.pricesUsdPerMwh[i] = NaN;
  }
  return { realTime: rt, dayAhead: dam };
}

describe('fade mixture (one pass) = mean of the members', () => {
  const m = market();
  const members = FADE_GRID.map((o) => biasCorrectedForecaster(fadeSpec(o), o));
  // cuts: evenings (large positive error, proportional parts), nights (negative error, floor), the DAM gap, and a
  // morning with a small error (+15..21 $/MWh) where no member can reach the floor on the day's DAM hours (the
  // one-pass sum per half-life) while the 3 $/MWh night hours still take the member-by-member path
  const cuts = [5 * DAY + 18 * HOUR, 6 * DAY + 2 * HOUR - 60_000, 7 * DAY + 12 * HOUR + 14 * 60_000, 9 * DAY + 19 * HOUR - 60_000, 6 * DAY + 10 * HOUR - 60_000].map((d) => m.realTime.startMs + d);

  it('equal weights: the 27-setting grid, 24 h and 48 h ahead', () => {
    const mixture = new FadeMixtureForecaster('mix');
    const mean = new MeanForecaster('mean', members);
    for (const cut of cuts) {
      for (const count of [96, 192]) {
        const from = Math.ceil(cut / Q) * Q;
        const a = mixture.forecast(new KnownAt(m, cut), from, count);
        const b = mean.forecast(new KnownAt(m, cut), from, count);
        expect(a.fallbackIntervals).toBe(b.fallbackIntervals);
        for (let j = 0; j < count; j++) expect(a.pricesUsdPerMwh[j]).toBeCloseTo(b.pricesUsdPerMwh[j], 9);
      }
    }
  });

  it('the market exercises the floor and tells all 27 members apart', () => {
    const cut = cuts[1];
    const from = Math.ceil(cut / Q) * Q;
    const prices = members.map((f) => f.forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh);
    expect(prices.some((p) => p.some((v) => v === -50))).toBe(true);
    const evening = members.map((f) => f.forecast(new KnownAt(m, cuts[0]), Math.ceil(cuts[0] / Q) * Q, 96).pricesUsdPerMwh[40]);
    expect(new Set(evening.map((v) => v.toFixed(6))).size).toBe(27);
  });

  it('given weights: one member alone reproduces it; two weighted members their weighted mean', () => {
    const cut = cuts[0];
    const from = Math.ceil(cut / Q) * Q;
    const w = new Float64Array(27);
    w[13] = 5;
    const alone = new FadeMixtureForecaster('one', FADE_GRID, w).forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    const member = members[13].forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    for (let j = 0; j < 96; j++) expect(alone[j]).toBeCloseTo(member[j], 9);
    w[2] = 15;
    const two = new FadeMixtureForecaster('two', FADE_GRID, w).forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    const other = members[2].forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    for (let j = 0; j < 96; j++) expect(two[j]).toBeCloseTo(0.25 * member[j] + 0.75 * other[j], 9);
    expect(() => new FadeMixtureForecaster('bad', FADE_GRID, new Float64Array(27))).toThrow(/sum to 0/);
  });

  it('grid specs parse back to the same members, and `fade-mix` is the grid with the shape on the decided interval', () => {
    for (const o of FADE_GRID) {
      const parsed = parseForecasterName(fadeSpec(o))!;
      const a = untrainedForecaster(parsed.name, parsed.params).forecast(new KnownAt(m, cuts[0]), Math.ceil(cuts[0] / Q) * Q, 8).pricesUsdPerMwh;
      const b = biasCorrectedForecaster('x', o).forecast(new KnownAt(m, cuts[0]), Math.ceil(cuts[0] / Q) * Q, 8).pricesUsdPerMwh;
      expect(Array.from(a)).toEqual(Array.from(b));
    }
    const train = new KnownAt(m, m.realTime.startMs + 8 * DAY);
    const mix = trainableForecaster('fade-mix');
    mix.train(train);
    const slow = trainableForecaster(`shape1+dam-fade:fraction=1,halfLifeHours=1`); // shape1 wrapper, trained the same way
    slow.train(train);
    const cut = cuts[0];
    const from = Math.ceil(cut / Q) * Q;
    const withShape = mix.forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    const mixOnly = new FadeMixtureForecaster('mix').forecast(new KnownAt(m, cut), from, 96).pricesUsdPerMwh;
    const shapeOnDecided = slow.forecast(new KnownAt(m, cut), from, 1).pricesUsdPerMwh[0] - untrainedForecaster('dam-fade', { biasFraction: 1, biasHalfLifeHours: 1 }).forecast(new KnownAt(m, cut), from, 1).pricesUsdPerMwh[0];
    expect(shapeOnDecided).not.toBe(0);
    expect(withShape[0] - mixOnly[0]).toBeCloseTo(shapeOnDecided, 9);
  });
});
