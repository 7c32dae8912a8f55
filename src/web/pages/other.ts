/** Reconciliation, replays, login and error pages. */
import { renderSvg } from '../chart.js';
import { clock, csrfField, html, kwh, pct, raw, usd, type Html } from '../html.js';
import type { ReconciliationView, ReplayListView, ReplayRunView } from '../schemas.js';
import { commandTable } from './site.js';

export function reconciliationPage(v: ReconciliationView): Html {
  const base = `/sites/${encodeURIComponent(v.siteId)}`;
  return html`<h1>Reconciliation · <a href="${base}?date=${v.date}">${v.siteId}</a> · ${v.date}</h1>
  <p class="${v.source === 'reconciliations' ? '' : 'warn'}">${v.note}</p>
  <form class="filters" method="get" action="${base}/reconciliation"><label>Date <input type="date" name="date" value="${v.date}"></label><button type="submit">Show</button></form>
  <div class="cards"><div class="card">Expected<b>${usd(v.expectedUsd)}</b></div><div class="card">Realised<b>${usd(v.realisedUsd)}</b></div>
  <div class="card">Difference<b>${v.realisedUsd === null ? '–' : usd(v.realisedUsd - v.expectedUsd)}</b></div></div>
  <figure class="chart" aria-label="Planned and actual state of charge">${raw(renderSvg(reconciliationChart(v), { width: 1200, height: 300 }))}<figcaption class="muted">SoC planned (dashed) and actual (solid, from telemetry or the reconciler), in %.</figcaption></figure>
  <h2>Command outcomes</h2>${commandTable(v)}
  <h2>Planned vs actual per interval</h2><div class="scroll"><table><thead><tr><th>Time</th><th class="n">Charge planned</th><th class="n">actual</th><th class="n">Discharge planned</th><th class="n">actual</th><th class="n">SoC planned</th><th class="n">actual</th><th class="n">$ planned</th><th class="n">realised</th><th>Command outcome</th></tr></thead><tbody>
  ${v.intervals.map((i) => html`<tr><td>${i.time}</td><td class="n">${kwh(i.plannedChargeKwh)}</td><td class="n">${kwh(i.actualChargeKwh)}</td><td class="n">${kwh(i.plannedDischargeKwh)}</td><td class="n">${kwh(i.actualDischargeKwh)}</td><td class="n">${pct(i.plannedSocPercent)}</td><td class="n">${pct(i.actualSocPercent)}</td><td class="n">${usd(i.plannedUsd)}</td><td class="n">${usd(i.realisedUsd)}</td><td>${i.commandOutcome ?? '–'}</td></tr>`)}
  </tbody></table></div>`;
}

function reconciliationChart(v: ReconciliationView): Record<string, unknown> {
  const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
  return {
    animation: false, aria: { enabled: true }, legend: { top: 0 }, grid: { left: 50, right: 30, top: 36, bottom: 36 },
    xAxis: { type: 'category', data: v.intervals.map((i) => i.time), axisLabel: { interval: 7 } },
    yAxis: { type: 'value', name: 'SoC %', min: 0, max: 100 },
    series: [
      { name: 'SoC planned %', type: 'line', symbol: 'none', lineStyle: { type: 'dashed', width: 2, color: '#6f42c1' }, itemStyle: { color: '#6f42c1' }, data: v.intervals.map((i) => r(i.plannedSocPercent)) },
      { name: 'SoC actual %', type: 'line', symbol: 'circle', symbolSize: 4, lineStyle: { width: 2, color: '#0277bd' }, itemStyle: { color: '#0277bd' }, connectNulls: false, data: v.intervals.map((i) => r(i.actualSocPercent)) },
    ],
  };
}

export function replayListPage(v: ReplayListView): Html {
  if (!v.runs.length) return html`<h1>Replays</h1><p>No stored replay runs yet: run <code>npx ercot-arb replay SCENARIO --save</code>.</p>`;
  return html`<h1>Replays</h1><div class="scroll"><table><thead><tr><th>Run</th><th>Scenario</th><th>Period</th><th>Point</th><th>Strategies</th><th>Saved (UTC)</th></tr></thead><tbody>
  ${v.runs.map((r) => html`<tr><td><a href="/replays/${r.runId}">${r.runId.slice(0, 8)}</a></td><td>${r.scenario}</td><td>${r.start ?? '–'} → ${r.end ?? '–'}</td><td>${r.settlementPoint ?? '–'}</td><td>${r.strategies.join(', ')}</td><td>${new Date(r.createdAtMs).toISOString().slice(0, 16).replace('T', ' ')}</td></tr>`)}
  </tbody></table></div>`;
}

