/**
 * Wire schemas (zod) for the parts of the Enphase Monitoring API v4 the engine uses, from
 * ../shared/specs/enphase/monitoring-v4.openapi.yaml, plus the OAuth token response. Schemas are deliberately
 * loose where Enphase is known to be loose (SoC as "97%" strings, mode spellings, integers as strings): parsing
 * to domain values happens in normalise.ts, per interval, so one bad interval never rejects a whole batch.
 */
import { z } from 'zod';

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

/** The body of a 429: `{message, details, code, period, period_start, period_end, limit}` (epoch seconds). */
export const throttleBodySchema = z.object({
  message: z.string().optional(),
  details: z.string().optional(),
  code: z.union([z.number(), z.string()]).optional(),
  period: z.string().optional(),
  period_start: z.coerce.number().optional(),
  period_end: z.coerce.number(),
  limit: z.coerce.number().optional(),
});

export const systemSchema = z.object({
  system_id: z.number().int(),
  name: z.string().optional(),
  timezone: z.string().nullable().optional(),
  status: z.string().optional(),
  last_report_at: z.number().nullable().optional(),
}).passthrough();
export type WireSystem = z.infer<typeof systemSchema>;

export const systemsPageSchema = z.object({
  total: z.number().int().optional(),
  current_page: z.number().int().optional(),
  size: z.number().int().optional(),
  count: z.number().int().optional(),
  systems: z.array(systemSchema),
}).passthrough();

export const summarySchema = z.object({
  system_id: z.number().int(),
  status: z.string().optional(),
  last_report_at: z.number().nullable().optional(),
  last_interval_end_at: z.number().nullable().optional(),
  size_w: z.number().nullable().optional(),
  battery_charge_w: z.number().nullable().optional(),
  battery_discharge_w: z.number().nullable().optional(),
  battery_capacity_wh: z.number().nullable().optional(),
}).passthrough();
export type WireSummary = z.infer<typeof summarySchema>;

/** Intervals are kept as unknown records: normalise.ts checks each one and quarantines what is wrong. */
const intervalsField = z.array(z.record(z.string(), z.unknown()));

export const telemetryResponseSchema = z.object({
  system_id: z.number().int().optional(),
  granularity: z.string().optional(),
  total_devices: z.number().optional(),
  start_at: z.number().optional(),
  end_at: z.number().optional(),
  intervals: intervalsField.default([]),
  last_reported_aggregate_soc: z.union([z.string(), z.number()]).nullable().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
}).passthrough();
export type WireTelemetry = z.infer<typeof telemetryResponseSchema>;

export const batterySettingsSchema = z.object({
  system_id: z.number().int().optional(),
  battery_mode: z.string(),
  reserve_soc: z.coerce.number(),
  energy_independence: z.string().optional(),
  charge_from_grid: z.union([z.string(), z.boolean()]).optional(),
  battery_shutdown_level: z.coerce.number().optional(),
}).passthrough();
export type WireBatterySettings = z.infer<typeof batterySettingsSchema>;

export const stormGuardSchema = z.object({
  system_id: z.number().int().optional(),
  storm_guard_status: z.union([z.string(), z.boolean()]),
  storm_alert: z.union([z.string(), z.boolean()]),
}).passthrough();
export type WireStormGuard = z.infer<typeof stormGuardSchema>;

export const gridStatusSchema = z.object({
  system_id: z.number().int().optional(),
  grid_state: z.string(),
  last_report_date: z.number().nullable().optional(),
}).passthrough();
export type WireGridStatus = z.infer<typeof gridStatusSchema>;
