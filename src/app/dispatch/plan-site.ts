/**
 * Plans one site for dispatch from the store: the freshest prices (real-time and day-ahead of the site's settlement
 * point, forecast with the replay's rolling forecaster as known at `nowMs`), the measured SoC stepped to the plan's
 * start through the commands committed on the channel, the home load and solar forecast from the site's telemetry,
 * the reconciler's calibration (round-trip efficiency, command latency), the site's limits and the channel's
 * capabilities (export allowed). The exact inputs are stored with the plan so `plans replay` re-solves it bit for bit.
 */
import type { BatterySpec } from '../../domain/battery/battery.js';
import { calibratedBattery } from '../../domain/reconcile/calibration.js';
import { InputError } from '../../domain/errors.js';
import type { Plan, PlanInput } from '../../domain/optimizer/plan-types.js';
import type { ChannelCapabilities } from '../../domain/ports/control-channel.js';
import { MAX_EXTENDED_HORIZON_INTERVALS, rollingHorizonIntervals, terminalValueUsdPerKwh } from '../../domain/replay/forecast.js';
import { DEFAULT_FORECASTER, DEFAULT_HORIZON_TO_PUBLISHED_DAM, isTrainable, KnownAt, namedForecaster, type RollingForecasterName } from '../../domain/forecast/index.js';
import { HOUR_MS, INTERVAL_HOURS, INTERVAL_MS, intervalCeil, MINUTE_MS } from '../../domain/time/interval.js';
import { kwhToPercent, percentToKwh } from '../../domain/battery/battery.js';
import { stepSocThroughCommands, type SteppedSpan } from '../../domain/dispatch/committed-soc.js';
import { forecastHomeLoad, type HomeLoadForecastInfo } from '../../domain/forecast/home-load.js';
import { committedCommands, loadSiteKnowledge, type SiteKnowledge } from './plan-knowledge.js';
import type { Executor } from '../../store/database.js';
import { getPrices, getPriceSeries } from '../../store/prices-repo.js';
import { getSystemForecastPoints } from '../../store/system-forecasts-repo.js';
import type { SystemForecastPoint } from '../../domain/forecast/known-at.js';
import { emptySeries, type PriceSeries } from '../../domain/prices/price-series.js';
import type { Site } from '../../store/sites-repo.js';

/** Price series per settlement point, shared by every site of one cycle (one read per point, not per site). */
export type CyclePriceCache = Map<string, Promise<{ realTime: PriceSeries; dayAhead: PriceSeries; systemForecasts?: SystemForecastPoint[]; forecasts?: Map<string, { pricesUsdPerMwh: Float64Array; fallbackIntervals: number }> }>>;

export interface PlanningOptions {
  /** Default 24. */
  horizonHours?: number;
  /** Default DEFAULT_FORECASTER (docs/forecast.md; falls back to persistence without day-ahead prices). */
  forecast?: RollingForecasterName;
  /**
   * Extend the horizon to the end of the latest DAM day stored and published by now when that is later (after
   * 13:00 Central: all of tomorrow, at most 48 h); the same rule as the replay's `horizonToPublishedDam`. Default
   * DEFAULT_HORIZON_TO_PUBLISHED_DAM (true).
   */
  horizonToPublishedDam?: boolean;
  /** The newest real-time price must be at most this old, unless day-ahead prices cover the horizon's start (default 24 h). */
  maxPriceAgeMs?: number;
  /** Least time between sending a command and its start (default 1 min; never below the channel's minLeadMs). */
  leadMs?: number;
}

export interface SerializedPlanInput {
  startMs: number;
  intervalHours: number;
  battery: BatterySpec;
  initialSocKwh: number;
  priceUsdPerMwh: number[];
  loadKw: number[];
  solarKw: number[];
  exportAllowed: number[];
  tariff: PlanInput['tariff'];
  terminal: PlanInput['terminal'];
  maxCyclesPerDay?: number;
  dischargedTodayKwh?: number;
}

