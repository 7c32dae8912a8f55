/** The site day-plan page: headline figures, the chart, what changed, actions (plain forms), windows, commands, intervals. */
import { dayPlanChartSvg } from '../chart.js';
import { clock, csrfField, html, kw, kwh, pct, perMwh, raw, usd, type Html } from '../html.js';
import { overrideText } from '../loaders/day-plan.js';
import type { DayPlanView, WindowView } from '../schemas.js';
import { statusTag } from './fleet.js';

const when = (ms: number | null): string => (ms === null ? 'not in this day' : clock(ms));
const win = (w: WindowView): string => `${w.mode} ${clock(w.startMs)}–${clock(w.endMs)} at ${w.powerKw.toFixed(2)} kW`;

export function sitePage(v: DayPlanView, csrf: string | null): Html {
  const base = `/sites/${encodeURIComponent(v.siteId)}`;
  const h = v.headline;
  return html`<h1>${v.siteName} (${v.siteId}) · ${v.date}</h1>
  <p>${statusTag(v.status)} mode <b>${v.mode}</b>${v.reason ? html` · <span class="muted">${v.reason}</span>` : ''}</p>
  <form class="filters" method="get" action="${base}"><label>Date <input type="date" name="date" value="${v.date}"></label>${v.plan ? html`<label>Plan version <input type="number" min="1" name="version" value="${v.plan.planVersion}"></label>` : ''}<button type="submit">Show</button>
  <a href="${base}/reconciliation?date=${v.date}">Reconciliation for this day</a></form>
  <p>${v.plan ? html`Plan <b>v${v.plan.planVersion}</b> made ${clock(v.plan.createdAtMs)} by ${v.plan.solver} · ${v.plan.approved ? html`<span class="tag ok">✔ approved</span>` : html`<span class="tag warn">not approved</span>`} ${v.plan.verified ? '' : html`<span class="tag bad">⚠ not verified</span>`}` : 'No plan yet for this site.'}
   · ${v.hours} h day, ${v.intervalCount} intervals of 15 min, times in Central time</p>
  <div class="cards">
    <div class="card">Expected value<b>${usd(h.expectedUsd)}</b></div>
    <div class="card">Charge<b>${kwh(h.chargedKwh)}</b></div>
    <div class="card">Discharge<b>${kwh(h.dischargedKwh)}</b></div>
    <div class="card">Cycles<b>${h.cycles.toFixed(2)}</b></div>
    <div class="card">Full at<b>${when(h.fullAtMs)}</b></div>
    <div class="card">Empty at (reserve)<b>${when(h.emptyAtMs)}</b></div>
  </div>
  <figure class="chart" aria-label="Day plan chart">${raw(dayPlanChartSvg(v))}<figcaption class="muted">Lines: real-time (solid), day-ahead (dashed), forecast used (dotted) in $/MWh; bars: charge below zero (hatched), discharge above zero (dotted) in kW; SoC in kWh with the reserve floor (dashed); shaded bands: command windows labelled with mode and state; dashed outlines marked ⚑: window overrides.</figcaption></figure>
  ${actions(v, base, csrf)}
  ${overridesSection(v, base, csrf)}
  ${changes(v)}
  <h2>Command windows of this plan</h2>${windowTable(v, base, csrf)}
  <h2>Commands this day</h2>${commandTable(v)}
  <h2>Intervals</h2>${intervalTable(v)}
  <h2>Recent actions</h2>${v.actions.length ? html`<ul>${v.actions.map((a) => html`<li>${new Date(a.actedAtMs).toISOString()} · ${a.action}${a.planVersion ? ` v${a.planVersion}` : ''} by <b>${a.actedBy}</b>${a.detail ? ` — ${a.detail}` : ''}</li>`)}</ul>` : html`<p class="muted">none</p>`}`;
}

