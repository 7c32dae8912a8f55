/**
 * The scenario file format (JSON), validated with zod; strict objects, so a misspelt key is an error.
 * `scenario schema` publishes it as JSON Schema (z.toJSONSchema). Every field is documented in scenarios/README.md.
 * Every number is bounded to a physically sensible range and every string in length, so a mistyped value is
 * refused with a message instead of running for hours (or overflowing) in the optimizer.
 */
import { z } from 'zod';
import { ROLLING_FORECASTERS } from '../../domain/forecast/catalog.js';
import { DEFAULT_FORECASTER, DEFAULT_HORIZON_TO_PUBLISHED_DAM } from '../../domain/forecast/default.js';
import type { DayAheadConfig, NormalizedStrategy, PerfectForesightConfig, RollingConfig, ThresholdConfig } from '../../domain/replay/strategy-config.js';

/** The period a scenario may cover at most (about three years). */
export const MAX_SCENARIO_DAYS = 3 * 366;
/** Scenario instants must fall in these years (ERCOT's nodal market began in December 2010). */
export const SCENARIO_YEARS = { min: 2000, max: 2100 } as const;

const CONTROL_CHARS = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
/** A string of 1..max characters without control characters (tab and newlines allowed when multiline). */
const text = (max: number, min = 1) => z.string().min(min).max(max).regex(CONTROL_CHARS, 'control characters (e.g. NUL) are not allowed');
/** A path: no NUL, at most 4096 characters. */
const path = () => z.string().min(1).max(4096).regex(/^[^\u0000]*$/, 'a NUL character is not allowed in a path');
/** A number in [min, max]; both messages name the range and the unit. */
const bounded = (min: number, max: number, unit: string) =>
  z.number().min(min, `must be at least ${min} ${unit}`.trim()).max(max, `must be at most ${max} ${unit}`.trim());

const isoWithOffset = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, 'expected ISO 8601 with an offset or Z, e.g. 2024-08-01T00:00:00-05:00')
  .refine((s) => {
    const year = Number(s.slice(0, 4));
    return year >= SCENARIO_YEARS.min && year <= SCENARIO_YEARS.max;
  }, `the year must be between ${SCENARIO_YEARS.min} and ${SCENARIO_YEARS.max}`)
  .describe('ISO 8601 instant with an offset or Z');

export const priceSourceSchema = z
  .strictObject({
    file: z
      .union([path(), z.array(path()).min(1).max(400)])
      .describe('path relative to the scenario file, or a list of paths (e.g. one per month) read as one series'),
    format: z.enum(['ercot-rtm-yearly', 'ercot-api', 'csv']).describe('price file format (the same for every file)'),
    settlementPointType: text(16).optional().describe('ercot-api real-time files: keep only this type (e.g. LZ, not LZEW)'),
  })
  .describe('a price file');

const kwSource = z.union([
  z.strictObject({ constantKw: bounded(0, 10_000, 'kW').describe('constant power, kW (0–10,000)') }),
  z.strictObject({ file: path().describe('csv with interval_start,kw, relative to the scenario file'), format: z.literal('csv') }),
]);

const timeOfDay = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM (00:00–24:00)');
export const exportWindowSchema = z
  .strictObject({ from: timeOfDay.describe('local (America/Chicago) start, inclusive'), to: timeOfDay.describe('local end, exclusive; to < from wraps past midnight') })
  .describe('a local time-of-day window in which battery export is allowed');

export const batterySchema = z.strictObject({
  capacityKwh: bounded(0, 10_000, 'kWh').positive('must be more than 0 kWh').describe('usable capacity, kWh (0 < x ≤ 10,000)'),
  maxChargeKw: bounded(0, 10_000, 'kW').describe('AC charge power limit, kW (0–10,000)'),
  maxDischargeKw: bounded(0, 10_000, 'kW').describe('AC discharge power limit, kW (0–10,000)'),
  roundTripEfficiency: bounded(0.5, 1, '').describe('AC-to-AC round-trip efficiency, 0.5–1'),
  initialSocPercent: bounded(0, 100, '%').describe('state of charge at start, percent (0–100)'),
  minReservePercent: bounded(0, 100, '%').default(10).describe('site backup reserve, percent (0–100); the floor is max(10, this)'),
  degradationCostUsdPerKwh: bounded(0, 10, '$/kWh').default(0).describe('charged per kWh discharged (AC), $/kWh (0–10)'),
});

