/**
 * The rolling horizon extended to the published DAM (`horizonToPublishedDam`, docs/forecast.md "Fourth round"): how
 * far the view says the DAM reaches, how long each rolling plan is, and that neither depends on anything published
 * after the decision. Expected instants are written out by hand from the ERCOT rule (DAM of day D public from 13:00
 * Central on D−1), not computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { poisoned } from '../../support/poisoned-market.js';
import { createPlanner } from '../../../src/adapters/solvers/planner-factory.js';
import { KnownAt, type MarketHistory } from '../../../src/domain/forecast/known-at.js';
import { trainableForecaster } from '../../../src/domain/forecast/trainable.js';
import type { PlanInput } from '../../../src/domain/optimizer/plan-types.js';
import type { Planner } from '../../../src/domain/ports/planner.js';
import { emptySeries } from '../../../src/domain/prices/price-series.js';
import { rollingHorizonIntervals } from '../../../src/domain/replay/forecast.js';
import { HORIZON_PADDING_INTERVALS, type ReplayData } from '../../../src/domain/replay/replay-data.js';
import { runRolling } from '../../../src/domain/replay/strategies.js';
import { parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';

const Q = 900_000;
const HOUR = 3_600_000;
const iso = parseIsoInstant;

/** 2024-10-25 .. 2024-11-06 (the fall-back day 2024-11-03 has 25 hours): a daily shape, RT a little off the DAM. */
function market(): MarketHistory {
  const from = iso('2024-10-25T00:00:00-05:00');
  const to = iso('2024-11-06T00:00:00-06:00');
  const rt = emptySeries(from, to);
  const dam = emptySeries(from, to);
  for (let i = 0; i < rt.pricesUsdPerMwh.length; i++) {
    const h = (((from + i * Q) / HOUR) % 24 + 24) % 24;
    dam.pricesUsdPerMwh[i] = 30 + 25 * Math.sin((h / 24) * 2 * Math.PI) + (Math.floor((from + i * Q) / HOUR) % 3);
    rt.pricesUsdPerMwh[i] = dam.pricesUsdPerMwh[i] + ((i % 11) - 5) * 3;
  }
  return { realTime: rt, dayAhead: dam };
}

describe('KnownAt.publishedDayAheadEndMs', () => {
  const m = market();
  it("is today's end before 13:00 Central and tomorrow's end from 13:00 on", () => {
    expect(new KnownAt(m, iso('2024-10-29T12:59:00-05:00')).publishedDayAheadEndMs()).toBe(iso('2024-10-30T00:00:00-05:00'));
    expect(new KnownAt(m, iso('2024-10-29T13:00:00-05:00')).publishedDayAheadEndMs()).toBe(iso('2024-10-31T00:00:00-05:00'));
    expect(new KnownAt(m, iso('2024-10-29T00:14:00-05:00')).publishedDayAheadEndMs()).toBe(iso('2024-10-30T00:00:00-05:00'));
  });

  it('across the fall-back day (25 h): published at 13:00 CDT on 2024-11-02, it ends at midnight CST', () => {
    expect(new KnownAt(m, iso('2024-11-02T13:14:00-05:00')).publishedDayAheadEndMs()).toBe(iso('2024-11-04T00:00:00-06:00'));
    expect(new KnownAt(m, iso('2024-11-03T12:59:00-06:00')).publishedDayAheadEndMs()).toBe(iso('2024-11-04T00:00:00-06:00'));
    expect(new KnownAt(m, iso('2024-11-03T13:00:00-06:00')).publishedDayAheadEndMs()).toBe(iso('2024-11-05T00:00:00-06:00'));
  });

  it("falls back to today's end when tomorrow's DAM is missing from the data, NaN without any", () => {
    const gap = { ...m, dayAhead: { ...m.dayAhead!, pricesUsdPerMwh: Float64Array.from(m.dayAhead!.pricesUsdPerMwh) } };
    const last = (iso('2024-10-31T00:00:00-05:00') - gap.dayAhead.startMs) / Q - 1;
    gap.dayAhead.pricesUsdPerMwh[last] = NaN;
    expect(new KnownAt(gap, iso('2024-10-29T14:00:00-05:00')).publishedDayAheadEndMs()).toBe(iso('2024-10-30T00:00:00-05:00'));
    expect(new KnownAt({ ...m, dayAhead: null }, iso('2024-10-29T14:00:00-05:00')).publishedDayAheadEndMs()).toBeNaN();
  });

  it('rollingHorizonIntervals: 24 h unless the published DAM reaches further, never beyond 48 h; off by default', () => {
    const start = iso('2024-10-29T14:00:00-05:00');
    const known = new KnownAt(m, start - 60_000);
    expect(rollingHorizonIntervals(known, start, 96, false)).toBe(96);
    expect(rollingHorizonIntervals(known, start, 96, true)).toBe(34 * 4); // 14:00 → midnight after tomorrow
    expect(rollingHorizonIntervals(known, start, 192, true)).toBe(192);
    const morning = iso('2024-10-29T09:00:00-05:00');
    expect(rollingHorizonIntervals(new KnownAt(m, morning - 60_000), morning, 96, true)).toBe(96); // DAM ends at midnight (15 h)
  });

  it('reads nothing published after the decision: unchanged when later prices are NaN or ±1e6', () => {
    for (const cut of ['2024-10-29T12:44:00-05:00', '2024-10-29T13:14:00-05:00', '2024-11-02T12:59:00-05:00', '2024-11-03T01:29:00-06:00'].map(iso)) {
      const clean = new KnownAt(m, cut).publishedDayAheadEndMs();
      for (const poison of [NaN, 1e6, -1e6]) expect(new KnownAt(poisoned(m, cut, poison), cut).publishedDayAheadEndMs()).toBe(clean);
    }
  });
});