function actions(v: DayPlanView, base: string, csrf: string | null): Html {
  return html`<h2>Actions</h2><div>
  ${v.plan ? html`<form class="inline" method="post" action="${base}/approve">${csrfField(csrf)}<input type="hidden" name="version" value="${v.plan.planVersion}"><button type="submit" class="primary">Approve plan v${v.plan.planVersion}</button></form>` : ''}
  ${v.held
    ? html`<form class="inline" method="post" action="${base}/resume">${csrfField(csrf)}<button type="submit">Resume dispatch</button></form>`
    : html`<form class="inline" method="post" action="${base}/hold">${csrfField(csrf)}<input name="note" placeholder="why (optional)" aria-label="Reason for the hold"><button type="submit">Hold: send nothing, cancel pending</button></form>`}
  </div>`;
}

function changes(v: DayPlanView): Html {
  const c = v.changes;
  if (!c) return html``;
  const list = (title: string, ws: WindowView[]): Html => (ws.length ? html`<li>${title}: ${ws.map((w) => html`<span>${win(w)}</span>; `)}</li>` : html``);
  return html`<h2>What changed ${c.fromVersion ? `since v${c.fromVersion}` : ''}</h2><ul>
    ${list('Added', c.added)}${list('Dropped', c.dropped)}
    ${c.moved.map((m) => html`<li>Moved: ${win(m.before)} → ${win(m.after)}</li>`)}
    ${!c.added.length && !c.dropped.length && !c.moved.length ? html`<li>No window changed</li>` : ''}
    <li>Value gained: ${c.valueGainedUsd === null ? '–' : usd(c.valueGainedUsd)}</li>
    <li>Why: ${c.why.join('; ')}</li>
    ${v.overrides.length ? html`<li>Overrides in force (sent instead of the plan): ${v.overrides.map((o) => html`<span class="override">${overrideText(o)}</span>; `)}</li>` : ''}</ul>`;
}

function windowTable(v: DayPlanView, base: string, csrf: string | null): Html {
  if (!v.windows.length) return html`<p class="muted">No command windows (the battery stays in its base mode).</p>`;
  const overrideOf = (w: WindowView) => v.overrides.find((o) => o.windowStartMs < w.endMs && w.startMs < o.windowEndMs) ?? null;
  return html`<div class="scroll"><table><thead><tr><th>Window</th><th>Mode</th><th class="n">Power</th><th class="n">Target</th><th>Reason</th><th>Override this window's mode</th></tr></thead><tbody>
  ${v.windows.map((w) => {
    const o = overrideOf(w);
    return html`<tr><td>${clock(w.startMs)}–${clock(w.endMs)}</td><td>${w.mode}${o ? html` <span class="tag warn">⚑ override: ${o.mode} by ${o.setBy}</span>` : ''}</td><td class="n">${kw(w.powerKw)}</td><td class="n">${pct(w.targetReservePercent)}</td><td>${w.reason}</td>
  <td><form class="inline" method="post" action="${base}/override">${csrfField(csrf)}<input type="hidden" name="windowStartMs" value="${w.startMs}"><input type="hidden" name="windowEndMs" value="${w.endMs}">
  ${modeSelect(`Mode for ${clock(w.startMs)}`, true)}${powerInput(v, `Power for ${clock(w.startMs)}`)}<button type="submit">Set</button></form></td></tr>`;
  })}
  </tbody></table></div>`;
}

function modeSelect(label: string, withClear: boolean): Html {
  return html`<select name="mode" aria-label="${label}"><option value="idle">idle (skip: send nothing)</option><option value="charge">charge</option><option value="discharge">discharge</option>${withClear ? html`<option value="clear">clear override</option>` : ''}</select>`;
}

function powerInput(v: DayPlanView, label: string): Html {
  return html`<input name="powerKw" type="number" min="0.1" step="0.1" inputmode="decimal" placeholder="kW (max)" aria-label="${label} in kW (empty: the battery's limit)" style="width:6.5em">`;
}

