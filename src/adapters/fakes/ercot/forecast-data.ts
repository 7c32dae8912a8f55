/**
 * The fake ERCOT's system forecast reports (NP3-565-CD load, NP4-732-CD wind, NP4-745-CD solar): wire rows per
 * product in insertion order, a row with the same identity (posting, delivery date, hour, DST flag, model) replacing
 * the old one; the query filters ERCOT documents for them (postedDatetimeFrom/To, deliveryDateFrom/To, hourEnding,
 * inUseFlag, model, DSTFlag); and a deterministic generator: hourly postings, each covering the next days, with
 * values that depend on the posting (a later posting revises earlier ones), so "as of" reads can be checked.
 */
import { ERCOT_FORECAST_PRODUCTS, type ErcotForecastProductId, LOAD_FORECAST, SOLAR_FORECAST, WIND_FORECAST } from '../../ercot/forecast-products.js';
import { ercotLocalTimestamp } from '../../ercot/forecast-wire.js';
import { ercotLocalParts } from '../../../domain/time/ercot-calendar.js';
import { HOUR_MS } from '../../../domain/time/interval.js';
import type { WireRow } from './data.js';

function identityOf(row: WireRow): string {
  return [row.postedDatetime, row.deliveryDate, row.hourEnding, row.DSTFlag === true, row.model ?? ''].join('|');
}

export interface GenerateOptions {
  /** First and last posting instants (UTC ms); one posting per `everyMs` (default hourly) from the first. */
  firstPostedMs: number;
  lastPostedMs: number;
  everyMs?: number;
  /** Delivery hours covered by each posting, from the hour it is posted in (default 168 = seven days). */
  horizonHours?: number;
  products?: readonly ErcotForecastProductId[];
}

/** The made-up "truth" the generator's forecasts scatter around (MW), by delivery hour and kind. */
export function fakeSystemTruthMw(kind: 'load' | 'wind' | 'solar', hourStartMs: number): number {
  const local = ercotLocalParts(hourStartMs);
  const h = local.hourEnding - 0.5; // mid-hour, local clock
  const day = Math.floor(hourStartMs / (24 * HOUR_MS));
  switch (kind) {
    case 'load':
      return Math.round(45_000 + 12_000 * Math.sin(((h - 10) / 24) * 2 * Math.PI) + 500 * (day % 5));
    case 'wind':
      return Math.round(18_000 + 7_000 * Math.cos(((h - 3) / 24) * 2 * Math.PI) + 900 * (day % 3));
    case 'solar':
      return h > 6.5 && h < 19.5 ? Math.round(22_000 * Math.sin(((h - 6.5) / 13) * Math.PI)) : 0;
  }
}

const ZONE_SHARES: Record<string, number[]> = {
  'NP3-565-CD': [0.28, 0.04, 0.08, 0.02, 0.35, 0.08, 0.05, 0.10], // coast..west (LOAD_FORECAST.fields order)
  'NP4-732-CD': [0.1, 0.6, 0.3],
  'NP4-745-CD': [0.3, 0.1, 0.35, 0.1, 0.05, 0.1],
};

export class FakeForecastData {
  private readonly byProduct = new Map<ErcotForecastProductId, Map<string, WireRow>>();

  upsert(product: ErcotForecastProductId, rows: readonly WireRow[]): void {
    let m = this.byProduct.get(product);
    if (!m) this.byProduct.set(product, (m = new Map()));
    for (const row of rows) m.set(identityOf(row), row);
  }

  rows(product: ErcotForecastProductId): WireRow[] {
    return [...(this.byProduct.get(product)?.values() ?? [])];
  }

  /** Rows matching ERCOT's query parameters for these reports. */
  query(product: ErcotForecastProductId, q: URLSearchParams): WireRow[] {
    const eq = (name: string, v: unknown) => !q.has(name) || String(v).toLowerCase() === q.get(name)!.toLowerCase();
    const postedFrom = q.get('postedDatetimeFrom') ?? '0000';
    const postedTo = q.get('postedDatetimeTo') ?? '9999';
    const dateFrom = q.get('deliveryDateFrom') ?? '0000';
    const dateTo = q.get('deliveryDateTo') ?? '9999';
    const heFrom = Number(q.get('hourEndingFrom') ?? 1);
    const heTo = Number(q.get('hourEndingTo') ?? 24);
    return this.rows(product).filter((r) => {
      const posted = String(r.postedDatetime);
      const date = String(r.deliveryDate);
      const he = Number(String(r.hourEnding).split(':')[0]);
      return posted >= postedFrom && posted <= postedTo && date >= dateFrom && date <= dateTo && he >= heFrom && he <= heTo &&
        eq('DSTFlag', r.DSTFlag === true) && eq('inUseFlag', r.inUseFlag === true) && eq('model', r.model) &&
        (product !== 'NP3-565-CD' || eq('hourEnding', r.hourEnding));
    });
  }