/** What is stored in plans.inputs: everything the plan was made from. */
export interface DispatchPlanInputs {
  format: 'dispatch-plan-v1';
  planInput: SerializedPlanInput;
  /** The measured SoC (telemetry) the plan rests on. */
  socAnchor: { socPercent: number; asOfMs: number };
  /** That measurement stepped to the plan's start through the committed commands (planInput.initialSocKwh). Absent in plans made before it. */
  anchor?: PlanAnchor;
  /** How the home load and solar series in planInput were forecast. Absent in plans made before it (they were 0). */
  homeLoad?: HomeLoadForecastInfo;
  /** The reconciler's measured command latency and what it changed. Absent in plans made before it. */
  commandLatency?: CommandLatencyUse;
  decisionMs: number;
  forecast: { method: RollingForecasterName; fallbackIntervals: number };
  capabilities: ChannelCapabilities;
  limits: { siteReservePercent: number; batteryMinReservePercent: number };
  solver: string;
}

export interface PlanAnchor {
  measuredSocPercent: number;
  measuredAtMs: number;
  /** The plan's start: the SoC was stepped from measuredAtMs to here. */
  steppedToMs: number;
  steppedSocKwh: number;
  steppedSocPercent: number;
  /** Each span a committed command acted on the battery between the measurement and the plan's start. */
  spans: SteppedSpan[];
}

export interface CommandLatencyUse {
  /** The reconciler's measured latency (median over command starts), null until measured. */
  measuredMs: number | null;
  samples: number;
  /** Whole minutes: commands start this much before the interval they are planned for; committed commands act this much late. */
  shiftMs: number;
  leadMs: number;
  /** The plan's first interval: intervalCeil(decision + shift), the first a command started now can fully act on. */
  firstIntervalMs: number;
}

/** The measured latency rounded up to whole minutes (a VPP event starts on a minute). */
export function commandShiftMs(latencyMs: number | null | undefined): number {
  return latencyMs && latencyMs > 0 ? Math.ceil(latencyMs / MINUTE_MS) * MINUTE_MS : 0;
}

export interface PlanOutputs {
  status: Plan['status'];
  notes: string[];
  solver: string;
  objectiveUsd: number;
  chargeKw: number[];
  dischargeKw: number[];
  gridImportKw: number[];
  gridExportKw: number[];
  socKwh: number[];
}

export class NoPrices extends InputError {
  constructor(settlementPoint: string, detail: string) {
    super(`no usable prices for settlement point ${settlementPoint}: ${detail}`);
    this.name = 'NoPrices';
  }
}

export function serializePlanInput(i: PlanInput): SerializedPlanInput {
  const out: SerializedPlanInput = {
    startMs: i.startMs,
    intervalHours: i.intervalHours,
    battery: { ...i.battery },
    initialSocKwh: i.initialSocKwh,
    priceUsdPerMwh: Array.from(i.priceUsdPerMwh),
    loadKw: Array.from(i.loadKw),
    solarKw: Array.from(i.solarKw),
    exportAllowed: Array.from(i.exportAllowed),
    tariff: i.tariff,
    terminal: i.terminal,
  };
  if (i.maxCyclesPerDay !== undefined) out.maxCyclesPerDay = i.maxCyclesPerDay;
  if (i.dischargedTodayKwh !== undefined) out.dischargedTodayKwh = i.dischargedTodayKwh;
  return out;
}

export function deserializePlanInput(s: SerializedPlanInput): PlanInput {
  return {
    ...s,
    battery: { ...s.battery },
    priceUsdPerMwh: Float64Array.from(s.priceUsdPerMwh),
    loadKw: Float64Array.from(s.loadKw),
    solarKw: Float64Array.from(s.solarKw),
    exportAllowed: Uint8Array.from(s.exportAllowed),
  };
}

export function planOutputs(p: Plan): PlanOutputs {
  return {
    status: p.status,
    notes: p.notes,
    solver: p.solver,
    objectiveUsd: p.objectiveUsd,
    chargeKw: Array.from(p.chargeKw),
    dischargeKw: Array.from(p.dischargeKw),
    gridImportKw: Array.from(p.gridImportKw),
    gridExportKw: Array.from(p.gridExportKw),
    socKwh: Array.from(p.socKwh),
  };
}

/**
 * What the plan row's `outputs` JSON holds for a new plan: the per-interval arrays are not repeated there, they are
 * the row's array columns (migration 0011: charge_kw, discharge_kw, grid_import_kw, grid_export_kw, soc_kwh_end, each
 * element the exact double); `socKwh0` is the one value they lack. `getPlanInputsOutputs` puts the arrays back, so a
 * replay compares the same values as before (plans stored before carry their arrays in the JSON and read as stored).
 * Saves writing ~580 numbers twice per plan (the fleet stores one per site and slot).
 */
