/** Forecasters that are trained walk-forward, by name. */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { LearnedForecaster } from './learned.js';
import { SpikeAwareForecaster } from './spike-aware.js';

export const TRAINABLE_FORECASTERS = ['learned', 'spike-aware', 'spike-aware-half', 'dam-fade-shape', 'spike-aware-shape'] as const;

export function trainableForecaster(name: string): TrainableForecaster {
  if (name === 'learned') return new LearnedForecaster();
  if (name === 'spike-aware') return new SpikeAwareForecaster();
  if (name === 'dam-fade-shape') return new SpikeAwareForecaster({ days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true }, name);
  if (name === 'spike-aware-shape') return new SpikeAwareForecaster({ days: 60, tailFromUsdPerMwh: 50, weight: 1, intraHourShape: true }, name);
  if (name === 'spike-aware-half') return new SpikeAwareForecaster({ days: 60, tailFromUsdPerMwh: 50, weight: 0.5 }, name);
  throw new RangeError(`no trainable forecaster named ${name}`);
}