/** The overrides in force this day (who, when, clear) and a form to override any window of the day. */
function overridesSection(v: DayPlanView, base: string, csrf: string | null): Html {
  // labels from the rows' own times (no clock() per option: this form is on the page's hot path)
  const open = v.intervals.map((i, k) => ({ ms: i.startMs, label: i.time, endLabel: v.intervals[k + 1]?.time ?? '24:00' })).filter((i) => i.ms + 15 * 60_000 > v.nowMs);
  const starts = open.map((i) => i.ms);
  const option = (ms: number, label: string, selected = false): Html => html`<option value="${ms}"${selected ? raw(' selected') : ''}>${label}</option>`;
  return html`<h2>Window overrides</h2>
  ${v.overrides.length
    ? html`<ul class="overrides">${v.overrides.map((o) => html`<li><span class="tag warn">⚑ ${o.mode}</span> ${overrideText(o)} · set ${new Date(o.setAtMs).toISOString().slice(0, 16).replace('T', ' ')} UTC
      <form class="inline" method="post" action="${base}/override">${csrfField(csrf)}<input type="hidden" name="windowStartMs" value="${o.windowStartMs}"><input type="hidden" name="windowEndMs" value="${o.windowEndMs}"><input type="hidden" name="mode" value="clear"><button type="submit">Clear</button></form></li>`)}</ul>`
    : html`<p class="muted">No override this day: the dispatcher follows the plan.</p>`}
  ${starts.length
    ? html`<form class="filters override-any" method="post" action="${base}/override">${csrfField(csrf)}<b>Override any window:</b>
    <label>from <select name="windowStartMs">${open.map((i, k) => option(i.ms, i.label, k === 0))}</select></label>
    <label>to <select name="windowEndMs">${open.map((i, k) => option(i.ms + 15 * 60_000, i.endLabel, k === 3))}</select></label>
    <label>mode ${modeSelect('Mode', false)}</label><label>power ${powerInput(v, 'Power')}</label><button type="submit">Override</button>
    <span class="muted">Charge needs grid charge on the channel, discharge needs export; power up to the battery's limit. The next cycle sends exactly this (idle: nothing, and cancels a command for it).</span></form>`
    : ''}`;
}

export function commandTable(v: Pick<DayPlanView, 'commands'>): Html {
  if (!v.commands.length) return html`<p class="muted">No commands this day.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Window</th><th>Mode</th><th class="n">Power</th><th>State</th><th>Plan</th><th>Reason / error</th></tr></thead><tbody>
  ${v.commands.map((c) => html`<tr><td>${clock(c.startMs)}–${clock(c.endMs)}</td><td>${c.mode}</td><td class="n">${kw(c.powerKw)}</td><td>${statusTag(c.state)}</td><td>v${c.planVersion ?? '–'}</td><td>${c.reason ?? ''}${c.error ? html`<br><span class="bad">${c.error}</span>` : ''}</td></tr>`)}
  </tbody></table></div>`;
}

function intervalTable(v: DayPlanView): Html {
  return html`<div class="scroll"><table><thead><tr><th>Time</th><th class="n">RT</th><th class="n">DA</th><th class="n">Forecast</th><th class="n">Planned</th><th class="n">SoC</th><th class="n">Expected</th><th class="hide-sm">Reason</th></tr></thead><tbody>
  ${v.intervals.map((i) => html`<tr><td>${i.time}</td><td class="n">${perMwh(i.rtUsdPerMwh)}</td><td class="n">${perMwh(i.daUsdPerMwh)}</td><td class="n">${perMwh(i.forecastUsdPerMwh)}</td>
  <td class="n">${i.chargeKw ? `charge ${kw(i.chargeKw)}` : i.dischargeKw ? `discharge ${kw(i.dischargeKw)}` : i.chargeKw === null ? '–' : 'idle'}</td><td class="n">${pct(i.socPercent)}</td><td class="n">${usd(i.expectedUsd)}</td><td class="hide-sm">${i.reason ?? ''}</td></tr>`)}
  </tbody></table></div>`;
}