  /** Adds deterministic postings (see the module comment); returns the number of wire rows added. */
  generate(options: GenerateOptions): number {
    const every = options.everyMs ?? HOUR_MS;
    const horizon = options.horizonHours ?? 168;
    const products = options.products ?? ERCOT_FORECAST_PRODUCTS.map((p) => p.id);
    let n = 0;
    for (let posted = options.firstPostedMs; posted <= options.lastPostedMs; posted += every) {
      const firstHour = Math.floor(posted / HOUR_MS) * HOUR_MS;
      const postedText = ercotLocalTimestamp(posted);
      const postingNo = Math.floor(posted / HOUR_MS);
      for (const id of products) {
        const rows: WireRow[] = [];
        for (let k = 0; k < horizon; k++) {
          const hourMs = firstHour + k * HOUR_MS;
          const local = ercotLocalParts(hourMs);
          // a forecast error that grows with lead time and changes with every posting
          const error = (lead: number) => Math.round(((postingNo * 37 + k * 11) % 17 - 8) * 40 * Math.min(1, (lead + 1) / 24));
          const base = { postedDatetime: postedText, deliveryDate: local.date, DSTFlag: local.repeated };
          if (id === 'NP3-565-CD') {
            for (const [model, inUse, offset] of [['A3', false, 700], ['E', true, 0], ['M', false, -900]] as const) {
              const total = fakeSystemTruthMw('load', hourMs) + error(k) + offset;
              const zones = ZONE_SHARES[id].map((s) => Math.round(total * s * 100) / 100);
              rows.push({ ...base, hourEnding: `${String(local.hourEnding).padStart(2, '0')}:00`, ...zoneFields(LOAD_FORECAST.fields.slice(3, 11), zones), systemTotal: zones.reduce((a, b) => a + b, 0), model, inUseFlag: inUse });
            }
          } else if (id === 'NP4-732-CD') {
            const stwpf = Math.max(0, fakeSystemTruthMw('wind', hourMs) + error(k));
            const row: WireRow = { ...base, hourEnding: local.hourEnding, STWPFSystemWide: stwpf, WGRPPSystemWide: Math.round(stwpf * 0.85), COPHSLSystemWide: stwpf + 300, genSystemWide: null, HSLSystemWide: null };
            ['LoadZoneSouthHouston', 'LoadZoneWest', 'LoadZoneNorth'].forEach((z, i) => (row[`STWPF${z}`] = Math.round(stwpf * ZONE_SHARES[id][i] * 100) / 100));
            rows.push(row);
          } else {
            const truth = fakeSystemTruthMw('solar', hourMs);
            const stppf = truth === 0 ? 0 : Math.max(0, truth + error(k));
            const row: WireRow = { ...base, hourEnding: local.hourEnding, STPPFSystemWide: stppf, PVGRPPSystemWide: Math.round(stppf * 0.8), COPHSLSystemWide: stppf, genSystemWide: null };
            ['CenterWest', 'NorthWest', 'FarWest', 'FarEast', 'SouthEast', 'CenterEast'].forEach((g, i) => (row[`STPPF${g}`] = Math.round(stppf * ZONE_SHARES[id][i] * 100) / 100));
            rows.push(row);
          }
        }
        this.upsert(id, rows);
        n += rows.length;
      }
    }
    return n;
  }
}

function zoneFields(names: readonly string[], values: number[]): WireRow {
  const out: WireRow = {};
  names.forEach((n, i) => (out[n] = values[i]));
  return out;
}

export const FORECAST_FIELDS: Record<ErcotForecastProductId, readonly string[]> = {
  'NP3-565-CD': LOAD_FORECAST.fields,
  'NP4-732-CD': WIND_FORECAST.fields,
  'NP4-745-CD': SOLAR_FORECAST.fields,
};
