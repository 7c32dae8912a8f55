/** The dispatcher's tunables from the environment (DISPATCH_* in config.ts), for the daemon and the fleet workers. */
import { MINUTE_MS } from '../../domain/time/interval.js';
import type { Config } from '../config.js';
import type { DispatchOptions } from './cycle.js';

export function dispatchOptionsFromConfig(cfg: Pick<Config, 'DISPATCH_LEAD_SECONDS' | 'DISPATCH_CHURN_THRESHOLD_USD' | 'DISPATCH_MAX_TELEMETRY_AGE_MINUTES'>): DispatchOptions {
  return {
    leadMs: cfg.DISPATCH_LEAD_SECONDS * 1_000,
    churnThresholdUsd: cfg.DISPATCH_CHURN_THRESHOLD_USD,
    maxTelemetryAgeMs: cfg.DISPATCH_MAX_TELEMETRY_AGE_MINUTES * MINUTE_MS,
  };
}
