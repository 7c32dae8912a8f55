/**
 * The strategies a replay runs and their parameters, as plain types. Scenario files are read and validated (with
 * defaults filled in) by the input adapter src/adapters/files/scenario-schema.ts, whose parsed types must equal these.
 */
import type { RollingForecasterName } from '../forecast/catalog.js';

export interface PerfectForesightConfig {
  kind: 'perfect-foresight';
  name?: string;
}

export interface RollingConfig {
  kind: 'rolling';
  name?: string;
  /** Planning horizon, hours (24–168). */
  horizonHours: number;
  /** Extend the horizon to the end of the latest published DAM day when that is later (≤ 48 h). */
  horizonToPublishedDam: boolean;
  forecast: RollingForecasterName;
  /** dam-bias / dam-fade: how fast the recent RT − DAM error fades with lead time, hours (default per forecaster). */
  biasHalfLifeHours?: number;
  /** dam-bias: settled intervals averaged for that error. */
  biasWindowIntervals: number;
  /** Planning-only extra cost per kWh discharged, $/kWh. */
  hurdleUsdPerKwh: number;
}

export interface DayAheadConfig {
  kind: 'day-ahead';
  name?: string;
}

export interface ThresholdConfig {
  kind: 'threshold';
  name?: string;
  chargeBelowUsdPerMwh: number;
  dischargeAboveUsdPerMwh: number;
  signal: 'last-real-time' | 'day-ahead';
}

export type NormalizedStrategy = PerfectForesightConfig | RollingConfig | DayAheadConfig | ThresholdConfig;
