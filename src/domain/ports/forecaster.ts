/**
 * The forecaster port: a price forecast per future 15-minute interval from what was known at a decision instant.
 * A forecaster receives only a `KnownAt` view (src/domain/forecast/known-at.ts), cut at the decision time, so it
 * cannot read anything published later. Implementations: src/domain/forecast/.
 */
import type { KnownAt } from '../forecast/known-at.js';

export interface PriceScenario {
  /** Probability weight; the weights of a forecast's scenarios sum to 1. */
  weight: number;
  pricesUsdPerMwh: Float64Array;
}

export interface PriceForecast {
  /** The point forecast (expected price), one per interval from `fromMs`; finite and ≥ FORECAST_FLOOR_USD_PER_MWH. */
  pricesUsdPerMwh: Float64Array;
  /** Optional: a few weighted price scenarios (same length), for risk-aware planning. */
  scenarios?: PriceScenario[];
  /** Intervals for which nothing better than persistence was known (no day-ahead price). */
  fallbackIntervals: number;
}

export interface Forecaster {
  readonly name: string;
  /** Forecast of `count` intervals starting at `fromMs` (interval-aligned, after `known.cutMs`). */
  forecast(known: KnownAt, fromMs: number, count: number): PriceForecast;
}

/** A forecaster that learns from history: trained on a view cut before the period it will forecast. */
export interface TrainableForecaster extends Forecaster {
  /** Fits the model on everything known at `known.cutMs`; returns a summary of what it learned from. */
  train(known: KnownAt): TrainingSummary;
}

export interface TrainingSummary {
  rows: number;
  /** The latest instant any training target or feature came from (≤ the training cut). */
  latestDataMs: number;
}
