/** Forecasters that are trained walk-forward, by name. */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { adaptiveFadeShapeForecaster } from './adaptive-fade.js';
import { HourlyProfileForecaster } from './hourly-profile.js';
import { LearnedForecaster } from './learned.js';
import { FADE_GRID, FadeMixtureForecaster } from './fade-mixture.js';
import { damFadeForecaster } from './simple-forecasters.js';
import { parseForecasterName, untrainedForecaster } from './registry.js';

export const TRAINABLE_FORECASTERS = ['dam-fade-shape', 'fade-mix', 'fade-mix-robust', 'adaptive-fade-shape', 'learned', 'spike-aware', 'spike-aware-shape'] as const;
export type TrainableForecasterName = (typeof TRAINABLE_FORECASTERS)[number];

const SHAPE = { days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true };
/**
 * The recent-error correction under `dam-fade-shape`: three quarters of the recent RT − DAM error (clamped to
 * ±100 $/MWh), fading with a 6 h half-life: the best of the walk-forward sweep (docs/forecast.md).
 */
export const DAM_FADE_SHAPE_BASE = { fraction: 0.75, halfLifeHours: 6, windowIntervals: 4, clipUsdPerMwh: 100 };

/**
 * `shape+<forecaster spec>`: the intra-hour shape on top of another forecaster, e.g. `shape+dam-fade:fraction=0.3`;
 * `shape1+<spec>`: the same with the shape also on the next interval (the one being decided).
 */
function shapeOn(name: string): TrainableForecaster | null {
  const m = /^(shape|shape1)\+(.+)$/.exec(name);
  if (!m) return null;
  const options = m[1] === 'shape1' ? { ...SHAPE, shapeOnNextInterval: true } : SHAPE;
  if (m[2] === 'learned') return new HourlyProfileForecaster(options, name, new LearnedForecaster());
  const parsed = parseForecasterName(m[2]);
  if (!parsed) return null;
  return new HourlyProfileForecaster(options, name, untrainedForecaster(parsed.name, parsed.params));
}

export function isTrainableName(name: string): boolean {
  return (TRAINABLE_FORECASTERS as readonly string[]).includes(name) || shapeOn(name) !== null;
}

export function trainableForecaster(name: string): TrainableForecaster {
  const shaped = shapeOn(name);
  if (shaped) return shaped;
  const b = DAM_FADE_SHAPE_BASE;
  switch (name) {
    case 'dam-fade-shape':
      return new HourlyProfileForecaster(SHAPE, name, damFadeForecaster(b.fraction, b.halfLifeHours, b.windowIntervals, b.clipUsdPerMwh));
    case 'fade-mix':
      return new HourlyProfileForecaster({ ...SHAPE, shapeOnNextInterval: true }, name, new FadeMixtureForecaster('fade-mix', FADE_GRID));
    case 'fade-mix-robust':
      return new HourlyProfileForecaster({ ...SHAPE, shapeOnNextInterval: true, shapeStatistic: 'median' }, name, new FadeMixtureForecaster('fade-mix', FADE_GRID));
    case 'adaptive-fade-shape':
      return adaptiveFadeShapeForecaster();
    case 'learned':
      return new LearnedForecaster();
    case 'spike-aware':
      return new HourlyProfileForecaster({ days: 60, tailFromUsdPerMwh: 50, weight: 1 }, name);
    case 'spike-aware-shape':
      return new HourlyProfileForecaster({ ...SHAPE, days: 60, weight: 1 }, name);
  }
  throw new RangeError(`no trainable forecaster named ${name}`);
}
