/**
 * `reconcile report --site S --date D`: one ERCOT delivery date (92, 96 or 100 intervals), planned vs. actual per
 * interval, totals, outcome counts and how many intervals were revised by late data. Text for people, JSON for machines.
 */
import { ercotDay, ercotLocalParts } from '../../domain/time/ercot-calendar.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { listReconciliationResults, type StoredReconciliation } from '../../store/reconcile-repo.js';
import { requireSite } from '../../store/sites-repo.js';

export interface ReportInterval {
  intervalStartMs: number;
  intervalStart: string;
  /** ERCOT local label, e.g. "HE02 i3" ("HE02* i3" for the repeated hour of the fall-back day). */
  local: string;
  reconciliation: StoredReconciliation | null;
}

export interface ReconcileReport {
  siteId: string;
  date: string;
  intervals: number;
  reconciled: number;
  revised: number;
  totals: {
    plannedUsd: number;
    realisedUsd: number;
    plannedChargeKwh: number;
    actualChargeKwh: number;
    plannedDischargeKwh: number;
    actualDischargeKwh: number;
    actualGridImportKwh: number;
    actualGridExportKwh: number;
  };
  outcomes: Record<string, number>;
  rows: ReportInterval[];
}

const sum = (rows: StoredReconciliation[], f: (r: StoredReconciliation) => number | null) => rows.reduce((n, r) => n + (f(r) ?? 0), 0);

function localLabel(ms: number): string {
  const p = ercotLocalParts(ms);
  return `HE${String(p.hourEnding).padStart(2, '0')}${p.repeated ? '*' : ''} i${p.deliveryInterval}`;
}

export async function reconcileReport(db: Executor, siteId: string, date: string): Promise<ReconcileReport> {
  await requireSite(db, siteId);
  const day = ercotDay(date);
  const stored = await listReconciliationResults(db, siteId, day.startMs, day.endMs);
  const byStart = new Map(stored.map((r) => [r.intervalStartMs, r]));
  const rows: ReportInterval[] = [];
  for (let t = day.startMs; t < day.endMs; t += INTERVAL_MS) {
    rows.push({ intervalStartMs: t, intervalStart: new Date(t).toISOString(), local: localLabel(t), reconciliation: byStart.get(t) ?? null });
  }
  const outcomes: Record<string, number> = {};
  for (const r of stored) outcomes[r.commandOutcome ?? 'unknown'] = (outcomes[r.commandOutcome ?? 'unknown'] ?? 0) + 1;
  return {
    siteId,
    date,
    intervals: day.intervals,
    reconciled: stored.length,
    revised: stored.filter((r) => r.revision > 1).length,
    totals: {
      plannedUsd: sum(stored, (r) => r.plannedUsd),
      realisedUsd: sum(stored, (r) => r.realisedUsd),
      plannedChargeKwh: sum(stored, (r) => r.plannedChargeKwh),
      actualChargeKwh: sum(stored, (r) => r.actualChargeKwh),
      plannedDischargeKwh: sum(stored, (r) => r.plannedDischargeKwh),
      actualDischargeKwh: sum(stored, (r) => r.actualDischargeKwh),
      actualGridImportKwh: sum(stored, (r) => r.actualGridImportKwh),
      actualGridExportKwh: sum(stored, (r) => r.actualGridExportKwh),
    },
    outcomes,
    rows,
  };
}

const n = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : v.toFixed(digits));

export function formatReconcileReport(r: ReconcileReport): string {
  const t = r.totals;
  const lines = [
    `site ${r.siteId}, ${r.date} (${r.intervals} intervals): ${r.reconciled} reconciled, ${r.revised} revised by late data`,
    `value: planned $${n(t.plannedUsd)}, realised $${n(t.realisedUsd)} (at settled real-time prices, net of degradation)`,
    `charge ${n(t.actualChargeKwh)} of ${n(t.plannedChargeKwh)} kWh planned; discharge ${n(t.actualDischargeKwh)} of ${n(t.plannedDischargeKwh)} kWh; grid import ${n(t.actualGridImportKwh)} kWh, export ${n(t.actualGridExportKwh)} kWh`,
    `outcomes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    '',
    'interval            local      $/MWh    chg plan/act   dis plan/act   SoC% plan/act   $ plan/real   outcome (rev)',
  ];
  for (const row of r.rows) {
    const x = row.reconciliation;
    if (!x) {
      lines.push(`${row.intervalStart.slice(0, 16)}  ${row.local.padEnd(9)}  not reconciled`);
      continue;
    }
    lines.push([
      row.intervalStart.slice(0, 16), row.local.padEnd(9), n(x.settledPriceUsdPerMwh).padStart(8),
      `${n(x.plannedChargeKwh)}/${n(x.actualChargeKwh)}`.padStart(13), `${n(x.plannedDischargeKwh)}/${n(x.actualDischargeKwh)}`.padStart(13),
      `${n(x.plannedSocPercent, 1)}/${n(x.actualSocPercent, 1)}`.padStart(14), `${n(x.plannedUsd, 3)}/${n(x.realisedUsd, 3)}`.padStart(13),
      `${x.commandOutcome ?? '–'}${x.revision > 1 ? ` (r${x.revision})` : ''}`,
    ].join('  '));
  }
  return `${lines.join('\n')}\n`;
}
