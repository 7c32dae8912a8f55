/** Text tables of a walk-forward evaluation. */
import type { PeriodResult, PooledSummary } from '../../domain/forecast/walk-forward.js';
import type { EvaluationReport } from './evaluate.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}`);

export function formatPeriodLine(r: PeriodResult, ms: number): string {
  const parts = r.strategies.map((s) => `${s.name} ${pct(r.perfectForesightUsd > 0 ? s.adjustedNetValueUsd / r.perfectForesightUsd : null)}%`);
  return `${r.label}: perfect foresight $${r.perfectForesightUsd.toFixed(2)}, day-ahead ${pct(r.dayAheadUsd / r.perfectForesightUsd)}%, ${parts.join(', ')} (${(ms / 1000).toFixed(1)} s)\n`;
}

function captureTable(title: string, rows: PooledSummary[]): string[] {
  const names = rows[0]?.strategies.map((s) => s.name) ?? [];
  const header = ['period', 'PF $', 'day-ahead', ...names];
  const body = rows.map((r) => [r.label, r.perfectForesightUsd.toFixed(2), pct(r.dayAheadCapture), ...r.strategies.map((s) => pct(s.capture))]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const fmt = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [title, fmt(header), ...body.map(fmt), ''];
}

export function formatEvaluation(r: EvaluationReport): string {
  const lines: string[] = [];
  lines.push(`Walk-forward evaluation on ${r.data.realTime} + ${r.data.dayAhead}`);
  lines.push(`Battery ${r.battery.capacityKwh} kWh, ${r.battery.maxChargeKw} kW, ${r.battery.roundTripEfficiency * 100}% round trip, ${r.battery.initialSocPercent}% initial SoC, $${r.battery.degradationCostUsdPerKwh}/kWh degradation; default forecaster: ${r.defaultForecaster}`);
  lines.push('Capture, % of perfect foresight (net + terminal value, the same terminal rule for every strategy):');
  lines.push('');
  lines.push(...captureTable('Per month', r.months));
  lines.push(...captureTable('Per quarter', r.quarters));
  lines.push(...captureTable('Pooled', [r.pooled]));
  if (r.selections) {
    lines.push('Walk-forward selection, the forecaster chosen per test month (best over the months before it):');
    for (const x of r.selections) lines.push(`  ${x.month}: ${x.forecaster}`);
    lines.push('');
  }
  lines.push('Forecast errors (pooled; forecasts made every hour over the next 24 h):');
  lines.push('forecaster        MAE $/MWh  spread err $/MWh  spikes  hit rate  false alarms');
  for (const s of r.pooled.strategies) {
    const e = s.errors;
    if (!e) continue;
    lines.push(`${s.name.padEnd(16)}  ${e.maeUsdPerMwh.toFixed(2).padStart(9)}  ${e.spreadErrorUsdPerMwh.toFixed(2).padStart(16)}  ${String(e.spikes).padStart(6)}  ${pct(e.spikeHitRate).padStart(8)}  ${pct(e.falseAlarmRate).padStart(12)}`);
  }
  lines.push('');
  lines.push(`Total time: ${(r.timing.totalMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