describe('runRolling with horizonToPublishedDam', () => {
  const m = market();
  const startMs = iso('2024-10-29T11:00:00-05:00');
  const endMs = iso('2024-10-31T06:00:00-05:00');
  const n = (endMs - startMs) / Q;
  const data = (h: MarketHistory): ReplayData => ({
    name: 'horizon', settlementPoint: 'HB_HUBAVG', startMs, endMs, n,
    battery: { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 },
    initialSocKwh: 6.75, realTime: h.realTime, dayAhead: h.dayAhead,
    loadKw: new Float64Array(n + HORIZON_PADDING_INTERVALS), solarKw: new Float64Array(n + HORIZON_PADDING_INTERVALS), exportAllowed: new Uint8Array(n + HORIZON_PADDING_INTERVALS).fill(1),
    tariff: { importAdderUsdPerKwh: 0, exportFactor: 1 }, baseMode: 'idle',
  });
  const recording = (inner: Planner, inputs: PlanInput[]): Planner => ({ solver: inner.solver, plan: (input) => (inputs.push(input), inner.plan(input)) });
  const run = async (h: MarketHistory, toDam: boolean) => {
    const inputs: PlanInput[] = [];
    const f = trainableForecaster('fade-mix');
    f.train(new KnownAt(h, startMs));
    const r = runRolling(data(h), recording(await createPlanner('dp'), inputs), { kind: 'rolling', name: 'r', horizonHours: 24, horizonToPublishedDam: toDam, forecast: 'fade-mix', biasWindowIntervals: 4, hurdleUsdPerKwh: 0, forecaster: f });
    return { r, inputs };
  };

  it('plans 24 h before 13:00, to the end of tomorrow from the 13:00 decision on, and stops at the replay end', async () => {
    const { inputs } = await run(m, true);
    expect(inputs.length).toBe(n);
    const at = (s: string) => inputs.find((i) => i.startMs === iso(s))!.priceUsdPerMwh.length;
    expect(at('2024-10-29T11:00:00-05:00')).toBe(96);
    expect(at('2024-10-29T13:00:00-05:00')).toBe(96); // decided at 12:59: tomorrow's DAM not yet public
    expect(at('2024-10-29T13:15:00-05:00')).toBe(139); // 13:15 → 2024-10-31 00:00: 34 h 45 min
    expect(at('2024-10-29T23:00:00-05:00')).toBe(100); // 25 h
    expect(at('2024-10-30T12:00:00-05:00')).toBe(72); // 24 h would pass the replay's end (2024-10-31 06:00): 18 h
    expect(at('2024-10-30T13:15:00-05:00')).toBe(67); // extended, then cut at the replay's end
  });

  it('off: every plan is 24 h (or up to the replay end)', async () => {
    const { inputs } = await run(m, false);
    expect(inputs.map((i) => i.priceUsdPerMwh.length)).toEqual(inputs.map((_, t) => Math.min(96, n - t)));
  });
});