const strategyName = text(64).optional().describe('label in the report and CSV file name (1–64 characters)');
const perfectForesight = z.strictObject({ kind: z.literal('perfect-foresight'), name: strategyName });
const rolling = z.strictObject({
  kind: z.literal('rolling'),
  name: strategyName,
  horizonHours: z.number().int().min(24).max(168).default(24).describe('planning horizon, hours (≥ 24)'),
  horizonToPublishedDam: z.boolean().default(DEFAULT_HORIZON_TO_PUBLISHED_DAM).describe('extend the horizon to the end of the latest published DAM day when that is later (after 13:00 Central: all of tomorrow; at most 48 h)'),
  forecast: z.enum(ROLLING_FORECASTERS).default(DEFAULT_FORECASTER).describe('price forecaster (see docs/forecast.md); trainable ones learn from the history before the start'),
  biasHalfLifeHours: bounded(0.25, 168, 'h').optional().describe('dam-bias / dam-fade: how fast the recent RT−DAM error fades with lead time, hours (0.25–168; default 4 h / 12 h)'),
  biasWindowIntervals: z.number().int().min(1, 'must be at least 1 interval').max(672, 'must be at most 672 intervals (7 days)').default(4).describe('dam-bias: recent intervals averaged for the error (1–672)'),
  hurdleUsdPerKwh: bounded(0, 10, '$/kWh').default(0).describe('extra cost per kWh discharged, in planning only: a margin against forecast error ($/kWh, 0–10)'),
});
const dayAhead = z.strictObject({ kind: z.literal('day-ahead'), name: strategyName });
const threshold = z.strictObject({
  kind: z.literal('threshold'),
  name: strategyName,
  chargeBelowUsdPerMwh: bounded(-100_000, 100_000, '$/MWh').default(20).describe('charge at full power when the signal price is below this ($/MWh, ±100,000)'),
  dischargeAboveUsdPerMwh: bounded(-100_000, 100_000, '$/MWh').default(100).describe('discharge at full power when the signal price is above this ($/MWh, ±100,000)'),
  signal: z.enum(['last-real-time', 'day-ahead']).default('last-real-time').describe('the price the rule looks at'),
});

export const strategySchema = z.union([
  z.enum(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']),
  z.discriminatedUnion('kind', [perfectForesight, rolling, dayAhead, threshold]),
]);

export const scenarioSchema = z
  .strictObject({
    $schema: path().optional().describe('ignored; lets editors find the JSON Schema'),
    name: text(200).describe('shown in the report (1–200 characters, no control characters)'),
    description: z.string().max(10_000).regex(/^[^\u0000]*$/, 'a NUL character is not allowed').optional().describe('free text (at most 10,000 characters)'),
    start: isoWithOffset.describe('first instant (inclusive), on a 15-minute boundary'),
    end: isoWithOffset.describe('last instant (exclusive), on a 15-minute boundary'),
    settlementPoint: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'expected an ERCOT settlement point name (letters, digits, _ . -), e.g. HB_HOUSTON').describe('e.g. HB_HOUSTON'),
    prices: z.strictObject({ realTime: priceSourceSchema.describe('settlement prices (truth)'), dayAhead: priceSourceSchema.optional().describe('DAM hourly prices (forecast)') }),
    battery: batterySchema,
    site: z.strictObject({ load: kwSource.optional().describe('home load, default 0'), solar: kwSource.optional().describe('solar production, default 0') }).default({}),
    tariff: z
      .strictObject({
        importAdderUsdPerKwh: bounded(0, 10, '$/kWh').default(0).describe('added to price/1000 per imported kWh ($/kWh, 0–10): never negative, or importing would pay more than exporting earns'),
        exportFactor: bounded(0, 1, '').default(1).describe('export credit = price/1000 × factor (0–1): above 1 the site would earn by importing and exporting at once'),
        exportAllowed: z.union([z.boolean(), z.array(exportWindowSchema).min(1).max(48)]).default(true),
      })
      .default({ importAdderUsdPerKwh: 0, exportFactor: 1, exportAllowed: true }),
    maxCyclesPerDay: bounded(0, 100, 'cycles').positive('must be more than 0 cycles').optional().describe('cap on equivalent full cycles per ERCOT day, passed to the optimizer'),
    device: z
      .strictObject({
        baseMode: z.enum(['idle', 'self-consumption']).default('idle').describe('what the battery does between commands'),
      })
      .default({ baseMode: 'idle' }),
    strategies: z.array(strategySchema).min(1).max(20).default(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']),
  })
  .describe('An ercot-arb replay scenario');

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type StrategyConfig = z.infer<typeof strategySchema>;
export type { NormalizedStrategy };

/** The parsed strategy objects are exactly the domain's plain types (a compile error here when they drift apart). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<z.infer<typeof perfectForesight>, PerfectForesightConfig>,
  Same<z.infer<typeof rolling>, RollingConfig>,
  Same<z.infer<typeof dayAhead>, DayAheadConfig>,
  Same<z.infer<typeof threshold>, ThresholdConfig>,
] = [true, true, true, true];
void sameTypes;

/** Names become objects with their defaults. */
export function normalizeStrategy(s: StrategyConfig): NormalizedStrategy & { name: string } {
  const obj = typeof s === 'string' ? { kind: s } : s;
  const full = z.discriminatedUnion('kind', [perfectForesight, rolling, dayAhead, threshold]).parse(obj);
  return { ...full, name: full.name ?? full.kind };
}

export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' });
}
