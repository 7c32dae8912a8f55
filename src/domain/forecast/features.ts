/**
 * Features of a (decision, target interval) pair for the learned forecaster, all known at the decision (read through
 * KnownAt). Lead time enters only through smooth kernels exp(−lead/τ), so the model's output is smooth in lead time
 * and no lead bucket can make a jump that the optimizer would read as a spread. The target is RT − base curve.
 */
import { ercotLocalParts } from '../time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import { baseCurve, DAY_MS, recentErrorUsdPerMwh } from './dam-curve.js';
import type { KnownAt } from './known-at.js';

export const FEATURE_NAMES = [
  'e4·k1', 'e4·k4', 'e4·k12', 'e4·k48',
  'e24·k4', 'e24·k12', 'e24',
  'sameTime7d', 'sameTime7d·k12',
  'shape', 'level', 'level·k4',
  'sin1', 'cos1', 'sin2', 'cos2', 'weekend',
  'notPublished', 'lastRtMinusBase·k1', 'sced·k1',
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

const hourCache = new Map<number, { minuteOfDay: number; weekend: boolean }>();

/** Local time of day and weekend flag, computed once per UTC hour (Luxon is slow on this hot path). */
export function localTime(ms: number): { minuteOfDay: number; weekend: boolean } {
  const hourStart = Math.floor(ms / HOUR_MS) * HOUR_MS;
  let v = hourStart === ms ? hourCache.get(hourStart) : undefined;
  if (!v) {
    const cached = hourCache.get(hourStart);
    const base = cached ?? (() => {
      const parts = ercotLocalParts(hourStart);
      const day = new Date(`${parts.date}T00:00:00Z`).getUTCDay();
      const e = { minuteOfDay: parts.minuteOfDay, weekend: day === 0 || day === 6 };
      hourCache.set(hourStart, e);
      return e;
    })();
    v = { minuteOfDay: base.minuteOfDay + (ms - hourStart) / 60_000, weekend: base.weekend };
  }
  return v;
}

/** Mean RT − DAM of the same time of day over the last 7 days (settled ones), 0 if none. */
function sameTimeError(known: KnownAt, ms: number): number {
  let sum = 0;
  let n = 0;
  for (let k = 1; k <= 7; k++) {
    const back = ms - k * DAY_MS;
    const rt = known.realTimeUsdPerMwh(back);
    const dam = known.dayAheadUsdPerMwh(back);
    if (Number.isNaN(rt) || Number.isNaN(dam)) continue;
    sum += Math.max(-200, Math.min(200, rt - dam));
    n++;
  }
  return n ? sum / n : 0;
}

export interface DecisionFeatures {
  base: Float64Array;
  /** count × FEATURE_COUNT, row-major. */
  x: Float64Array;
  fallbackIntervals: number;
}

/** Features for each of `count` intervals from `fromMs`, as known at `known.cutMs`. */
export function decisionFeatures(known: KnownAt, fromMs: number, count: number): DecisionFeatures {
  const curve = baseCurve(known, fromMs, count);
  const e4 = recentErrorUsdPerMwh(known, 4);
  const e24 = Math.max(-200, Math.min(200, recentErrorUsdPerMwh(known, 96)));
  const last = known.lastSettledStartMs();
  const lastRt = known.realTimeUsdPerMwh(last);
  const lastBase = known.dayAheadUsdPerMwh(last);
  const lastGap = Number.isNaN(lastRt) || Number.isNaN(lastBase) ? 0 : lastRt - lastBase;
  const scedNow = known.scedUsdPerMwh(known.cutMs - 1);
  const scedGap = Number.isNaN(scedNow) || Number.isNaN(lastBase) ? 0 : scedNow - lastBase;
  let level = 0;
  for (let j = 0; j < count; j++) level += curve.prices[j];
  level /= Math.max(1, count);
  const x = new Float64Array(count * FEATURE_COUNT);
  for (let j = 0; j < count; j++) {
    const ms = fromMs + j * INTERVAL_MS;
    const lead = (ms - known.cutMs) / HOUR_MS;
    const k1 = Math.exp(-lead);
    const k4 = Math.exp(-lead / 4);
    const k12 = Math.exp(-lead / 12);
    const k48 = Math.exp(-lead / 48);
    const parts = localTime(ms);
    const angle = (2 * Math.PI * parts.minuteOfDay) / 1440;
    const same = sameTimeError(known, ms);
    const row = [
      e4 * k1, e4 * k4, e4 * k12, e4 * k48,
      e24 * k4, e24 * k12, e24,
      same, same * k12,
      curve.prices[j] - level, level, level * k4,
      Math.sin(angle), Math.cos(angle), Math.sin(2 * angle), Math.cos(2 * angle), parts.weekend ? 1 : 0,
      Number.isNaN(known.dayAheadUsdPerMwh(ms)) ? 1 : 0, lastGap * k1, scedGap * k1,
    ];
    x.set(row, j * FEATURE_COUNT);
  }
  return { base: curve.prices, x, fallbackIntervals: curve.fallbackIntervals };
}
