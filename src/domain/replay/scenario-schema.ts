/**
 * The scenario file format (JSON), validated with zod; strict objects, so a misspelt key is an error.
 * `scenario schema` publishes it as JSON Schema (z.toJSONSchema). Every field is documented in scenarios/README.md.
 */
import { z } from 'zod';
import { ROLLING_FORECASTERS } from '../forecast/catalog.js';
import { DEFAULT_FORECASTER } from '../forecast/default.js';

const isoWithOffset = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, 'expected ISO 8601 with an offset or Z, e.g. 2024-08-01T00:00:00-05:00')
  .describe('ISO 8601 instant with an offset or Z');

export const priceSourceSchema = z
  .strictObject({
    file: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('path relative to the scenario file, or a list of paths (e.g. one per month) read as one series'),
    format: z.enum(['ercot-rtm-yearly', 'ercot-api', 'csv']).describe('price file format (the same for every file)'),
    settlementPointType: z.string().optional().describe('ercot-api real-time files: keep only this type (e.g. LZ, not LZEW)'),
  })
  .describe('a price file');

const kwSource = z.union([
  z.strictObject({ constantKw: z.number().min(0).describe('constant power, kW') }),
  z.strictObject({ file: z.string().min(1).describe('csv with interval_start,kw, relative to the scenario file'), format: z.literal('csv') }),
]);

const timeOfDay = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM (00:00–24:00)');
export const exportWindowSchema = z
  .strictObject({ from: timeOfDay.describe('local (America/Chicago) start, inclusive'), to: timeOfDay.describe('local end, exclusive; to < from wraps past midnight') })
  .describe('a local time-of-day window in which battery export is allowed');

export const batterySchema = z.strictObject({
  capacityKwh: z.number().positive().describe('usable capacity, kWh (> 0)'),
  maxChargeKw: z.number().min(0).describe('AC charge power limit, kW'),
  maxDischargeKw: z.number().min(0).describe('AC discharge power limit, kW'),
  roundTripEfficiency: z.number().gt(0).max(1).describe('AC-to-AC round-trip efficiency (0, 1]'),
  initialSocPercent: z.number().min(0).max(100).describe('state of charge at start, percent'),
  minReservePercent: z.number().min(0).max(100).default(10).describe('site backup reserve, percent; the floor is max(10, this)'),
  degradationCostUsdPerKwh: z.number().min(0).default(0).describe('charged per kWh discharged (AC)'),
});

const perfectForesight = z.strictObject({ kind: z.literal('perfect-foresight'), name: z.string().optional() });
const rolling = z.strictObject({
  kind: z.literal('rolling'),
  name: z.string().optional(),
  horizonHours: z.number().int().min(24).max(168).default(24).describe('planning horizon, hours (≥ 24)'),
  forecast: z.enum(ROLLING_FORECASTERS).default(DEFAULT_FORECASTER).describe('price forecaster (see docs/forecast.md); trainable ones learn from the history before the start'),
  biasHalfLifeHours: z.number().positive().optional().describe('dam-bias / dam-fade: how fast the recent RT−DAM error fades with lead time (default 4 h / 12 h)'),
  biasWindowIntervals: z.number().int().min(1).default(4).describe('dam-bias: recent intervals averaged for the error'),
  hurdleUsdPerKwh: z.number().min(0).default(0).describe('extra cost per kWh discharged, in planning only: a margin against forecast error'),
});
const dayAhead = z.strictObject({ kind: z.literal('day-ahead'), name: z.string().optional() });
const threshold = z.strictObject({
  kind: z.literal('threshold'),
  name: z.string().optional(),
  chargeBelowUsdPerMwh: z.number().default(20).describe('charge at full power when the signal price is below this'),
  dischargeAboveUsdPerMwh: z.number().default(100).describe('discharge at full power when the signal price is above this'),
  signal: z.enum(['last-real-time', 'day-ahead']).default('last-real-time').describe('the price the rule looks at'),
});

export const strategySchema = z.union([
  z.enum(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']),
  z.discriminatedUnion('kind', [perfectForesight, rolling, dayAhead, threshold]),
]);

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('ignored; lets editors find the JSON Schema'),
    name: z.string().min(1),
    description: z.string().optional(),
    start: isoWithOffset.describe('first instant (inclusive), on a 15-minute boundary'),
    end: isoWithOffset.describe('last instant (exclusive), on a 15-minute boundary'),
    settlementPoint: z.string().min(1).describe('e.g. HB_HOUSTON'),
    prices: z.strictObject({ realTime: priceSourceSchema.describe('settlement prices (truth)'), dayAhead: priceSourceSchema.optional().describe('DAM hourly prices (forecast)') }),
    battery: batterySchema,
    site: z.strictObject({ load: kwSource.optional().describe('home load, default 0'), solar: kwSource.optional().describe('solar production, default 0') }).default({}),
    tariff: z
      .strictObject({
        importAdderUsdPerKwh: z.number().default(0),
        exportFactor: z.number().min(0).default(1),
        exportAllowed: z.union([z.boolean(), z.array(exportWindowSchema).min(1)]).default(true),
      })
      .default({ importAdderUsdPerKwh: 0, exportFactor: 1, exportAllowed: true }),
    maxCyclesPerDay: z.number().positive().optional().describe('cap on equivalent full cycles per ERCOT day, passed to the optimizer'),
    device: z
      .strictObject({
        baseMode: z.enum(['idle', 'self-consumption']).default('idle').describe('what the battery does between commands'),
      })
      .default({ baseMode: 'idle' }),
    strategies: z.array(strategySchema).min(1).default(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']),
  })
  .describe('An ercot-arb replay scenario');

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type StrategyConfig = z.infer<typeof strategySchema>;
export type PerfectForesightConfig = z.infer<typeof perfectForesight>;
export type RollingConfig = z.infer<typeof rolling>;
export type DayAheadConfig = z.infer<typeof dayAhead>;
export type ThresholdConfig = z.infer<typeof threshold>;
export type NormalizedStrategy = PerfectForesightConfig | RollingConfig | DayAheadConfig | ThresholdConfig;

/** Names become objects with their defaults. */
export function normalizeStrategy(s: StrategyConfig): NormalizedStrategy & { name: string } {
  const obj = typeof s === 'string' ? { kind: s } : s;
  const full = z.discriminatedUnion('kind', [perfectForesight, rolling, dayAhead, threshold]).parse(obj);
  return { ...full, name: full.name ?? full.kind };
}

export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' });
}
