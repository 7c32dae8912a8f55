/**
 * The forecaster `rolling` uses by default, and the one the live planner should use: the best by the walk-forward
 * figures (docs/forecast.md). `createDefaultForecaster()` returns it untrained: train it on a KnownAt view cut at
 * the time the planner starts (it learns the intra-hour shape of the last 30 days).
 */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { trainableForecaster } from './trainable.js';

export const DEFAULT_FORECASTER = 'dam-fade-shape';

export function createDefaultForecaster(): TrainableForecaster {
  return trainableForecaster(DEFAULT_FORECASTER);
}
