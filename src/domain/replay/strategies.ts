/**
 * The replay strategies. Each decides with what it would have known, sends commands to the device simulator, and
 * records what the simulated battery really did; settlement happens afterwards (settle.ts) at real-time prices.
 */
import { kwhToPercent, nextSocKwh, reserveFloorPercent, socCoefficients } from '../battery/battery.js';
import { commandWindows, windowsFromSchedule, type CommandWindow, type ScheduleInterval } from '../dispatch/command-windows.js';
import type { Plan, PlanInput } from '../optimizer/plan-types.js';
import { DeviceSimulator, type SimulatedInterval, type Violation } from '../simulator/device-simulator.js';
import { ercotDateOf, ercotDay } from '../time/ercot-calendar.js';
import { INTERVAL_HOURS, INTERVAL_MS, MINUTE_MS } from '../time/interval.js';
import { cyclesCapViolations, dailyDischargeCapKwh, DailyDischarge, CYCLES_CAP_TOLERANCE_KWH } from './cycles-cap.js';
import { KnownAt, type MarketHistory } from '../forecast/known-at.js';
import { lastSettledPrice } from '../forecast/dam-curve.js';
import { damForecaster, persistenceForecaster } from '../forecast/simple-forecasters.js';
import { isTrainable, namedForecaster } from '../forecast/catalog.js';
import type { Forecaster } from '../ports/forecaster.js';
import { rollingHorizonIntervals, terminalValueUsdPerKwh } from './forecast.js';
import type { Planner } from '../ports/planner.js';
import { planInputFor, type ReplayData } from './replay-data.js';
import type { DayAheadConfig, NormalizedStrategy, RollingConfig, ThresholdConfig } from './strategy-config.js';

export interface StrategyRun {
  name: string;
  kind: NormalizedStrategy['kind'];
  intervals: SimulatedInterval[];
  /** The price each interval was decided with (forecast or signal), $/MWh. */
  decisionPriceUsdPerMwh: Float64Array;
  commands: number;
  violations: Violation[];
  /** Optimizer time per solve (build + solve + verify), ms. */
  solveMs: number[];
  notes: string[];
  /** perfect-foresight: the LP's objective over the whole period. */
  planObjectiveUsd?: number;
}

export type ProgressFn = (doneIntervals: number) => void;

const DECISION_LEAD_MS = MINUTE_MS;

function newRun(strategy: NormalizedStrategy & { name: string }, data: ReplayData): StrategyRun {
  return { name: strategy.name, kind: strategy.kind, intervals: [], decisionPriceUsdPerMwh: new Float64Array(data.n), commands: 0, violations: [], solveMs: [], notes: [] };
}

function simulator(data: ReplayData): DeviceSimulator {
  return new DeviceSimulator({ battery: data.battery, startMs: data.startMs, initialSocKwh: data.initialSocKwh, baseMode: data.baseMode });
}

function stepTo(data: ReplayData, sim: DeviceSimulator, run: StrategyRun, untilIndex: number, progress?: ProgressFn, daily?: DailyDischarge): void {
  while (run.intervals.length < untilIndex) {
    const i = run.intervals.length;
    const simulated = sim.step({ loadKw: data.loadKw[i], solarKw: data.solarKw[i], exportAllowed: data.exportAllowed[i] === 1 });
    run.intervals.push(simulated);
    daily?.add(simulated);
    if (progress && (i & 31) === 0) progress(i);
  }
}

/** With a cycles cap, a plan starting at startMs is told what the battery already discharged that ERCOT day. */
function withDischargedToday(data: ReplayData, input: PlanInput, daily: DailyDischarge): PlanInput {
  if (data.maxCyclesPerDay !== undefined) input.dischargedTodayKwh = daily.beforeKwh(input.startMs);
  return input;
}

function send(sim: DeviceSimulator, run: StrategyRun, windows: CommandWindow[]): void {
  for (const w of windows) sim.send(w);
  run.commands += windows.length;
}

function planned(run: StrategyRun, plan: Plan): Plan {
  run.solveMs.push(plan.timing.buildMs + plan.timing.solveMs + plan.timing.verifyMs);
  if (plan.status !== 'optimal' && run.notes.length < 20) run.notes.push(`a plan had status ${plan.status}: ${plan.notes.join('; ')}`);
  return plan;
}

/** One plan over the whole period from the real-time prices; final SoC ≥ initial, leftover energy worth nothing. */
export function runPerfectForesight(data: ReplayData, planner: Planner, strategy: NormalizedStrategy & { name: string }, progress?: ProgressFn): StrategyRun {
  const run = newRun(strategy, data);
  const prices = data.realTime.pricesUsdPerMwh.subarray((data.startMs - data.realTime.startMs) / INTERVAL_MS, (data.endMs - data.realTime.startMs) / INTERVAL_MS);
  run.decisionPriceUsdPerMwh.set(prices);
  const plan = planned(run, planner.plan(planInputFor(data, 0, data.n, Float64Array.from(prices), data.initialSocKwh, { kind: 'atLeastInitial' })));
  run.planObjectiveUsd = plan.objectiveUsd;
  const sim = simulator(data);
  send(sim, run, commandWindows(plan, { startMs: data.startMs, battery: data.battery }));
  stepTo(data, sim, run, data.n, progress);
  run.violations.push(...sim.violations);
  return run;
}

