/** Forecasters that are trained walk-forward, by name. */
import type { TrainableForecaster } from '../ports/forecaster.js';
import { LearnedForecaster } from './learned.js';
import { SpikeAwareForecaster } from './spike-aware.js';
import { parseForecasterName, untrainedForecaster } from './registry.js';

export const TRAINABLE_FORECASTERS = ['learned', 'spike-aware', 'spike-aware-half', 'dam-fade-shape', 'spike-aware-shape'] as const;

/** `shape+<forecaster spec>`: the intra-hour shape on top of any untrained forecaster, e.g. `shape+dam-fade:fraction=0.3`. */
function shapeOn(name: string): TrainableForecaster | null {
  if (!name.startsWith('shape+')) return null;
  const parsed = parseForecasterName(name.slice(6));
  if (!parsed) return null;
  return new SpikeAwareForecaster({ days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true }, name, untrainedForecaster(parsed.name, parsed.params));
}

export function isTrainableName(name: string): boolean {
  return (TRAINABLE_FORECASTERS as readonly string[]).includes(name) || shapeOn(name) !== null;
}

export function trainableForecaster(name: string): TrainableForecaster {
  const shaped = shapeOn(name);
  if (shaped) return shaped;
  if (name === 'learned') return new LearnedForecaster();
  if (name === 'spike-aware') return new SpikeAwareForecaster();
  if (name === 'dam-fade-shape') return new SpikeAwareForecaster({ days: 30, tailFromUsdPerMwh: 50, weight: 0, intraHourShape: true }, name);
  if (name === 'spike-aware-shape') return new SpikeAwareForecaster({ days: 60, tailFromUsdPerMwh: 50, weight: 1, intraHourShape: true }, name);
  if (name === 'spike-aware-half') return new SpikeAwareForecaster({ days: 60, tailFromUsdPerMwh: 50, weight: 0.5 }, name);
  throw new RangeError(`no trainable forecaster named ${name}`);
}
