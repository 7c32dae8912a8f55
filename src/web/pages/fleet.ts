/** The fleet overview page: a sortable, filterable table (links and a GET form; no JavaScript). */
import { age, clock, csrfField, html, pct, usd, type Html } from '../html.js';
import type { FleetQuery, FleetView } from '../schemas.js';

const COLUMNS: { key: FleetQuery['sort']; label: string; n?: boolean; cls?: string }[] = [
  { key: 'site', label: 'Site' },
  { key: 'channel', label: 'Channel', cls: 'hide-sm' },
  { key: 'mode', label: 'Mode' },
  { key: 'status', label: 'Status' },
  { key: 'soc', label: 'SoC', n: true },
  { key: 'socAge', label: 'SoC age', cls: 'hide-sm' },
  { key: 'expected', label: 'Expected today', n: true },
  { key: 'realised', label: 'Realised today', n: true },
  { key: 'next', label: 'Next command' },
  { key: 'alerts', label: 'Alerts' },
];

function qs(q: FleetQuery, over: Partial<FleetQuery>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...over })) if (v) p.set(k, String(v));
  return `?${p.toString()}`;
}

export function statusTag(status: string): Html {
  const cls = status === 'dispatching' ? 'ok' : status === 'idle' ? 'muted' : ['standing_aside', 'needs_reauth', 'paused_manual_change'].includes(status) ? 'bad' : 'warn';
  return html`<span class="tag ${cls}">${status.replace(/_/g, ' ')}</span>`;
}

export function fleetPage(v: FleetView, csrf: string | null): Html {
  const q = v.query;
  const head = COLUMNS.map((c) => {
    const active = q.sort === c.key;
    const dir = active && q.dir === 'asc' ? 'desc' : 'asc';
    return html`<th class="${c.n ? 'n' : ''} ${c.cls ?? ''}" aria-sort="${active ? (q.dir === 'asc' ? 'ascending' : 'descending') : 'none'}"><a href="${qs(q, { sort: c.key, dir })}">${c.label}${active ? (q.dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
  });
  const rows = v.sites.map((s) => html`<tr data-site="${s.siteId}">
    <td><a href="/sites/${encodeURIComponent(s.siteId)}">${s.siteId}</a><br><span class="muted">${s.name}</span></td>
    <td class="hide-sm">${s.channel}</td>
    <td>${s.mode}${s.modeIsFleetDefault ? html` <span class="muted">(fleet)</span>` : ''}</td>
    <td>${statusTag(s.status)}${s.reason ? html`<br><span class="muted">${s.reason}</span>` : ''}</td>
    <td class="n">${pct(s.socPercent)}</td>
    <td class="hide-sm">${age(s.socAsOfMs, v.nowMs)}</td>
    <td class="n">${usd(s.expectedTodayUsd)}</td>
    <td class="n">${usd(s.realisedTodayUsd)}</td>
    <td>${s.nextCommand ? `${s.nextCommand.mode} ${clock(s.nextCommand.startMs)}–${clock(s.nextCommand.endMs)} (${s.nextCommand.state.replace(/_/g, ' ')})` : '–'}</td>
    <td>${s.alerts.length ? s.alerts.map((a) => html`<span class="tag bad">⚠ ${a}</span> `) : html`<span class="muted">none</span>`}</td>
  </tr>`);
  const opt = (value: string, current: string, label = value || 'any'): Html => html`<option value="${value}" ${value === current ? 'selected' : ''}>${label}</option>`;
  return html`<h1>Fleet · ${v.date} (Central time)</h1>
  <p>${v.sites.length} of ${v.total} sites · fleet default mode <b>${v.fleetMode}</b></p>
  <form class="filters" method="get" action="/fleet">
    <label>Search <input name="q" value="${q.q}" placeholder="site id or name"></label>
    <label>Mode <select name="mode">${['', 'auto', 'review'].map((m) => opt(m, q.mode))}</select></label>
    <label>Status <select name="status">${['', 'idle', 'dispatching', 'awaiting_approval', 'standing_aside', 'paused_manual_change', 'needs_reauth', 'held'].map((m) => opt(m, q.status))}</select></label>
    <label>Alerts <select name="alerts">${opt('', q.alerts, 'all sites')}${opt('only', q.alerts, 'only with alerts')}</select></label>
    <input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.dir}">
    <button type="submit">Apply</button> <a href="/fleet">Reset</a>
  </form>
  <form class="inline" method="post" action="/fleet/approve">${csrfField(csrf)}<button type="submit" class="primary">Approve the latest plan of every review-mode site</button></form>
  <div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
