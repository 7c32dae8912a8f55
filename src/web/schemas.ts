/**
 * The JSON twins of the review pages (`/api/...`): each page's data, validated against these schemas before it is
 * sent (and in the tests). Instants are UTC epoch milliseconds; money in US dollars; energy kWh; power kW.
 */
import { z } from 'zod';

const ms = z.number().int();
const nullableMs = ms.nullable();
const usd = z.number();

export const fleetQuerySchema = z.object({
  sort: z.enum(['site', 'channel', 'mode', 'status', 'soc', 'socAge', 'expected', 'realised', 'next', 'alerts']).default('site'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  q: z.string().trim().max(100).default(''),
  mode: z.enum(['', 'auto', 'review']).default(''),
  status: z.enum(['', 'idle', 'dispatching', 'awaiting_approval', 'standing_aside', 'paused_manual_change', 'needs_reauth', 'held']).default(''),
  alerts: z.enum(['', 'only']).default(''),
});
export type FleetQuery = z.infer<typeof fleetQuerySchema>;

export const fleetSiteSchema = z.object({
  siteId: z.string(),
  name: z.string(),
  channel: z.string(),
  mode: z.enum(['auto', 'review']),
  modeIsFleetDefault: z.boolean(),
  held: z.boolean(),
  status: z.string(),
  reason: z.string().nullable(),
  socPercent: z.number().nullable(),
  socAsOfMs: nullableMs,
  expectedTodayUsd: usd.nullable(),
  realisedTodayUsd: usd.nullable(),
  latestPlanVersion: z.number().int().nullable(),
  nextCommand: z.object({ mode: z.string(), state: z.string(), startMs: ms, endMs: ms, powerKw: z.number().nullable() }).nullable(),
  alerts: z.array(z.string()),
});
export type FleetSite = z.infer<typeof fleetSiteSchema>;

export const fleetSchema = z.object({
  nowMs: ms,
  date: z.string(),
  fleetMode: z.enum(['auto', 'review']),
  query: fleetQuerySchema,
  total: z.number().int(),
  sites: z.array(fleetSiteSchema),
});
export type FleetView = z.infer<typeof fleetSchema>;

export const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD');

export const dayPlanQuerySchema = z.object({
  date: dateParam.optional(),
  version: z.coerce.number().int().positive().optional(),
});

export const windowSchema = z.object({ mode: z.string(), powerKw: z.number(), targetReservePercent: z.number(), startMs: ms, endMs: ms, reason: z.string() });

export const dayIntervalSchema = z.object({
  startMs: ms,
  time: z.string(),
  rtUsdPerMwh: z.number().nullable(),
  daUsdPerMwh: z.number().nullable(),
  forecastUsdPerMwh: z.number().nullable(),
  chargeKw: z.number().nullable(),
  dischargeKw: z.number().nullable(),
  socKwh: z.number().nullable(),
  socPercent: z.number().nullable(),
  expectedUsd: z.number().nullable(),
  planVersion: z.number().int().nullable(),
  reason: z.string().nullable(),
});

export const commandViewSchema = z.object({
  commandId: z.string(),
  mode: z.string(),
  state: z.string(),
  startMs: ms,
  endMs: ms,
  powerKw: z.number().nullable(),
  targetReservePercent: z.number().nullable(),
  planVersion: z.number().int().nullable(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  override: z.string().nullable(),
});

export const changesSchema = z.object({
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  added: z.array(windowSchema),
  dropped: z.array(windowSchema),
  moved: z.array(z.object({ before: windowSchema, after: windowSchema })),
  valueGainedUsd: z.number().nullable(),
  why: z.array(z.string()),
});

export const dayPlanSchema = z.object({
  siteId: z.string(),
  siteName: z.string(),
  date: z.string(),
  hours: z.number().int(),
  intervalCount: z.number().int(),
  nowMs: ms,
  mode: z.enum(['auto', 'review']),
  held: z.boolean(),
  status: z.string(),
  reason: z.string().nullable(),
  plan: z.object({ planId: z.string(), planVersion: z.number().int(), createdAtMs: ms, solver: z.string(), objectiveUsd: z.number().nullable(), approved: z.boolean(), verified: z.boolean() }).nullable(),
  capacityKwh: z.number(),
  reserveFloorKwh: z.number(),
  headline: z.object({ expectedUsd: z.number(), chargedKwh: z.number(), dischargedKwh: z.number(), cycles: z.number(), fullAtMs: nullableMs, emptyAtMs: nullableMs }),
  intervals: z.array(dayIntervalSchema),
  windows: z.array(windowSchema),
  commands: z.array(commandViewSchema),
  overrides: z.array(z.object({ windowStartMs: ms, windowEndMs: ms, mode: z.enum(['idle', 'charge', 'discharge']), powerKw: z.number().positive().nullable(), setBy: z.string(), setAtMs: ms })),
  changes: changesSchema.nullable(),
  actions: z.array(z.object({ action: z.string(), planVersion: z.number().int().nullable(), detail: z.string().nullable(), actedBy: z.string(), actedAtMs: ms })),
});
export type DayPlanView = z.infer<typeof dayPlanSchema>;
export type DayInterval = z.infer<typeof dayIntervalSchema>;
export type WindowView = z.infer<typeof windowSchema>;
export type ChangesView = z.infer<typeof changesSchema>;

export const reconciliationSchema = z.object({
  siteId: z.string(),
  date: z.string(),
  source: z.enum(['reconciliations', 'plans-and-commands']),
  note: z.string(),
  expectedUsd: z.number(),
  realisedUsd: z.number().nullable(),
  intervals: z.array(z.object({
    startMs: ms,
    time: z.string(),
    plannedChargeKwh: z.number().nullable(),
    actualChargeKwh: z.number().nullable(),
    plannedDischargeKwh: z.number().nullable(),
    actualDischargeKwh: z.number().nullable(),
    plannedSocPercent: z.number().nullable(),
    actualSocPercent: z.number().nullable(),
    plannedUsd: z.number().nullable(),
    realisedUsd: z.number().nullable(),
    /** The reconciler's verdict on the command in force (effective, overridden, not_yet_known, …); null without one. */
    commandOutcome: z.string().nullable(),
  })),
  commands: z.array(commandViewSchema),
});
export type ReconciliationView = z.infer<typeof reconciliationSchema>;

export const strategyViewSchema = z.object({
  replayRunId: z.string(),
  strategy: z.string(),
  kind: z.string().nullable(),
  netValueUsd: z.number().nullable(),
  captureRate: z.number().nullable(),
  chargedKwh: z.number().nullable(),
  dischargedKwh: z.number().nullable(),
  cycles: z.number().nullable(),
  commands: z.number().nullable(),
  violations: z.number().int(),
  cumulativeValueUsd: z.array(z.object({ atMs: ms, valueUsd: z.number() })).nullable(),
});

export const replayRunSchema = z.object({
  runId: z.string(),
  scenario: z.string(),
  scenarioHash: z.string(),
  createdAtMs: ms,
  start: z.string().nullable(),
  end: z.string().nullable(),
  settlementPoint: z.string().nullable(),
  baselineCostUsd: z.number().nullable(),
  strategies: z.array(strategyViewSchema),
});
export type ReplayRunView = z.infer<typeof replayRunSchema>;

export const replayListSchema = z.object({ runs: z.array(replayRunSchema.omit({ strategies: true }).extend({ strategies: z.array(z.string()) })) });
export type ReplayListView = z.infer<typeof replayListSchema>;
