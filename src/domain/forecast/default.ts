/** The forecaster `rolling` uses by default (and the live planner): the best by the walk-forward figures (docs/forecast.md). */
export const DEFAULT_FORECASTER = 'dam-fade';
