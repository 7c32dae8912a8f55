/**
 * The fake ERCOT server's data: rows per product in wire form (objects keyed by the API's field names), indexed by
 * delivery date. Loaded from the shared CSV layouts (yearly RTM export, API-layout DAM, SCED LMP, legacy archive
 * CSVs) and from rows tests add (DST days, corrections, LZ/LZEW duplicates, bad rows). Insertion order is kept:
 * tests put rows out of order on purpose.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { readDataFileSync } from '../../files/text-files.js';
import { DAM_SPP, RT_SPP, SCED_LMP, type ErcotProductId } from '../../ercot/products.js';

export type WireRow = Record<string, unknown>;

const norm = (h: string) => h.toLowerCase().replace(/[\s_]/g, '');

const COLUMN_TO_FIELD: Record<ErcotProductId, Record<string, string>> = {
  'NP6-905-CD': {
    deliverydate: 'deliveryDate', deliveryhour: 'deliveryHour', deliveryinterval: 'deliveryInterval',
    repeatedhourflag: 'DSTFlag', dstflag: 'DSTFlag', settlementpointname: 'settlementPoint', settlementpoint: 'settlementPoint',
    settlementpointtype: 'settlementPointType', settlementpointprice: 'settlementPointPrice',
  },
  'NP4-190-CD': {
    deliverydate: 'deliveryDate', hourending: 'hourEnding', settlementpoint: 'settlementPoint', settlementpointname: 'settlementPoint',
    settlementpointprice: 'settlementPointPrice', dstflag: 'DSTFlag', repeatedhourflag: 'DSTFlag',
  },
  'NP6-788-CD': { scedtimestamp: 'SCEDTimestamp', repeathourflag: 'repeatHourFlag', repeatedhourflag: 'repeatHourFlag', settlementpoint: 'settlementPoint', lmp: 'LMP' },
};

export function productOfHeader(header: string[]): ErcotProductId | undefined {
  const h = header.map(norm);
  if (h.includes('scedtimestamp')) return 'NP6-788-CD';
  if (h.includes('deliveryinterval')) return 'NP6-905-CD';
  if (h.includes('hourending')) return 'NP4-190-CD';
  return undefined;
}

function isoDate(text: string): string {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  return m ? `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}` : text.trim();
}

function flag(text: string): boolean {
  return /^(y|true|1)$/i.test(text.trim());
}

/** Converts one CSV record to the API's wire types (numbers, booleans, YYYY-MM-DD dates). */
function wireFromCsv(product: ErcotProductId, header: string[], rec: string[]): WireRow {
  const map = COLUMN_TO_FIELD[product];
  const row: WireRow = {};
  header.forEach((h, i) => {
    const f = map[norm(h)];
    if (!f) return;
    const v = rec[i] ?? '';
    if (f === 'deliveryDate') row[f] = isoDate(v);
    else if (f === 'DSTFlag' || f === 'repeatHourFlag') row[f] = flag(v);
    else if (f === 'deliveryHour' || f === 'deliveryInterval') row[f] = Number(v);
    else if (f === 'settlementPointPrice' || f === 'LMP') row[f] = Number(v);
    else if (f === 'hourEnding') row[f] = /^\d{1,2}$/.test(v) ? `${v.padStart(2, '0')}:00` : v;
    else row[f] = v;
  });
  if (product === 'NP6-905-CD' && row.DSTFlag === undefined) row.DSTFlag = false;
  if (product === 'NP4-190-CD' && row.DSTFlag === undefined) row.DSTFlag = false;
  return row;
}

export function dateKeyOf(product: ErcotProductId, row: WireRow): string {
  const v = product === 'NP6-788-CD' ? row.SCEDTimestamp : row.deliveryDate;
  return String(v ?? '').slice(0, 10);
}

/** Identity of a row: a later row with the same identity replaces it (a correction). */
function identityOf(product: ErcotProductId, row: WireRow): string {
  switch (product) {
    case 'NP6-905-CD':
      return [row.deliveryDate, row.deliveryHour, row.deliveryInterval, row.settlementPoint, row.settlementPointType, row.DSTFlag].join('|');
    case 'NP4-190-CD':
      return [row.deliveryDate, row.hourEnding, row.settlementPoint, row.DSTFlag].join('|');
    case 'NP6-788-CD':
      return [row.SCEDTimestamp, row.settlementPoint, row.repeatHourFlag].join('|');
  }
}

export class FakeErcotData {
  private readonly byProduct = new Map<ErcotProductId, Map<string, Map<string, WireRow>>>();

