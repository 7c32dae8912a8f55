/** Forecasters that are trained walk-forward, by name. */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { LearnedForecaster } from './learned.js';

export const TRAINABLE_FORECASTERS = ['learned'] as const;

export function trainableForecaster(name: string): TrainableForecaster {
  if (name === 'learned') return new LearnedForecaster();
  throw new RangeError(`no trainable forecaster named ${name}`);
}
