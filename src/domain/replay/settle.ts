/** Settles a simulated run at real-time prices: the site's cost with and without the battery, per interval. */
import { equivalentCycles, kwhToPercent } from '../battery/battery.js';
import { degradationUsd, gridFlowsKw, siteCostUsd } from '../economics/site-cost.js';
import { INTERVAL_HOURS, INTERVAL_MS } from '../time/interval.js';
import type { ReplayData } from './replay-data.js';
import type { StrategyRun } from './strategies.js';
import { terminalValueUsd, type TerminalRule } from './terminal-value.js';

export interface SettledInterval {
  startMs: number;
  priceUsdPerMwh: number;
  decisionPriceUsdPerMwh: number;
  loadKw: number;
  solarKw: number;
  chargeKw: number;
  dischargeKw: number;
  gridImportKw: number;
  gridExportKw: number;
  socEndKwh: number;
  baselineCostUsd: number;
  costUsd: number;
  degradationUsd: number;
}

export interface Settlement {
  baselineCostUsd: number;
  costUsd: number;
  grossValueUsd: number;
  degradationCostUsd: number;
  netValueUsd: number;
  /** Value of the energy left at the end vs the initial SoC (terminal-value.ts), the same rule for every strategy. */
  terminalValueUsd: number;
  /** netValueUsd + terminalValueUsd: what capture rates compare. */
  adjustedNetValueUsd: number;
  finalSocKwh: number;
  chargedKwh: number;
  dischargedKwh: number;
  cycles: number;
  finalSocPercent: number;
  intervals: SettledInterval[];
}

export function realTimePrices(data: ReplayData): Float64Array {
  const from = (data.startMs - data.realTime.startMs) / INTERVAL_MS;
  return data.realTime.pricesUsdPerMwh.subarray(from, from + data.n);
}

export function baselineCostUsd(data: ReplayData): number {
  const prices = realTimePrices(data);
  let sum = 0;
  for (let i = 0; i < data.n; i++) sum += siteCostUsd({ loadKw: data.loadKw[i], solarKw: data.solarKw[i], chargeKw: 0, dischargeKw: 0 }, prices[i], data.tariff, INTERVAL_HOURS);
  return sum;
}

export function settle(data: ReplayData, run: StrategyRun, rule: TerminalRule): Settlement {
  const prices = realTimePrices(data);
  const intervals: SettledInterval[] = [];
  const s: Settlement = { baselineCostUsd: 0, costUsd: 0, grossValueUsd: 0, degradationCostUsd: 0, netValueUsd: 0, terminalValueUsd: 0, adjustedNetValueUsd: 0, finalSocKwh: 0, chargedKwh: 0, dischargedKwh: 0, cycles: 0, finalSocPercent: 0, intervals };
  for (let i = 0; i < run.intervals.length; i++) {
    const r = run.intervals[i];
    const flows = { loadKw: data.loadKw[i], solarKw: data.solarKw[i], chargeKw: r.chargeKw, dischargeKw: r.dischargeKw };
    const baseline = siteCostUsd({ ...flows, chargeKw: 0, dischargeKw: 0 }, prices[i], data.tariff, INTERVAL_HOURS);
    const cost = siteCostUsd(flows, prices[i], data.tariff, INTERVAL_HOURS);
    const degradation = degradationUsd(r.dischargeKw, INTERVAL_HOURS, data.battery.degradationCostUsdPerKwh);
    const grid = gridFlowsKw(flows);
    s.baselineCostUsd += baseline;
    s.costUsd += cost;
    s.degradationCostUsd += degradation;
    s.chargedKwh += r.chargeKw * INTERVAL_HOURS;
    s.dischargedKwh += r.dischargeKw * INTERVAL_HOURS;
    intervals.push({
      startMs: r.startMs, priceUsdPerMwh: prices[i], decisionPriceUsdPerMwh: run.decisionPriceUsdPerMwh[i], loadKw: flows.loadKw, solarKw: flows.solarKw,
      chargeKw: r.chargeKw, dischargeKw: r.dischargeKw, gridImportKw: grid.importKw, gridExportKw: grid.exportKw, socEndKwh: r.socEndKwh,
      baselineCostUsd: baseline, costUsd: cost, degradationUsd: degradation,
    });
  }
  s.grossValueUsd = s.baselineCostUsd - s.costUsd;
  s.netValueUsd = s.grossValueUsd - s.degradationCostUsd;
  s.cycles = equivalentCycles(data.battery, s.dischargedKwh);
  const last = run.intervals.length ? run.intervals[run.intervals.length - 1].socEndKwh : data.initialSocKwh;
  s.finalSocPercent = kwhToPercent(data.battery, last);
  s.finalSocKwh = last;
  s.terminalValueUsd = terminalValueUsd(rule, last);
  s.adjustedNetValueUsd = s.netValueUsd + s.terminalValueUsd;
  return s;
}
