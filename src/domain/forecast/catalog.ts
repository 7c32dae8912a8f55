/** Every forecaster `rolling` can be given by name (scenario files, CLI): untrained and trainable ones. */
import type { Forecaster, TrainableForecaster } from '../ports/forecaster.js';
import { UNTRAINED_FORECASTERS, untrainedForecaster, type ForecasterParams, type UntrainedForecasterName } from './registry.js';
import { TRAINABLE_FORECASTERS, trainableForecaster } from './trainable.js';

export const ROLLING_FORECASTERS = [...TRAINABLE_FORECASTERS, ...UNTRAINED_FORECASTERS] as const;
export type RollingForecasterName = (typeof ROLLING_FORECASTERS)[number];

export function isTrainable(f: Forecaster): f is TrainableForecaster {
  return typeof (f as Partial<TrainableForecaster>).train === 'function';
}

/** A forecaster by name; trainable ones come back untrained (the caller trains them on a KnownAt view). */
export function namedForecaster(name: RollingForecasterName, params: ForecasterParams = {}): Forecaster {
  if ((UNTRAINED_FORECASTERS as readonly string[]).includes(name)) return untrainedForecaster(name as UntrainedForecasterName, params);
  return trainableForecaster(name);
}
