/** The replay report: a JSON-ready object, its human-readable text, and per-interval CSV. Pure. */
import type { Violation } from '../simulator/device-simulator.js';
import type { Settlement } from '../replay/settle.js';
import type { StrategyRun } from '../replay/strategies.js';
import { toErcotIso } from '../time/ercot-calendar.js';
import { kwhToPercent, type BatterySpec } from '../battery/battery.js';

export interface StrategyReport {
  name: string;
  kind: string;
  netValueUsd: number;
  grossValueUsd: number;
  degradationCostUsd: number;
  /** Leftover energy vs the initial SoC at the report's terminal price (same rule for every strategy). */
  terminalValueUsd: number;
  /** netValueUsd + terminalValueUsd. */
  adjustedNetValueUsd: number;
  chargedKwh: number;
  dischargedKwh: number;
  cycles: number;
  /** adjusted net value / perfect foresight's adjusted net value; null without a positive reference. */
  captureRate: number | null;
  finalSocPercent: number;
  commands: number;
  violations: Violation[];
  notes: string[];
  /** perfect-foresight only: the whole-period LP's value (baseline cost − LP objective). */
  lpNetValueUsd?: number;
  timing: { solves: number; solveMsP50: number; solveMsP95: number; totalMs: number };
}

export interface ReplayReport {
  scenario: string;
  settlementPoint: string;
  start: string;
  end: string;
  intervals: number;
  priceRange: { minUsdPerMwh: number; minAt: string; maxUsdPerMwh: number; maxAt: string; meanUsdPerMwh: number };
  baselineCostUsd: number;
  /** The stated price leftover energy is valued at (the period's median real-time price), $/MWh. */
  terminalPriceUsdPerMwh: number;
  dayAheadPrices: boolean;
  notes: string[];
  strategies: StrategyReport[];
  violations: (Violation & { strategy: string })[];
  timing: { solves: number; solveMsP50: number; solveMsP95: number; totalMs: number };
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx];
}

export interface StrategyOutcome {
  run: StrategyRun;
  settlement: Settlement;
  totalMs: number;
}

export function strategyReport(o: StrategyOutcome, perfectForesightNetUsd: number | null): StrategyReport {
  const s = o.settlement;
  const report: StrategyReport = {
    name: o.run.name,
    kind: o.run.kind,
    netValueUsd: s.netValueUsd,
    grossValueUsd: s.grossValueUsd,
    degradationCostUsd: s.degradationCostUsd,
    terminalValueUsd: s.terminalValueUsd,
    adjustedNetValueUsd: s.adjustedNetValueUsd,
    chargedKwh: s.chargedKwh,
    dischargedKwh: s.dischargedKwh,
    cycles: s.cycles,
    captureRate: perfectForesightNetUsd !== null && perfectForesightNetUsd > 0 ? s.adjustedNetValueUsd / perfectForesightNetUsd : null,
    finalSocPercent: s.finalSocPercent,
    commands: o.run.commands,
    violations: o.run.violations,
    notes: o.run.notes,
    timing: { solves: o.run.solveMs.length, solveMsP50: percentile(o.run.solveMs, 0.5), solveMsP95: percentile(o.run.solveMs, 0.95), totalMs: o.totalMs },
  };
  if (o.run.planObjectiveUsd !== undefined) report.lpNetValueUsd = s.baselineCostUsd - o.run.planObjectiveUsd;
  return report;
}

const usd = (v: number) => `${v < 0 ? '-' : ''}$${Math.abs(v).toFixed(2)}`;
const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export function formatReport(r: ReplayReport): string {
  const lines: string[] = [];
  lines.push(`Replay: ${r.scenario} (${r.settlementPoint})`);
  lines.push(`Period: ${r.start} → ${r.end}, ${r.intervals} intervals of 15 minutes`);
  lines.push(`Real-time prices: min ${r.priceRange.minUsdPerMwh.toFixed(2)} $/MWh (${r.priceRange.minAt}), max ${r.priceRange.maxUsdPerMwh.toFixed(2)} $/MWh (${r.priceRange.maxAt}), mean ${r.priceRange.meanUsdPerMwh.toFixed(2)}`);
  lines.push(`Site cost without the battery: ${usd(r.baselineCostUsd)}; day-ahead prices: ${r.dayAheadPrices ? 'yes' : 'no'}; terminal price ${r.terminalPriceUsdPerMwh.toFixed(2)} $/MWh`);
  lines.push('capture = (net + terminal) / perfect foresight\'s (net + terminal); terminal = leftover energy vs the initial SoC at the terminal price');
  lines.push('');
  const header = ['strategy', 'net', 'gross', 'degradation', 'terminal', 'capture', 'charged kWh', 'discharged kWh', 'cycles', 'final SoC', 'commands', 'solves', 'p50 ms', 'p95 ms', 'total s'];
  const rows = r.strategies.map((s) => [
    s.name, usd(s.netValueUsd), usd(s.grossValueUsd), usd(s.degradationCostUsd), usd(s.terminalValueUsd), pct(s.captureRate), s.chargedKwh.toFixed(1), s.dischargedKwh.toFixed(1),
    s.cycles.toFixed(2), `${s.finalSocPercent.toFixed(1)}%`, String(s.commands), String(s.timing.solves), s.timing.solveMsP50.toFixed(2), s.timing.solveMsP95.toFixed(2), (s.timing.totalMs / 1000).toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmt = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  lines.push(fmt(header));
  for (const row of rows) lines.push(fmt(row));
  lines.push('');
  lines.push(r.violations.length === 0 ? 'Violations: none' : `Violations: ${r.violations.length}`);
  for (const v of r.violations.slice(0, 20)) lines.push(`  - ${v.strategy}: ${v.kind} at ${v.at}: ${v.message}`);
  const notes = [...r.notes, ...r.strategies.flatMap((s) => s.notes.map((n) => `${s.name}: ${n}`))];
  if (notes.length) {
    lines.push('Notes:');
    for (const n of notes) lines.push(`  - ${n}`);
  }
  lines.push(`Total time: ${(r.timing.totalMs / 1000).toFixed(2)} s, ${r.timing.solves} solves (p50 ${r.timing.solveMsP50.toFixed(2)} ms, p95 ${r.timing.solveMsP95.toFixed(2)} ms)`);
  return `${lines.join('\n')}\n`;
}

/** Per-interval CSV of one strategy. */
export function intervalsCsv(settlement: Settlement, battery: BatterySpec): string {
  const out = ['interval_start,price_usd_per_mwh,decision_price_usd_per_mwh,load_kw,solar_kw,charge_kw,discharge_kw,grid_import_kw,grid_export_kw,soc_end_kwh,soc_end_percent,baseline_cost_usd,cost_usd,degradation_usd'];
  const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/\.?0+$/, ''));
  for (const i of settlement.intervals) {
    out.push([toErcotIso(i.startMs), n(i.priceUsdPerMwh), n(i.decisionPriceUsdPerMwh), n(i.loadKw), n(i.solarKw), n(i.chargeKw), n(i.dischargeKw), n(i.gridImportKw), n(i.gridExportKw), n(i.socEndKwh), n(kwhToPercent(battery, i.socEndKwh)), n(i.baselineCostUsd), n(i.costUsd), n(i.degradationUsd)].join(','));
  }
  return `${out.join('\n')}\n`;
}
