/** Every forecaster's output is finite and floored; walk-forward training sees only months before the test month. */
import { describe, expect, it } from 'vitest';
import { FORECAST_FLOOR_USD_PER_MWH } from '../../../src/domain/forecast/dam-curve.js';
import { KnownAt, type MarketHistory } from '../../../src/domain/forecast/known-at.js';
import { LearnedForecaster } from '../../../src/domain/forecast/learned.js';
import { HourlyProfileForecaster } from '../../../src/domain/forecast/hourly-profile.js';
import { MeanForecaster } from '../../../src/domain/forecast/mean-forecast.js';
import { parseForecasterName, UNTRAINED_FORECASTERS, untrainedForecaster } from '../../../src/domain/forecast/registry.js';
import { TRAINABLE_FORECASTERS, trainableForecaster } from '../../../src/domain/forecast/trainable.js';
import { monthlyPeriods } from '../../../src/domain/forecast/walk-forward.js';
import { emptySeries } from '../../../src/domain/prices/price-series.js';
import { parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';

const Q = 900_000;
const DAY = 86_400_000;

/** 45 days with −400 $/MWh nights, a 5,000 $/MWh evening every 9 days, a day-long gap in RT and DAM. */
function wildMarket(): MarketHistory {
  const from = parseIsoInstant('2025-01-01T00:00:00-06:00');
  const to = from + 45 * DAY;
  const rt = emptySeries(from, to);
  const dam = emptySeries(from, to);
  for (let i = 0; i < rt.pricesUsdPerMwh.length; i++) {
    const ms = from + i * Q;
    const hour = Math.floor((ms - from) / 3_600_000) % 24;
    const day = Math.floor((ms - from) / DAY);
    rt.pricesUsdPerMwh[i] = hour < 4 ? -400 : hour === 19 && day % 9 === 0 ? 5000 : 20 + hour;
    dam.pricesUsdPerMwh[i] = hour < 4 ? -30 : 25 + hour;
    if (day === 30) rt.pricesUsdPerMwh[i] = dam.pricesUsdPerMwh[i] = NaN;
  }
  return { realTime: rt, dayAhead: dam };
}

describe('forecaster outputs', () => {
  const m = wildMarket();
  const trainCut = m.realTime.startMs + 28 * DAY;
  const all = [
    ...UNTRAINED_FORECASTERS.map((n) => untrainedForecaster(n)),
    ...TRAINABLE_FORECASTERS.map((n) => {
      const f = trainableForecaster(n);
      f.train(new KnownAt(m, trainCut));
      return f;
    }),
  ];
  for (const cutDay of [28, 31, 44]) {
    it(`are finite and ≥ ${FORECAST_FLOOR_USD_PER_MWH} $/MWh after −400 $/MWh nights and gaps (day ${cutDay})`, () => {
      for (const f of all) {
        for (const offset of [0, 2 * 3_600_000, 4 * 3_600_000 + Q]) {
          const cut = m.realTime.startMs + cutDay * DAY + offset - 60_000;
          const out = f.forecast(new KnownAt(m, cut), cut + 60_000, 192).pricesUsdPerMwh;
          expect(out.length, f.name).toBe(192);
          for (const v of out) {
            expect(Number.isFinite(v), `${f.name} ${v} ${cut}`).toBe(true);
            expect(v, f.name).toBeGreaterThanOrEqual(FORECAST_FLOOR_USD_PER_MWH);
          }
        }
      }
    });
  }

  it('the floor binds: right after a −400 $/MWh hour, dam-bias would go below it without the floor', () => {
    const cut = m.realTime.startMs + 29 * DAY + 4 * 3_600_000 - 60_000; // 04:00, the last hour settled at −400
    const out = untrainedForecaster('dam-bias').forecast(new KnownAt(m, cut), cut + 60_000, 8).pricesUsdPerMwh;
    expect(out[0]).toBe(FORECAST_FLOOR_USD_PER_MWH); // DAM 29 + (−400 − (−30)) × 0.5^(1/240) ≪ −50
  });
});

describe('walk-forward training', () => {
  it('test periods are the calendar months in ERCOT time, from the first to the last given month', () => {
    const p = monthlyPeriods('2024-10-15', '2025-01');
    expect(p.map((x) => x.label)).toEqual(['2024-10', '2024-11', '2024-12', '2025-01']);
    expect(p[1].startMs).toBe(parseIsoInstant('2024-11-01T00:00:00-05:00'));
    expect(p[1].endMs).toBe(parseIsoInstant('2024-12-01T00:00:00-06:00'));
  });

  it('the learned model uses nothing at or after the test month start: its coefficients ignore later data', () => {
    const m = wildMarket();
    const monthStart = m.realTime.startMs + 31 * DAY;
    const learned = new LearnedForecaster({ trainingDays: 20, ridge: 1e-3 });
    const summary = learned.train(new KnownAt(m, monthStart));
    expect(summary.rows).toBeGreaterThan(500);
    expect(summary.latestDataMs).toBeLessThanOrEqual(monthStart);
    expect(learned.coefficients.some((c) => c !== 0)).toBe(true);
    // the test month and everything after it replaced: same model
    const later = { realTime: { ...m.realTime, pricesUsdPerMwh: Float64Array.from(m.realTime.pricesUsdPerMwh) }, dayAhead: { ...m.dayAhead!, pricesUsdPerMwh: Float64Array.from(m.dayAhead!.pricesUsdPerMwh) } };
    for (let i = 0; i < later.realTime.pricesUsdPerMwh.length; i++) {
      if (later.realTime.startMs + i * Q >= monthStart - Q) later.realTime.pricesUsdPerMwh[i] = 9999; // incl. the interval ending at the cut
      if (later.dayAhead.startMs + i * Q >= monthStart) later.dayAhead.pricesUsdPerMwh[i] = 9999;
    }
    const again = new LearnedForecaster({ trainingDays: 20, ridge: 1e-3 });
    again.train(new KnownAt(later, monthStart));
    // the last RT interval before the cut (ending exactly at it) may be used; poisoned above, so allow only that
    const onlyBefore = { realTime: { ...later.realTime, pricesUsdPerMwh: Float64Array.from(later.realTime.pricesUsdPerMwh) }, dayAhead: later.dayAhead };
    onlyBefore.realTime.pricesUsdPerMwh[(monthStart - Q - m.realTime.startMs) / Q] = m.realTime.pricesUsdPerMwh[(monthStart - Q - m.realTime.startMs) / Q];
    const third = new LearnedForecaster({ trainingDays: 20, ridge: 1e-3 });
    third.train(new KnownAt(onlyBefore, monthStart));
    expect(Array.from(third.coefficients)).toEqual(Array.from(learned.coefficients));
  });
});

describe('dam-fade with a proportional correction (prop)', () => {
  // Two days; DAM 20 $/MWh except day 2 10:00 (40) and 11:00 (10); real time 60 everywhere, so the recent error is +40
  // over a DAM of 20. Decision at 08:59 on day 2 (the last settled interval is 08:30).
  const from = parseIsoInstant('2024-06-01T00:00:00-05:00');
  const rt = emptySeries(from, from + 2 * DAY);
  const dam = emptySeries(from, from + 2 * DAY);
  rt.pricesUsdPerMwh.fill(60);
  dam.pricesUsdPerMwh.fill(20);
  const at = (hour: number) => (DAY + hour * 3_600_000) / Q;
  dam.pricesUsdPerMwh.fill(40, at(10), at(11));
  dam.pricesUsdPerMwh.fill(10, at(11), at(12));
  const cut = from + DAY + 9 * 3_600_000 - 60_000;
  const run = (prop?: number) => {
    const f = untrainedForecaster('dam-fade', { biasFraction: 1, biasHalfLifeHours: 1e9, biasWindowIntervals: 4, ...(prop !== undefined ? { biasProportionalMax: prop } : {}) });
    const out = f.forecast(new KnownAt({ realTime: rt, dayAhead: dam }, cut), cut + 60_000, 12).pricesUsdPerMwh;
    return [out[0], out[4], out[8]]; // 09:00 (DAM 20), 10:00 (DAM 40), 11:00 (DAM 10)
  };

  it('additive: the same +40 on every hour', () => {
    run().forEach((v, k) => expect(v).toBeCloseTo([60, 80, 50][k], 6));
  });
  it('prop=1: the error scaled by DAM(t) / 20, never above 1 (+40, +40, +20)', () => {
    run(1).forEach((v, k) => expect(v).toBeCloseTo([60, 80, 30][k], 6));
  });
  it('prop=3: dearer hours lifted in proportion (+40, +80, +20)', () => {
    run(3).forEach((v, k) => expect(v).toBeCloseTo([60, 120, 30][k], 6));
  });
  it('propUpTo=10: only ±10 of the error is proportional, the other +30 additive (+40, +50, +35)', () => {
    const f = untrainedForecaster('dam-fade', { biasFraction: 1, biasHalfLifeHours: 1e9, biasWindowIntervals: 4, biasProportionalMax: 3, biasProportionalUpToUsdPerMwh: 10 });
    const out = f.forecast(new KnownAt({ realTime: rt, dayAhead: dam }, cut), cut + 60_000, 12).pricesUsdPerMwh;
    [out[0], out[4], out[8]].forEach((v, k) => expect(v).toBeCloseTo([60, 90, 45][k], 6));
  });
  it('the name syntax reaches it', () => {
    expect(parseForecasterName('dam-fade:fraction=0.75,prop=1,propUpTo=25')?.params).toEqual({ biasFraction: 0.75, biasProportionalMax: 1, biasProportionalUpToUsdPerMwh: 25 });
  });
  it('mean(…) averages its members interval by interval: dam (20, 40, 10) and dam + 40 → +20 each', () => {
    const m = new MeanForecaster('mean', [untrainedForecaster('dam'), untrainedForecaster('dam-fade', { biasFraction: 1, biasHalfLifeHours: 1e9, biasWindowIntervals: 4 })]);
    const out = m.forecast(new KnownAt({ realTime: rt, dayAhead: dam }, cut), cut + 60_000, 12).pricesUsdPerMwh;
    [out[0], out[4], out[8]].forEach((v, k) => expect(v).toBeCloseTo([40, 60, 30][k], 6));
  });
  it('the intra-hour shape reaches the interval being decided only with shapeOnNextInterval (shape1+)', () => {
    const make = (next: boolean) => {
      const f = new HourlyProfileForecaster({ days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true, shapeOnNextInterval: next }, 'x', untrainedForecaster('dam'));
      f.shape.fill(7);
      return f.forecast(new KnownAt({ realTime: rt, dayAhead: dam }, cut), cut + 60_000, 8).pricesUsdPerMwh;
    };
    expect(make(false)[0]).toBe(20);
    expect(make(true)[0]).toBe(27);
    expect(make(false)[1]).toBe(27);
  });
});

describe('the intra-hour shape: mean (fade-mix) or median (fade-mix-robust)', () => {
  // Five days at 30 $/MWh; 10:00-11:00 local runs 27, 29, 31, 33 on four days (deviations −3, −1, +1, +3 from the
  // hour's mean) and 30, 30, 30, 150 on the fifth (mean 60: −30, −30, −30, +90; a 120 $/MWh swing, kept by the mean's
  // 200 $/MWh filter). Mean per quarter: (4·(−3) − 30) / 5 = −8.4, … (4·3 + 90) / 5 = 20.4; median: −3, −1, 1, 3.
  const from = parseIsoInstant('2024-06-01T00:00:00-05:00');
  const rt = emptySeries(from, from + 6 * DAY);
  const dam = emptySeries(from, from + 6 * DAY);
  rt.pricesUsdPerMwh.fill(30);
  dam.pricesUsdPerMwh.fill(30);
  for (let day = 0; day < 5; day++) {
    const i = (day * DAY + 10 * 3_600_000) / Q;
    rt.pricesUsdPerMwh.set(day < 4 ? [27, 29, 31, 33] : [30, 30, 30, 150], i);
  }
  const shape = (name: string) => {
    const f = trainableForecaster(name) as HourlyProfileForecaster;
    f.train(new KnownAt({ realTime: rt, dayAhead: dam }, from + 5 * DAY));
    return Array.from(f.shape.subarray(40, 44)); // local 10:00-11:00 (CDT: the series starts at local midnight)
  };

  it('mean: the spike day pulls every quarter', () => {
    shape('fade-mix').forEach((v, k) => expect(v).toBeCloseTo([-8.4, -6.8, -5.2, 20.4][k], 9));
  });
  it('median: the four ordinary days decide', () => {
    shape('fade-mix-robust').forEach((v, k) => expect(v).toBeCloseTo([-3, -1, 1, 3][k], 9));
  });
  it('other hours have no shape either way', () => {
    const f = trainableForecaster('fade-mix-robust') as HourlyProfileForecaster;
    f.train(new KnownAt({ realTime: rt, dayAhead: dam }, from + 5 * DAY));
    expect(Array.from(f.shape).filter((v, i) => (i < 40 || i >= 44) && v !== 0)).toEqual([]);
  });
});
