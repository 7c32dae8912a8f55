/** The forecasting subsystem's public surface (for the live planner and the replay). */
export { KnownAt, damPublishedMs, type MarketHistory, type StepSeries, type SystemForecastKind, type SystemForecastPoint } from './known-at.js';
export { DEFAULT_FORECASTER, DEFAULT_HORIZON_TO_PUBLISHED_DAM, createDefaultForecaster } from './default.js';
export { ROLLING_FORECASTERS, namedForecaster, isTrainable, type RollingForecasterName } from './catalog.js';
export { FORECAST_FLOOR_USD_PER_MWH } from './dam-curve.js';
export type { Forecaster, TrainableForecaster, PriceForecast, PriceScenario } from '../ports/forecaster.js';
