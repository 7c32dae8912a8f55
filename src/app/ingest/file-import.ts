/**
 * `prices import FILE --format ...`: load a price file into the prices table, all or nothing per file. Reading uses
 * the shared price file readers (src/adapters/files/price-file-readers.ts); when a file has problems, the ERCOT
 * legacy CSV parser adds more of them (first errors with line numbers) so a person can fix several at once.
 */
import { parse } from 'csv-parse/sync';
import { parseLegacyCsv } from '../../adapters/ercot/legacy-csv.js';
import { DAM_SPP, RT_SPP } from '../../adapters/ercot/products.js';
import { readPriceFile, PRICE_FILE_FORMATS, type PriceFileFormat } from '../../adapters/files/price-file-readers.js';
import { InputError, InvalidPriceData, quoteInput } from '../../domain/errors.js';
import type { Executor } from '../../store/database.js';
import { upsertPrices, type PriceRecord, type UpsertCounts } from '../../store/prices-repo.js';
import type { Market } from '../../store/schema.js';

export interface ImportOptions {
  format: string;
  fileName: string;
  /** Only this settlement point (required for csv, which has no point column). */
  settlementPoint?: string;
  /** csv only: which market the prices are (default rt15). */
  market?: Market;
  /** NP6-905-CD API layout: keep only this settlement point type (e.g. LZ). */
  settlementPointType?: string;
  fetchedAtMs: number;
}

export interface ImportResult extends UpsertCounts {
  file: string;
  market: Market;
  settlementPoints: string[];
  rows: number;
}

/** Reads the whole file first; nothing is written unless every row of it is good. */
export function readImportFile(text: string, options: ImportOptions): { market: Market; records: PriceRecord[]; points: string[] } {
  if (!PRICE_FILE_FORMATS.includes(options.format as PriceFileFormat)) {
    throw new InvalidPriceData(`unknown format "${options.format}" (expected ${PRICE_FILE_FORMATS.join(', ')})`, { file: options.fileName });
  }
  const format = options.format as PriceFileFormat;
  const source = `file:${options.fileName.split(/[\\/]/).pop()}`;
  if (format === 'csv') {
    if (!options.settlementPoint) throw new InvalidPriceData('format csv needs --point (the file has no settlement point column)', { file: options.fileName });
    const market = options.market ?? 'rt15';
    const points = readPriceFile(text, { format, fileName: options.fileName });
    return { market, points: [options.settlementPoint], records: points.map((p) => record(market, options.settlementPoint!, p.intervalStartMs, 15, p.priceUsdPerMwh, source, options.fetchedAtMs)) };
  }
  const { header, column, points } = pointsInFile(text, options);
  const dam = format === 'ercot-api' && header.includes('hourEnding');
  const market: Market = dam ? 'dam' : 'rt15';
  const records: PriceRecord[] = [];
  const errors: string[] = [];
  for (const point of points) {
    try {
      const read = readPriceFile(text, { format, fileName: options.fileName, settlementPoint: point, settlementPointType: options.settlementPointType });
      // DAM rows come back as four 15-minute points per hour, in row order: keep the hour.
      const kept = dam ? read.filter((_, i) => i % 4 === 0) : read;
      for (const p of kept) records.push(record(market, point, p.intervalStartMs, dam ? 60 : 15, p.priceUsdPerMwh, source, options.fetchedAtMs));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      errors.push(error.message);
    }
  }
  if (!points.length) errors.push(`${options.fileName}: no rows${options.settlementPoint ? ` for settlement point ${options.settlementPoint}` : ''} (column ${column})`);
  if (errors.length) throw importFailed(options.fileName, errors, moreRowErrors(text, dam, options.fileName));
  return { market, records, points };
}

export type ImportFile = ReturnType<typeof readImportFile>;

/** Writes a file read (and fully checked) by readImportFile: read first, so a bad file never opens the store. */
export async function importPriceFile(db: Executor, read: ImportFile, fileName: string): Promise<ImportResult> {
  const counts = await upsertPrices(db, read.records);
  return { file: fileName, market: read.market, settlementPoints: read.points, rows: read.records.length, ...counts };
}

function record(market: Market, point: string, startMs: number, minutes: number, price: number, source: string, fetchedAtMs: number): PriceRecord {
  return { market, settlementPoint: point, intervalStartMs: startMs, intervalMinutes: minutes, priceUsdPerMwh: price, source, fetchedAtMs };
}

function pointsInFile(text: string, options: ImportOptions): { header: string[]; column: string; points: string[] } {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new InvalidPriceData(`not a readable CSV file: ${(error as Error).message}`, { file: options.fileName });
  }
  const header = records[0] ?? [];
  const column = header.includes('Settlement Point Name') ? 'Settlement Point Name' : 'settlementPoint';
  const i = header.indexOf(column);
  if (i < 0) throw new InvalidPriceData(`no settlement point column ("Settlement Point Name" or "settlementPoint") for format ${options.format} (header: ${quoteInput(header.join(','), 200)})`, { file: options.fileName, line: 1 });
  const found = new Set(records.slice(1).map((r) => r[i]).filter((p) => p));
  const points = options.settlementPoint ? [...found].filter((p) => p === options.settlementPoint) : [...found].sort();
  return { header, column, points };
}

function moreRowErrors(text: string, dam: boolean, fileName: string): string[] {
  try {
    parseLegacyCsv(dam ? DAM_SPP : RT_SPP, text, { fileName, excludeTypes: [] });
    return [];
  } catch (error) {
    return error instanceof InputError ? (error.details.length ? error.details : [error.message]) : [];
  }
}

function importFailed(file: string, errors: string[], more: string[]): InvalidPriceData {
  const all = [...new Set([...errors, ...more])].slice(0, 10);
  return new InvalidPriceData(`nothing imported: ${all.length}${errors.length + more.length > all.length ? '+' : ''} problem(s), first: ${all[0]}`, { file }, all.slice(1));
}
