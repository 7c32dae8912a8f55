/** Forecasters by name, as scenario files and the CLI name them. */
import type { Forecaster } from '../ports/forecaster.js';
import { damBiasForecaster, damFadeForecaster, damForecaster, persistenceForecaster } from './simple-forecasters.js';

export const UNTRAINED_FORECASTERS = ['dam-fade', 'dam-bias', 'dam', 'persistence'] as const;
export type UntrainedForecasterName = (typeof UNTRAINED_FORECASTERS)[number];

export interface ForecasterParams {
  biasHalfLifeHours?: number;
  biasWindowIntervals?: number;
  biasFraction?: number;
}

export function untrainedForecaster(name: UntrainedForecasterName, params: ForecasterParams = {}): Forecaster {
  switch (name) {
    case 'dam':
      return damForecaster();
    case 'dam-bias':
      return damBiasForecaster(params.biasHalfLifeHours ?? 4, params.biasWindowIntervals ?? 4);
    case 'dam-fade':
      return damFadeForecaster(params.biasFraction ?? 0.5, params.biasHalfLifeHours ?? 12, params.biasWindowIntervals ?? 4);
    case 'persistence':
      return persistenceForecaster();
  }
}
