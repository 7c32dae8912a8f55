/** Forecasters by name, as scenario files and the CLI name them. */
import type { Forecaster } from '../ports/forecaster.js';
import { damBiasForecaster, damFadeForecaster, damForecaster, persistenceForecaster } from './simple-forecasters.js';

export const UNTRAINED_FORECASTERS = ['dam-fade', 'dam-bias', 'dam', 'persistence'] as const;
export type UntrainedForecasterName = (typeof UNTRAINED_FORECASTERS)[number];

export interface ForecasterParams {
  biasHalfLifeHours?: number;
  biasWindowIntervals?: number;
  biasFraction?: number;
  biasClipUsdPerMwh?: number;
  /** dam-fade: proportional correction, the ratio's upper limit (see BiasCorrectionOptions.proportionalMax). */
  biasProportionalMax?: number;
  /** dam-fade: the part of the error that is proportional (see BiasCorrectionOptions.proportionalUpToUsdPerMwh). */
  biasProportionalUpToUsdPerMwh?: number;
}

export function untrainedForecaster(name: UntrainedForecasterName, params: ForecasterParams = {}): Forecaster {
  switch (name) {
    case 'dam':
      return damForecaster();
    case 'dam-bias':
      return damBiasForecaster(params.biasHalfLifeHours ?? 4, params.biasWindowIntervals ?? 4);
    case 'dam-fade':
      return damFadeForecaster(params.biasFraction ?? 0.5, params.biasHalfLifeHours ?? 12, params.biasWindowIntervals ?? 4, params.biasClipUsdPerMwh, params.biasProportionalMax, params.biasProportionalUpToUsdPerMwh);
    case 'persistence':
      return persistenceForecaster();
  }
}

/**
 * A forecaster name with optional parameters, e.g. `dam-fade:fraction=0.75,halfLifeHours=8` (for sweeps); null when
 * the base name is not an untrained forecaster or a parameter is unknown or not a number.
 */
export function parseForecasterName(text: string): { name: UntrainedForecasterName; params: ForecasterParams } | null {
  const [base, rest] = text.split(':', 2);
  if (!(UNTRAINED_FORECASTERS as readonly string[]).includes(base)) return null;
  const params: ForecasterParams = {};
  const keys: Record<string, keyof ForecasterParams> = { fraction: 'biasFraction', halfLifeHours: 'biasHalfLifeHours', windowIntervals: 'biasWindowIntervals', clip: 'biasClipUsdPerMwh', prop: 'biasProportionalMax', propUpTo: 'biasProportionalUpToUsdPerMwh' };
  for (const pair of rest ? rest.split(',') : []) {
    const [k, v] = pair.split('=');
    const key = keys[k];
    const value = Number(v);
    if (!key || !Number.isFinite(value)) return null;
    params[key] = value;
  }
  return { name: base as UntrainedForecasterName, params };
}