/** What the forecasters may see: the replay's prices, cut at each decision by KnownAt. */
export function marketHistory(data: ReplayData): MarketHistory {
  return { realTime: data.realTime, dayAhead: data.dayAhead };
}

/** The rolling strategy's forecaster: one given with the strategy (walk-forward evaluation), else by name. */
function rollingForecaster(data: ReplayData, strategy: RollingConfig & { forecaster?: Forecaster }, run: StrategyRun): Forecaster {
  if (strategy.forecaster) return strategy.forecaster;
  if (!data.dayAhead && strategy.forecast !== 'persistence') {
    run.notes.push('no day-ahead prices in the scenario: forecast falls back to persistence (real-time price of the same interval a day earlier)');
    return persistenceForecaster();
  }
  const f = namedForecaster(strategy.forecast, { biasHalfLifeHours: strategy.biasHalfLifeHours, biasWindowIntervals: strategy.biasWindowIntervals });
  if (isTrainable(f)) {
    // trained on what was known when the replay starts (the scenario's history before its start)
    const summary = f.train(new KnownAt(marketHistory(data), data.startMs));
    run.notes.push(`forecaster ${f.name} trained on ${summary.rows} sample(s) known before the start`);
  }
  return f;
}

/**
 * Re-plans every 15 minutes over the horizon (cut at the replay's end) with a forecast; executes only the first
 * interval of each plan.
 */
export function runRolling(data: ReplayData, planner: Planner, strategy: RollingConfig & { name: string; forecaster?: Forecaster }, progress?: ProgressFn): StrategyRun {
  const run = newRun(strategy, data);
  const forecaster = rollingForecaster(data, strategy, run);
  const history = marketHistory(data);
  const horizon = Math.round(strategy.horizonHours * 4);
  const sim = simulator(data);
  const daily = new DailyDischarge();
  let fallbackIntervals = 0;
  for (let t = 0; t < data.n; t++) {
    const startMs = data.startMs + t * INTERVAL_MS;
    const known = new KnownAt(history, startMs - DECISION_LEAD_MS);
    const count = Math.min(rollingHorizonIntervals(known, startMs, horizon, strategy.horizonToPublishedDam), data.n - t);
    const forecast = forecaster.forecast(known, startMs, count);
    fallbackIntervals += forecast.fallbackIntervals;
    const prices = forecast.pricesUsdPerMwh;
    run.decisionPriceUsdPerMwh[t] = prices[0];
    const terminal = { kind: 'value' as const, usdPerKwh: terminalValueUsdPerKwh(prices, data.battery.roundTripEfficiency, data.battery.degradationCostUsdPerKwh) };
    const input = withDischargedToday(data, planInputFor(data, t, count, prices, sim.socNowKwh, terminal), daily);
    if (strategy.hurdleUsdPerKwh > 0) input.battery = { ...data.battery, degradationCostUsdPerKwh: data.battery.degradationCostUsdPerKwh + strategy.hurdleUsdPerKwh };
    const plan = planned(run, planner.plan(input));
    const first = { chargeKw: plan.chargeKw.subarray(0, 1), dischargeKw: plan.dischargeKw.subarray(0, 1), socKwh: plan.socKwh.subarray(0, 2) };
    send(sim, run, commandWindows(first, { startMs, battery: data.battery }));
    stepTo(data, sim, run, t + 1, progress, daily);
  }
  if (fallbackIntervals > 0 && data.dayAhead) run.notes.push(`${fallbackIntervals} forecast interval(s) had no published day-ahead price and used persistence`);
  run.violations.push(...sim.violations);
  return run;
}

/** One plan per ERCOT day from the day-ahead prices (published the day before), executed as is. */
export function runDayAhead(data: ReplayData, planner: Planner, strategy: DayAheadConfig & { name: string }, progress?: ProgressFn): StrategyRun {
  const run = newRun(strategy, data);
  if (!data.dayAhead) run.notes.push('no day-ahead prices in the scenario: each day is planned on persistence (yesterday\'s real-time prices)');
  const forecaster = data.dayAhead ? damForecaster() : persistenceForecaster();
  const history = marketHistory(data);
  const sim = simulator(data);
  const daily = new DailyDischarge();
  let fallbackIntervals = 0;
  let t = 0;
  while (t < data.n) {
    const startMs = data.startMs + t * INTERVAL_MS;
    const dayEnd = Math.min(ercotDay(ercotDateOf(startMs)).endMs, data.endMs);
    const count = (dayEnd - startMs) / INTERVAL_MS;
    const decisionMs = startMs - DECISION_LEAD_MS;
    const made = forecaster.forecast(new KnownAt(history, decisionMs), startMs, count);
    fallbackIntervals += made.fallbackIntervals;
    const forecast = made.pricesUsdPerMwh;
    run.decisionPriceUsdPerMwh.set(forecast, t);
    const terminal = { kind: 'value' as const, usdPerKwh: terminalValueUsdPerKwh(forecast, data.battery.roundTripEfficiency, data.battery.degradationCostUsdPerKwh) };
    // plans start at an ERCOT midnight (or at the replay's start), so the day's earlier discharge is normally 0
    const plan = planned(run, planner.plan(withDischargedToday(data, planInputFor(data, t, count, forecast, sim.socNowKwh, terminal), daily)));
    send(sim, run, commandWindows(plan, { startMs, battery: data.battery, sendAllAtMs: decisionMs }));
    stepTo(data, sim, run, t + count, progress, daily);
    t += count;
  }
  if (fallbackIntervals > 0 && data.dayAhead) run.notes.push(`${fallbackIntervals} interval(s) had no day-ahead price and used persistence`);
  run.violations.push(...sim.violations);
  return run;
}

