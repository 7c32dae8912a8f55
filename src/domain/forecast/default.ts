/**
 * The forecaster `rolling` uses by default, and the one the live planner should use: the best by the walk-forward
 * figures (docs/forecast.md). `createDefaultForecaster()` returns it untrained: train it on a KnownAt view cut at
 * the time the planner starts (it learns the intra-hour shape of the last 30 days).
 */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { trainableForecaster } from './trainable.js';

export const DEFAULT_FORECASTER = 'fade-mix-robust';

/**
 * Whether `rolling` (and the live planner) plan to the end of the latest published DAM day when that is beyond the
 * horizon (after 13:00 Central: all of tomorrow, 24–35 h): part of the default's walk-forward figure.
 */
export const DEFAULT_HORIZON_TO_PUBLISHED_DAM = true;

export function createDefaultForecaster(): TrainableForecaster {
  return trainableForecaster(DEFAULT_FORECASTER);
}