export function storedPlanOutputs(p: Plan): Omit<PlanOutputs, 'chargeKw' | 'dischargeKw' | 'gridImportKw' | 'gridExportKw' | 'socKwh'> & { socKwh0: number; intervals: 'plan-columns' } {
  return { status: p.status, notes: p.notes, solver: p.solver, objectiveUsd: p.objectiveUsd, socKwh0: p.socKwh[0]!, intervals: 'plan-columns' };
}

/** The battery the planner sees: the site's reserve is a floor too. */
export function siteBattery(site: Site): BatterySpec {
  return { ...site.battery, minReservePercent: Math.max(site.battery.minReservePercent ?? 0, site.reservePercent) };
}

export async function buildPlanInput(
  db: Executor,
  site: Site,
  capabilities: ChannelCapabilities,
  soc: { socPercent: number; asOfMs: number },
  nowMs: number,
  solver: string,
  options: PlanningOptions = {},
  cache?: CyclePriceCache,
  known: Partial<SiteKnowledge> = {},
): Promise<{ input: PlanInput; stored: DispatchPlanInputs }> {
  const knowledge = await loadSiteKnowledge(db, site.siteId, soc.asOfMs, nowMs, known);
  const baseIntervals = Math.round((options.horizonHours ?? 24) * 4);
  const toDam = options.horizonToPublishedDam ?? DEFAULT_HORIZON_TO_PUBLISHED_DAM;
  // The first interval a command started now can act on in full: the battery follows it the measured latency late.
  // (The lead is left to decide as before: a window whose lead has passed starts at the first whole minute it can.)
  const leadMs = Math.max(options.leadMs ?? MINUTE_MS, capabilities.minLeadMs);
  const shiftMs = commandShiftMs(knowledge.calibration?.commandLatencyMs);
  const startMs = intervalCeil(nowMs + shiftMs);
  const historyMs = startMs - 31 * 24 * HOUR_MS; // trainable forecasters learn from the last 30 days
  // prices are read for the longest horizon the plan may take; the horizon itself follows from what they show
  const endMs = startMs + (toDam ? Math.max(baseIntervals, MAX_EXTENDED_HORIZON_INTERVALS) : baseIntervals) * INTERVAL_MS;
  const key = `${site.settlementPoint}/${startMs}/${endMs}`;
  let pending = cache?.get(key);
  if (!pending) {
    pending = (async () => ({
      realTime: await getPriceSeries(db, { market: 'rt15', settlementPoint: site.settlementPoint, startMs: historyMs, endMs: startMs }),
      dayAhead: await dayAheadSeries(db, site.settlementPoint, historyMs, endMs),
      // ERCOT's load/wind/solar forecasts for the horizon (and the day before), every posting up to now (docs/forecast.md)
      systemForecasts: await getSystemForecastPoints(db, { fromMs: startMs - 24 * HOUR_MS, toMs: endMs, postedUpToMs: nowMs }),
    }))();
    cache?.set(key, pending);
  }
  const cached = await pending;
  const { realTime, dayAhead, systemForecasts } = cached;
  checkPrices(site.settlementPoint, realTime.pricesUsdPerMwh, dayAhead.pricesUsdPerMwh, (startMs - historyMs) / INTERVAL_MS, options.maxPriceAgeMs ?? 24 * HOUR_MS);
  const hasDam = dayAhead.pricesUsdPerMwh.some((v) => !Number.isNaN(v));
  const method: RollingForecasterName = hasDam ? (options.forecast ?? DEFAULT_FORECASTER) : 'persistence';
  const history = { realTime, dayAhead: hasDam ? dayAhead : null, systemForecasts };
  const n = rollingHorizonIntervals(new KnownAt(history, nowMs), startMs, baseIntervals, toDam);
  // The forecast depends on the point's prices, the method and the instant only: made once per cycle and point
  // (training a forecaster on 30 days for every site was most of the plan stage's CPU and garbage).
  const forecastKey = `${method}/${nowMs}/${startMs}/${n}`;
  let forecast = cached.forecasts?.get(forecastKey);
  if (!forecast) {
    const forecaster = namedForecaster(method);
    if (isTrainable(forecaster)) forecaster.train(new KnownAt(history, nowMs));
    forecast = forecaster.forecast(new KnownAt(history, nowMs), startMs, n);
    if (cache) (cached.forecasts ??= new Map()).set(forecastKey, forecast);
  }
  const prices = Float64Array.from(forecast.pricesUsdPerMwh);
  // The reconciler's measured round-trip efficiency, once it rests on enough throughput (docs/reconcile.md).
  const battery = calibratedBattery(siteBattery(site), knowledge.calibration);
  // The measured SoC stepped to the plan's start through what is committed on the channel (telemetry lags).
  const measuredKwh = Math.min(battery.capacityKwh, Math.max(0, percentToKwh(battery, soc.socPercent)));
  const stepped = stepSocThroughCommands(battery, measuredKwh, soc.asOfMs, startMs, committedCommands(knowledge.commands), shiftMs);
  const initialSocKwh = stepped.socKwh;
  const home = forecastHomeLoad(knowledge.homeHistory, startMs, n);
  const tariff = site.tariff ?? { importAdderUsdPerKwh: 0, exportFactor: 1 };
  const input: PlanInput = {
    startMs,
    intervalHours: INTERVAL_HOURS,
    battery,
    initialSocKwh,
    priceUsdPerMwh: prices,
    loadKw: home.loadKw,
    solarKw: home.solarKw,
    exportAllowed: new Uint8Array(n).fill(capabilities.exportAllowed ? 1 : 0),
    tariff,
    terminal: { kind: 'value', usdPerKwh: terminalValueUsdPerKwh(prices, battery.roundTripEfficiency, battery.degradationCostUsdPerKwh) },
  };
  const stored: DispatchPlanInputs = {
    format: 'dispatch-plan-v1',
    planInput: serializePlanInput(input),
    socAnchor: soc,
    anchor: {
      measuredSocPercent: soc.socPercent,
      measuredAtMs: soc.asOfMs,
      steppedToMs: startMs,
      steppedSocKwh: initialSocKwh,
      steppedSocPercent: kwhToPercent(battery, initialSocKwh),
      spans: stepped.spans,
    },
    homeLoad: home.info,
    commandLatency: {
      measuredMs: knowledge.calibration?.commandLatencyMs ?? null,
      samples: knowledge.calibration?.latencySamples ?? 0,
      shiftMs,
      leadMs,
      firstIntervalMs: startMs,
    },
    decisionMs: nowMs,
    forecast: { method, fallbackIntervals: forecast.fallbackIntervals },
    capabilities,
    limits: { siteReservePercent: site.reservePercent, batteryMinReservePercent: site.battery.minReservePercent },
    solver,
  };
  return { input, stored };
}

