/**
 * No look-ahead: a forecaster sees the market only through a KnownAt view cut at its decision time. These tests
 * poison everything published after the cut (real-time prices of intervals not yet ended, day-ahead prices of days
 * not yet published) and require every forecaster's output to be unchanged; and they check the view itself.
 */
import { describe, expect, it } from 'vitest';
import { poisoned } from '../../support/poisoned-market.js';
import { damPublishedMs, KnownAt, type MarketHistory, type SystemForecastPoint } from '../../../src/domain/forecast/known-at.js';
import { LearnedForecaster } from '../../../src/domain/forecast/learned.js';
import { MeanForecaster } from '../../../src/domain/forecast/mean-forecast.js';
import { UNTRAINED_FORECASTERS, untrainedForecaster } from '../../../src/domain/forecast/registry.js';
import type { Forecaster } from '../../../src/domain/ports/forecaster.js';
import { TRAINABLE_FORECASTERS, trainableForecaster } from '../../../src/domain/forecast/trainable.js';
import { emptySeries, type PriceSeries } from '../../../src/domain/prices/price-series.js';
import { parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const Q = 900_000;

function series(startMs: number, endMs: number, fill: (ms: number) => number): PriceSeries {
  const s = emptySeries(startMs, endMs);
  for (let i = 0; i < s.pricesUsdPerMwh.length; i++) s.pricesUsdPerMwh[i] = fill(s.startMs + i * Q);
  return s;
}

/** 40 days of made-up prices with a daily shape, negative nights, spikes, around the 2024 fall-back day. */
function market(): MarketHistory {
  const from = parseIsoInstant('2024-10-01T00:00:00-05:00');
  const to = parseIsoInstant('2024-11-10T00:00:00-06:00');
  const rt = series(from, to, (ms) => {
    const h = ((ms / HOUR) % 24 + 24) % 24;
    const spike = (ms / Q) % 397 === 0 ? 3000 : 0;
    return 25 + 30 * Math.sin((h / 24) * 2 * Math.PI) + ((ms / Q) % 13) - (h < 5 ? 60 : 0) + spike;
  });
  const dam = series(from, to, (ms) => 30 + 25 * Math.sin(((ms / HOUR) % 24) / 24 * 2 * Math.PI) + Math.floor(ms / HOUR) % 3);
  return { realTime: rt, dayAhead: dam };
}

function forecasters(m: MarketHistory, trainCutMs: number): Forecaster[] {
  const learned = new LearnedForecaster({ trainingDays: 8, ridge: 1e-3 });
  learned.train(new KnownAt(m, trainCutMs));
  const profiles = TRAINABLE_FORECASTERS.filter((n) => n !== 'learned').map((n) => {
    const f = trainableForecaster(n);
    f.train(new KnownAt(m, trainCutMs));
    return f;
  });
  return [...UNTRAINED_FORECASTERS.map((n) => untrainedForecaster(n)), learned, ...profiles];
}

describe('KnownAt', () => {
  const m = market();
  const cut = parseIsoInstant('2024-11-03T09:59:00-06:00');

  it('shows a real-time price only once its interval has ended', () => {
    const k = new KnownAt(m, cut);
    expect(k.realTimeUsdPerMwh(parseIsoInstant('2024-11-03T09:30:00-06:00'))).not.toBeNaN();
    expect(k.realTimeUsdPerMwh(parseIsoInstant('2024-11-03T09:45:00-06:00'))).toBeNaN(); // still running at 09:59
    expect(k.lastSettledStartMs()).toBe(parseIsoInstant('2024-11-03T09:30:00-06:00'));
  });

  it('shows day-ahead prices of day D only from 13:00 Central on D−1 (also across the DST change)', () => {
    const tomorrowNoon = parseIsoInstant('2024-11-04T12:00:00-06:00');
    expect(new KnownAt(m, parseIsoInstant('2024-11-03T12:59:00-06:00')).dayAheadUsdPerMwh(tomorrowNoon)).toBeNaN();
    expect(new KnownAt(m, parseIsoInstant('2024-11-03T13:00:00-06:00')).dayAheadUsdPerMwh(tomorrowNoon)).not.toBeNaN();
    // the fall-back day (100 intervals) is published at 13:00 CDT on 2024-11-02
    expect(damPublishedMs(parseIsoInstant('2024-11-03T23:45:00-06:00'))).toBe(parseIsoInstant('2024-11-02T13:00:00-05:00'));
  });

  it('refuses a view cut later than itself', () => {
    expect(() => new KnownAt(m, cut).earlier(cut + 1)).toThrow(RangeError);
    expect(new KnownAt(m, cut).earlier(cut - DAY).cutMs).toBe(cut - DAY);
  });
});

describe('no forecaster reads anything published after its decision time', () => {
  const m = market();
  const trainCut = parseIsoInstant('2024-11-01T00:00:00-05:00');
  // decisions: 1 minute before an interval, before and after the 13:00 DAM publication, on the fall-back day (DST)
  const decisions = ['2024-11-02T12:44:00-05:00', '2024-11-02T13:14:00-05:00', '2024-11-03T01:29:00-06:00', '2024-11-03T23:59:00-06:00'].map(parseIsoInstant);

  for (const cut of decisions) {
    it(`decision at ${new Date(cut).toISOString()}: output unchanged when later prices are NaN or 1e6`, () => {
      const from = cut + 60_000;
      expect(forecasters(m, trainCut).map((f) => f.name)).toEqual(['dam-fade', 'dam-bias', 'dam', 'persistence', 'learned', 'dam-fade-shape', 'fade-mix', 'fade-mix-robust', 'adaptive-fade-shape', 'spike-aware', 'spike-aware-shape']);
      const clean = forecasters(m, trainCut).map((f) => Array.from(f.forecast(new KnownAt(m, cut), from, 192).pricesUsdPerMwh));
      for (const poison of [NaN, 1e6, -1e6]) {
        // the learned model is trained on the poisoned data too: its training cut is before the decision
        const dirty = forecasters(poisoned(m, cut, poison), trainCut).map((f) => Array.from(f.forecast(new KnownAt(poisoned(m, cut, poison), cut), from, 192).pricesUsdPerMwh));
        expect(dirty).toEqual(clean);
      }
    });
  }

  it('the sweep variants (shape1+, prop, propUpTo, mean(…)) read nothing published after the decision either', () => {
    const names = ['shape1+dam-fade:fraction=0.75,halfLifeHours=6,windowIntervals=4,clip=100,prop=3,propUpTo=25', 'shape1+dam-fade:fraction=1,halfLifeHours=3,prop=1'];
    const sweep = (mm: MarketHistory): Forecaster[] => {
      const fs = names.map((n) => {
        const f = trainableForecaster(n);
        f.train(new KnownAt(mm, trainCut));
        return f;
      });
      return [...fs, new MeanForecaster('mean', fs)];
    };
    for (const cut of decisions) {
      const clean = sweep(m).map((f) => Array.from(f.forecast(new KnownAt(m, cut), cut + 60_000, 192).pricesUsdPerMwh));
      for (const poison of [NaN, 1e6, -1e6]) {
        const dirty = sweep(poisoned(m, cut, poison)).map((f) => Array.from(f.forecast(new KnownAt(poisoned(m, cut, poison), cut), cut + 60_000, 192).pricesUsdPerMwh));
        expect(dirty).toEqual(clean);
      }
    }
  });

  it('the poisoning itself is visible to a reader that ignores the cut (the test can fail)', () => {
    const cut = decisions[0];
    const dirty = poisoned(m, cut, 1e6);
    expect(dirty.realTime.pricesUsdPerMwh.some((v) => v === 1e6)).toBe(true);
    expect(dirty.dayAhead!.pricesUsdPerMwh.some((v) => v === 1e6)).toBe(true);
  });
});

describe('ERCOT system forecasts in the view: only what was published by the decision time', () => {
  // hourly load/wind/solar forecasts posted every hour (at :30) around the fall-back day, each for the next 48 h;
  // every posting revises the values, so a later posting is distinguishable from an earlier one
  const m = market();
  const first = parseIsoInstant('2024-11-01T00:30:00-05:00');
  const points: SystemForecastPoint[] = [];
  for (let posted = first, n = 0; posted < parseIsoInstant('2024-11-05T00:00:00-06:00'); posted += HOUR, n++) {
    const hour0 = Math.floor(posted / HOUR) * HOUR;
    for (let k = 0; k < 48; k++) {
      const ms = hour0 + k * HOUR;
      points.push({ kind: 'load', publishedMs: posted, intervalStartMs: ms, valueMw: 45_000 + 100 * ((ms / HOUR) % 24) + n });
      points.push({ kind: 'wind', publishedMs: posted, intervalStartMs: ms, valueMw: 15_000 + 10 * k + 3 * n });
      points.push({ kind: 'solar', publishedMs: posted, intervalStartMs: ms, valueMw: 5_000 + 7 * n });
    }
  }
  const withForecasts = (h: MarketHistory, pts: SystemForecastPoint[]): MarketHistory => ({ ...h, systemForecasts: pts });
  const poisonedForecasts = (cut: number, poison: number) => points.map((p) => (p.publishedMs > cut ? { ...p, valueMw: poison } : p));
  const decisions = ['2024-11-02T12:44:00-05:00', '2024-11-03T01:29:00-06:00', '2024-11-03T23:59:00-06:00'].map(parseIsoInstant);
  const trainCut = parseIsoInstant('2024-11-01T00:00:00-05:00');

  for (const cut of decisions) {
    it(`decision at ${new Date(cut).toISOString()}: forecasts, system forecast and net load reads unchanged when later postings are NaN or ±1e6`, () => {
      const from = cut + 60_000;
      const clean = withForecasts(m, points);
      const cleanOut = forecasters(clean, trainCut).map((f) => Array.from(f.forecast(new KnownAt(clean, cut), from, 192).pricesUsdPerMwh));
      const hours = Array.from({ length: 60 }, (_, k) => Math.floor(cut / HOUR) * HOUR + (k - 6) * HOUR + 15 * 60_000);
      const reads = (h: MarketHistory) => {
        const k = new KnownAt(h, cut);
        return hours.map((ms) => [k.systemForecastMw('load', ms), k.systemForecastMw('wind', ms), k.systemForecastMw('solar', ms), k.netLoadMw(ms)]);
      };
      const cleanReads = reads(clean);
      // the view gives the latest posting at or before the cut (worked out here from the list, not by the view)
      const latest = (kind: string, ms: number) => points.filter((p) => p.kind === kind && p.publishedMs <= cut && p.intervalStartMs === Math.floor(ms / HOUR) * HOUR).at(-1)?.valueMw ?? NaN;
      expect(cleanReads.map((r) => r[1])).toEqual(hours.map((ms) => latest('wind', ms)));
      expect(cleanReads.filter((r) => !Number.isNaN(r[3])).length).toBeGreaterThan(30);
      for (const poison of [NaN, 1e6, -1e6]) {
        const dirty = withForecasts(poisoned(m, cut, poison), poisonedForecasts(cut, poison));
        expect(forecasters(dirty, trainCut).map((f) => Array.from(f.forecast(new KnownAt(dirty, cut), from, 192).pricesUsdPerMwh))).toEqual(cleanOut);
        expect(reads(dirty)).toEqual(cleanReads);
      }
    });
  }

  it('the poisoning is visible to a reader that ignores the cut, and a later view sees the later posting (the test can fail)', () => {
    const cut = decisions[0];
    const dirty = poisonedForecasts(cut, 1e6);
    expect(dirty.some((p) => p.valueMw === 1e6 && p.intervalStartMs <= cut + 48 * HOUR)).toBe(true);
    const target = cut + 6 * HOUR;
    const early = new KnownAt(withForecasts(m, points), cut).systemForecastMw('wind', target);
    const later = new KnownAt(withForecasts(m, points), cut + 3 * HOUR).systemForecastMw('wind', target);
    expect(early).not.toBeNaN();
    expect(later).not.toBe(early);
  });
});