  /** Adds rows; a row with the same identity as a stored one replaces it in place (a correction). */
  upsert(product: ErcotProductId, rows: readonly WireRow[]): void {
    let byDate = this.byProduct.get(product);
    if (!byDate) this.byProduct.set(product, (byDate = new Map()));
    for (const row of rows) {
      const key = dateKeyOf(product, row);
      let day = byDate.get(key);
      if (!day) byDate.set(key, (day = new Map()));
      day.set(identityOf(product, row), row);
    }
  }

  /** Removes every row of a product on a date (to simulate "not published yet"). */
  removeDate(product: ErcotProductId, date: string): void {
    this.byProduct.get(product)?.delete(date);
  }

  /** Rows of a product with date keys in [fromDate, toDate], in date order, insertion order inside a date. */
  rows(product: ErcotProductId, fromDate = '0000-00-00', toDate = '9999-99-99'): WireRow[] {
    const byDate = this.byProduct.get(product);
    if (!byDate) return [];
    const dates = [...byDate.keys()].filter((d) => d >= fromDate && d <= toDate).sort();
    return dates.flatMap((d) => [...byDate.get(d)!.values()]);
  }

  dates(product: ErcotProductId): string[] {
    return [...(this.byProduct.get(product)?.keys() ?? [])].sort();
  }

  /** Loads one CSV text in any known layout; returns the product and row count. */
  loadCsv(text: string, name = 'csv'): { product: ErcotProductId; rows: number } {
    const records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
    const header = records[0] ?? [];
    const product = productOfHeader(header);
    if (!product) throw new Error(`${name}: unknown ERCOT CSV layout (header: ${header.join(',')})`);
    this.upsert(product, records.slice(1).map((r) => wireFromCsv(product, header, r)));
    return { product, rows: records.length - 1 };
  }

  /**
   * Loads every *.csv and *.csv.gz under a directory (recursively). A file in no ERCOT layout (e.g. the `csv` price
   * format of datasets/ercot/hubavg) is an error, or is passed to `onSkipped` when given.
   */
  loadDirectory(dir: string, onSkipped?: (file: string, reason: string) => void): Array<{ file: string; product: ErcotProductId; rows: number }> {
    const out: Array<{ file: string; product: ErcotProductId; rows: number }> = [];
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) out.push(...this.loadDirectory(path, onSkipped));
      else if (/\.csv(\.gz)?$/i.test(entry)) {
        const text = readDataFileSync(path);
        const header = (parse(text, { bom: true, to_line: 1, relax_column_count: true }) as string[][])[0] ?? [];
        if (onSkipped && !productOfHeader(header)) onSkipped(path, `no ERCOT API layout (header: ${header.join(',')})`);
        else out.push({ file: path, ...this.loadCsv(text, path) });
      }
    }
    return out;
  }
}

export const FAKE_FIELDS: Record<ErcotProductId, readonly string[]> = {
  'NP6-905-CD': RT_SPP.fields,
  'NP4-190-CD': DAM_SPP.fields,
  'NP6-788-CD': SCED_LMP.fields,
};

/** A legacy archive CSV for rows of one product (the layouts ERCOT's zip bundles carry). */
export function legacyCsv(product: ErcotProductId, rows: readonly WireRow[]): string {
  const mmddyyyy = (d: unknown) => {
    const [y, m, day] = String(d).split('-');
    return `${m}/${day}/${y}`;
  };
  const yn = (b: unknown) => (b === true || b === 'Y' || b === 'true' ? 'Y' : 'N');
  switch (product) {
    case 'NP6-905-CD':
      return ['DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag',
        ...rows.map((r) => [mmddyyyy(r.deliveryDate), r.deliveryHour, r.deliveryInterval, r.settlementPoint, r.settlementPointType ?? 'HU', r.settlementPointPrice, yn(r.DSTFlag)].join(','))].join('\n') + '\n';
    case 'NP4-190-CD':
      return ['DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag',
        ...rows.map((r) => [mmddyyyy(r.deliveryDate), r.hourEnding, r.settlementPoint, r.settlementPointPrice, yn(r.DSTFlag)].join(','))].join('\n') + '\n';
    case 'NP6-788-CD':
      return ['SCEDTimestamp,RepeatedHourFlag,SettlementPoint,LMP',
        ...rows.map((r) => [r.SCEDTimestamp, yn(r.repeatHourFlag), r.settlementPoint, r.LMP].join(','))].join('\n') + '\n';
  }
}