function checkPrices(point: string, realTime: Float64Array, dayAhead: Float64Array, historyIntervals: number, maxAgeMs: number): void {
  let lastRt = -1;
  for (let i = realTime.length - 1; i >= 0; i--) if (!Number.isNaN(realTime[i])) {
    lastRt = i;
    break;
  }
  const rtFresh = lastRt >= 0 && (realTime.length - lastRt) * INTERVAL_MS <= maxAgeMs;
  const damNow = !Number.isNaN(dayAhead[historyIntervals]);
  if (!rtFresh && !damNow) {
    throw new NoPrices(point, lastRt < 0 ? 'no real-time prices in the last 31 days and no day-ahead price for the next interval' : `newest real-time price is ${(((realTime.length - lastRt) * INTERVAL_MS) / HOUR_MS).toFixed(1)} h old and no day-ahead price covers the next interval`);
  }
}

/** Day-ahead prices as a 15-minute series: an hourly DAM price covers its four intervals. */
export async function dayAheadSeries(db: Executor, settlementPoint: string, startMs: number, endMs: number): Promise<PriceSeries> {
  const series = emptySeries(startMs, endMs);
  for (const p of await getPrices(db, { market: 'dam', settlementPoint, startMs, endMs })) {
    const span = Math.max(1, Math.round(p.intervalMinutes / 15));
    for (let k = 0; k < span; k++) {
      const i = (p.intervalStartMs - startMs) / INTERVAL_MS + k;
      if (i >= 0 && i < series.pricesUsdPerMwh.length) series.pricesUsdPerMwh[i] = p.priceUsdPerMwh;
    }
  }
  return series;
}