/** A fixed rule: full-power charge below X $/MWh, full-power discharge above Y, on a price known at decision time. */
export function runThreshold(data: ReplayData, strategy: ThresholdConfig & { name: string }, progress?: ProgressFn): StrategyRun {
  const run = newRun(strategy, data);
  const useDam = strategy.signal === 'day-ahead' && data.dayAhead !== null;
  if (strategy.signal === 'day-ahead' && !data.dayAhead) run.notes.push('no day-ahead prices in the scenario: the rule looks at the last settled real-time price');
  const history = marketHistory(data);
  const schedule: ScheduleInterval[] = [];
  for (let t = 0; t < data.n; t++) {
    const startMs = data.startMs + t * INTERVAL_MS;
    const decisionMs = startMs - DECISION_LEAD_MS;
    const known = new KnownAt(history, decisionMs);
    let signal = useDam ? known.dayAheadUsdPerMwh(startMs) : NaN;
    if (Number.isNaN(signal)) signal = lastSettledPrice(known);
    run.decisionPriceUsdPerMwh[t] = signal;
    if (signal < strategy.chargeBelowUsdPerMwh) schedule.push({ mode: 'charge', powerKw: data.battery.maxChargeKw });
    else if (signal > strategy.dischargeAboveUsdPerMwh) schedule.push({ mode: 'discharge', powerKw: data.battery.maxDischargeKw });
    else schedule.push({ mode: 'idle', powerKw: 0 });
  }
  const floor = reserveFloorPercent(data.battery);
  const sim = simulator(data);
  if (data.maxCyclesPerDay === undefined) {
    send(sim, run, windowsFromSchedule(schedule, (_end, mode) => (mode === 'charge' ? 100 : floor), { startMs: data.startMs, battery: data.battery }));
    stepTo(data, sim, run, data.n, progress);
  } else {
    // With a cycles cap the rule is applied one interval at a time: a discharge command's target reserve is set so
    // that it stops when the ERCOT day's allowance is used up (the simulator reverts on target), and once nothing
    // is left the rule stays idle until the next ERCOT day.
    const capKwh = dailyDischargeCapKwh(data.battery, data.maxCyclesPerDay);
    const k = socCoefficients(data.battery, INTERVAL_HOURS);
    const daily = new DailyDischarge();
    for (let t = 0; t < data.n; t++) {
      const startMs = data.startMs + t * INTERVAL_MS;
      let entry = schedule[t];
      let dischargeTarget = floor;
      if (entry.mode === 'discharge') {
        const leftKwh = capKwh - daily.beforeKwh(startMs);
        if (leftKwh <= CYCLES_CAP_TOLERANCE_KWH) entry = { mode: 'idle', powerKw: 0 };
        else dischargeTarget = Math.max(floor, kwhToPercent(data.battery, nextSocKwh(sim.socNowKwh, 0, leftKwh / INTERVAL_HOURS, k)));
      }
      send(sim, run, windowsFromSchedule([entry], (_end, mode) => (mode === 'charge' ? 100 : dischargeTarget), { startMs, battery: data.battery }));
      stepTo(data, sim, run, t + 1, progress, daily);
    }
  }
  run.violations.push(...sim.violations);
  return run;
}

function dispatchStrategy(data: ReplayData, planner: Planner, strategy: NormalizedStrategy & { name: string }, progress?: ProgressFn): StrategyRun {
  switch (strategy.kind) {
    case 'perfect-foresight':
      return runPerfectForesight(data, planner, strategy, progress);
    case 'rolling':
      return runRolling(data, planner, strategy, progress);
    case 'day-ahead':
      return runDayAhead(data, planner, strategy, progress);
    case 'threshold':
      return runThreshold(data, strategy, progress);
  }
}

/** Runs one strategy; with a cycles cap, every ERCOT day whose simulated discharge exceeds it is a violation. */
export function runStrategy(data: ReplayData, planner: Planner, strategy: NormalizedStrategy & { name: string }, progress?: ProgressFn): StrategyRun {
  const run = dispatchStrategy(data, planner, strategy, progress);
  run.violations.push(...cyclesCapViolations(data.battery, data.maxCyclesPerDay, run.intervals));
  return run;
}