export function replayRunPage(v: ReplayRunView): Html {
  const cumulative = v.strategies.some((s) => s.cumulativeValueUsd?.length);
  const option = cumulative
    ? {
        animation: false, aria: { enabled: true, decal: { show: true } }, legend: { top: 0 }, grid: { left: 70, right: 30, top: 40, bottom: 40 },
        xAxis: { type: 'time', name: 'time (UTC)' }, yAxis: { type: 'value', name: 'cumulative value $' },
        series: v.strategies.map((s, k) => ({ name: s.strategy, type: 'line', symbol: ['circle', 'rect', 'triangle', 'diamond'][k % 4], symbolSize: 5, showSymbol: true, lineStyle: { type: ['solid', 'dashed', 'dotted'][k % 3] }, data: (s.cumulativeValueUsd ?? []).map((p) => [p.atMs, p.valueUsd]) })),
      }
    : {
        animation: false, aria: { enabled: true, decal: { show: true } }, grid: { left: 70, right: 30, top: 30, bottom: 60 },
        xAxis: { type: 'category', data: v.strategies.map((s) => s.strategy) }, yAxis: { type: 'value', name: 'net value $' },
        series: [{ type: 'bar', data: v.strategies.map((s) => s.netValueUsd), label: { show: true, position: 'top', formatter: (p: { value: number }) => `$${p.value.toFixed(2)}` } }],
      };
  return html`<h1>Replay · ${v.scenario}</h1><p>${v.start ?? '–'} → ${v.end ?? '–'} · ${v.settlementPoint ?? ''} · baseline cost ${usd(v.baselineCostUsd)} · scenario hash <code>${v.scenarioHash.slice(0, 12)}</code></p>
  <div class="scroll"><table><thead><tr><th>Strategy</th><th>Kind</th><th class="n">Net value</th><th class="n">Capture</th><th class="n">Charged</th><th class="n">Discharged</th><th class="n">Cycles</th><th class="n">Commands</th><th class="n">Violations</th></tr></thead><tbody>
  ${v.strategies.map((s) => html`<tr><td>${s.strategy}</td><td>${s.kind ?? ''}</td><td class="n">${usd(s.netValueUsd)}</td><td class="n">${s.captureRate === null ? '–' : pct(s.captureRate * 100)}</td><td class="n">${kwh(s.chargedKwh)}</td><td class="n">${kwh(s.dischargedKwh)}</td><td class="n">${s.cycles === null ? '–' : s.cycles.toFixed(2)}</td><td class="n">${s.commands ?? '–'}</td><td class="n">${s.violations}</td></tr>`)}
  </tbody></table></div>
  <h2>${cumulative ? 'Cumulative value over time' : 'Net value by strategy (this run stored no value-over-time series)'}</h2>
  <figure class="chart">${raw(renderSvg(option, { width: 1000, height: 360 }))}</figure>`;
}

export function loginPage(error: string | null, next: string): Html {
  return html`<h1>Log in</h1>${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/login" style="display:grid;gap:.6rem;max-width:320px">
  <input type="hidden" name="next" value="${next}">
  <label>Your name (recorded with every action)<br><input name="user" required maxlength="60" autocomplete="username"></label>
  <label>Trader password or token<br><input name="password" type="password" required autocomplete="current-password"></label>
  <button type="submit" class="primary">Log in</button></form>`;
}

export function errorPage(status: number, message: string): Html {
  return html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Refused' : status === 401 ? 'Log in first' : status === 400 ? 'Bad request' : 'Error'} (${status})</h1><p class="error" role="alert">${message}</p><p><a href="/fleet">Back to the fleet</a></p>`;
}

export function flash(text: string | null): Html {
  return text ? html`<p class="flash" role="status">${text}</p>` : html``;
}

export { csrfField, clock };
