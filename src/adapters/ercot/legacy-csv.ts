/**
 * ERCOT's legacy CSV layouts, as found in archive zip bundles (and in the yearly RTM workbook exports):
 * RT (NP6-905-CD): DeliveryDate, DeliveryHour, DeliveryInterval, SettlementPointName, SettlementPointType,
 *   SettlementPointPrice, DSTFlag (headers may also be spaced: "Delivery Date", "Repeated Hour Flag").
 * DAM (NP4-190-CD): DeliveryDate, HourEnding, SettlementPoint, SettlementPointPrice, DSTFlag.
 * Headers are matched ignoring case, spaces and underscores. The whole text is parsed or nothing (first errors
 * listed with line numbers).
 */
import { parse } from 'csv-parse/sync';
import { type ErcotPriceRow, type ErcotProduct, DEFAULT_EXCLUDED_POINT_TYPES } from './products.js';
import { InvalidErcotData, typedRow } from './wire.js';

const norm = (h: string) => h.toLowerCase().replace(/[\s_]/g, '');

/** Legacy header (normalised) → wire field name, per product. */
const HEADER_MAP: Record<string, Record<string, string>> = {
  'NP6-905-CD': {
    deliverydate: 'deliveryDate', deliveryhour: 'deliveryHour', deliveryinterval: 'deliveryInterval',
    settlementpointname: 'settlementPoint', settlementpoint: 'settlementPoint', settlementpointtype: 'settlementPointType',
    settlementpointprice: 'settlementPointPrice', dstflag: 'DSTFlag', repeatedhourflag: 'DSTFlag',
  },
  'NP4-190-CD': {
    deliverydate: 'deliveryDate', hourending: 'hourEnding', settlementpoint: 'settlementPoint',
    settlementpointname: 'settlementPoint', settlementpointprice: 'settlementPointPrice', dstflag: 'DSTFlag', repeatedhourflag: 'DSTFlag',
  },
  'NP6-788-CD': {
    scedtimestamp: 'SCEDTimestamp', repeatedhourflag: 'repeatHourFlag', repeathourflag: 'repeatHourFlag',
    settlementpoint: 'settlementPoint', settlementpointname: 'settlementPoint', settlementpointtype: 'settlementPointType', lmp: 'LMP',
  },
};

export interface LegacyParseOptions {
  fileName: string;
  excludeTypes?: readonly string[];
  /** Stop collecting after this many errors (default 10). */
  maxErrors?: number;
}

/** Parses one legacy CSV for a product; throws InvalidErcotData listing the first errors (file:line) if any row is bad. */
export function parseLegacyCsv(product: ErcotProduct, text: string, options: LegacyParseOptions): ErcotPriceRow[] {
  const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  if (!records.length) return [];
  const map = HEADER_MAP[product.id];
  const header = records[0].map((h) => map[norm(h)]);
  const required = product.fields.filter((f) => f !== 'settlementPointType' && f !== 'DSTFlag' && f !== 'repeatHourFlag');
  const missing = required.filter((f) => !header.includes(f));
  if (missing.length) {
    throw new InvalidErcotData(`${options.fileName}:1: not a ${product.id} CSV: missing column(s) ${missing.join(', ')} (header: ${records[0].join(',')})`);
  }
  const exclude = new Set((options.excludeTypes ?? DEFAULT_EXCLUDED_POINT_TYPES).map((t) => t.toUpperCase()));
  const maxErrors = options.maxErrors ?? 10;
  const errors: string[] = [];
  const rows: ErcotPriceRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const obj: Record<string, unknown> = {};
    header.forEach((f, j) => {
      if (f) obj[f] = records[i][j];
    });
    try {
      const row = typedRow(product, obj, `${options.fileName}:${i + 1}`);
      if (row.settlementPointType && exclude.has(row.settlementPointType.toUpperCase())) continue;
      rows.push(row);
    } catch (error) {
      if (!(error instanceof InvalidErcotData)) throw error;
      errors.push(error.message);
      if (errors.length >= maxErrors) break;
    }
  }
  if (errors.length) {
    throw new InvalidErcotData(`${errors.length}${errors.length >= maxErrors ? '+' : ''} bad row(s); first: ${errors[0]}`, errors);
  }
  return rows;
}
