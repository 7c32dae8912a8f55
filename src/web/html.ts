/** HTML building blocks for the review pages: escaping, the page layout, number formats with units. */
import { ercotLocalParts } from '../domain/time/ercot-calendar.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

/** A trusted HTML fragment (already escaped). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

export function raw(text: string): Html {
  return new Html(text);
}

export const usd = (v: number | null | undefined): string => (v == null || !Number.isFinite(v) ? '–' : `${v < 0 ? '−' : ''}$${Math.abs(v).toFixed(2)}`);
export const kw = (v: number | null | undefined): string => (v == null ? '–' : `${v.toFixed(2)} kW`);
export const kwh = (v: number | null | undefined): string => (v == null ? '–' : `${v.toFixed(2)} kWh`);
export const pct = (v: number | null | undefined): string => (v == null ? '–' : `${v.toFixed(1)} %`);
export const perMwh = (v: number | null | undefined): string => (v == null ? '–' : `$${v.toFixed(2)}/MWh`);

/** Local ERCOT clock time HH:MM (the page says times are Central); the fall-back day's second 01:xx is marked "(2nd)". */
export function clock(ms: number): string {
  const p = ercotLocalParts(ms);
  const h = Math.floor(p.minuteOfDay / 60);
  const m = p.minuteOfDay % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}${p.repeated ? ' (2nd)' : ''}`;
}

export function age(ms: number | null, nowMs: number): string {
  if (ms === null) return 'never';
  const min = Math.round((nowMs - ms) / 60_000);
  if (min < 1) return 'just now';
  if (min < 120) return `${min} min ago`;
  return `${Math.round(min / 60)} h ago`;
}

export interface PageContext {
  title: string;
  user: string | null;
  csrfToken: string | null;
  /** Query string of the JSON twin, e.g. /api/fleet?sort=soc. */
  jsonHref?: string;
}

const STYLE = `
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#14324a;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header a:hover,header a:focus{text-decoration:underline}
header .who{margin-left:auto;font-size:.9rem}main{padding:1rem;max-width:1400px;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #dde1e6;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#eef1f4;font-weight:600}
td.n,th.n{text-align:right}td.n{white-space:nowrap}.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6rem;margin:.6rem 0}
.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:.5rem .7rem}.card b{display:block;font-size:1.2rem}
.tag{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.85rem;border:1px solid currentColor}
.ok{color:#116329}.warn{color:#8a4b00}.bad{color:#b01c1c}.muted{color:#57606a}
form.inline{display:inline-flex;gap:.3rem;align-items:center;flex-wrap:wrap;margin:.15rem .4rem .15rem 0}
button,input,select{font:inherit;padding:.3rem .6rem}button{cursor:pointer;border:1px solid #14324a;background:#fff;border-radius:4px}
button.primary{background:#14324a;color:#fff}.chart{background:#fff;border:1px solid #dde1e6;overflow-x:auto;margin:0}.chart figcaption{padding:.3rem .6rem}
.chart svg{display:block;max-width:100%;height:auto}.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.6rem}
.filters label{display:flex;flex-direction:column;font-size:.85rem}.flash{background:#e6f4ea;border:1px solid #116329;padding:.5rem;margin-bottom:.8rem}
.error{background:#fdecea;border:1px solid #b01c1c;padding:.6rem}
@media (max-width:700px){main{padding:.5rem}.chart svg{max-width:none;width:900px}th,td{padding:.25rem .3rem;font-size:.85rem}.hide-sm{display:none}}
`;

export function layout(ctx: PageContext, body: Html): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(ctx.title)} · ercot-arb review</title><style>${STYLE}</style></head><body>
<header><a href="/fleet">Fleet</a><a href="/replays">Replays</a>${ctx.jsonHref ? `<a href="${esc(ctx.jsonHref)}">JSON</a>` : ''}
<span class="who">${ctx.user ? `${esc(ctx.user)} · <form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${esc(ctx.csrfToken)}"><button type="submit">Log out</button></form>` : '<a href="/login">Log in</a>'}</span></header>
<main>${body.text}</main></body></html>`;
}

/** A hidden CSRF field for a form (empty when there is no session; the server refuses such a post). */
export function csrfField(token: string | null): Html {
  return html`<input type="hidden" name="_csrf" value="${token ?? ''}">`;
}
