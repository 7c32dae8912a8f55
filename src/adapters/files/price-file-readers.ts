/**
 * Readers for the three price file formats (pure: file text in, points out; no I/O). Also read load/solar files
 * (`csv` with a `kw` column). Every problem is an InvalidPriceData naming file, line, field and interval.
 *
 *   ercot-rtm-yearly  ERCOT's historical RTM hub/zone layout (Delivery Date, Delivery Hour, Delivery Interval,
 *                     Repeated Hour Flag, Settlement Point Name, Settlement Point Type, Settlement Point Price)
 *   ercot-api         ERCOT Public API field names: DAM hourly (deliveryDate, hourEnding, settlementPoint,
 *                     settlementPointPrice, DSTFlag) or NP6-905-CD real time (deliveryDate, deliveryHour,
 *                     deliveryInterval, settlementPoint, settlementPointType, settlementPointPrice, DSTFlag)
 *   csv               interval_start (ISO 8601 with offset or Z), price ($/MWh) — or kw for load/solar; any interval
 *                     length dividing 15 minutes (averaged to 15 minutes) or a whole number of hours (repeated).
 *
 * The repeated fall-back hour is told apart by its flag, never by row order; the rows of every ERCOT delivery date
 * in the file are counted against the day's 23/24/25 hours (92/96/100 intervals).
 */
import { parse } from 'csv-parse/sync';
import { InputError, InvalidPriceData, quoteInput } from '../../domain/errors.js';
import {
  ercotDay,
  ercotHourStartMs,
  ercotIntervalStartMs,
  parseErcotDate,
  parseErcotFlag,
  parseHourEnding,
  parseIsoInstant,
  toErcotIso,
} from '../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../../domain/time/interval.js';
import { requireComplete, seriesFromPoints, type PricePoint, type PriceSeries } from '../../domain/prices/price-series.js';

export const PRICE_FILE_FORMATS = ['ercot-rtm-yearly', 'ercot-api', 'csv'] as const;
export type PriceFileFormat = (typeof PRICE_FILE_FORMATS)[number];

export interface ReadPriceFileOptions {
  format: PriceFileFormat;
  /** Named in every error message. */
  fileName: string;
  /** Required for the ERCOT formats (files hold several points); ignored by `csv`. */
  settlementPoint?: string;
  /** ercot-api NP6-905-CD: keep only this settlement point type (e.g. LZ, not LZEW); default: any. */
  settlementPointType?: string;
}

export interface ReadSeriesOptions extends ReadPriceFileOptions {
  startMs: number;
  /** Exclusive. */
  endMs: number;
  /** What the series is, for messages ("real-time prices"). */
  what?: string;
}

type Row = { line: number; cells: Record<string, string> };

/** Prices beyond this ($/MWh, either sign) are refused: ERCOT's offer cap is $5,000/MWh, so such a value is a typo or corruption. */
export const MAX_ABS_PRICE_USD_PER_MWH = 100_000;
/** Load or solar power beyond this (kW) is refused: a home (or a small business) draws far less. */
export const MAX_SITE_KW = 10_000;

/** Reads a price file into points (one per 15-minute interval), checking counts per delivery date. */
export function readPriceFile(text: string, options: ReadPriceFileOptions): PricePoint[] {
  const points = readPoints(text, options);
  for (const p of points) {
    if (Math.abs(p.priceUsdPerMwh) > MAX_ABS_PRICE_USD_PER_MWH) {
      const line = /^line (\d+)$/.exec(p.source ?? '');
      throw new InvalidPriceData(`price ${p.priceUsdPerMwh} $/MWh is beyond ±${MAX_ABS_PRICE_USD_PER_MWH.toLocaleString('en-US')} $/MWh (ERCOT's offer cap is 5,000)`, {
        file: options.fileName, line: line ? Number(line[1]) : undefined, field: 'price', interval: toErcotIso(p.intervalStartMs),
      });
    }
  }
  return points;
}

function readPoints(text: string, options: ReadPriceFileOptions): PricePoint[] {
  const { header, rows } = parseCsv(text, options.fileName);
  switch (options.format) {
    case 'ercot-rtm-yearly':
      return readRtmYearly(header, rows, options);
    case 'ercot-api':
      return header.includes('hourEnding') ? readApiDam(header, rows, options) : readApiRealTime(header, rows, options);
    case 'csv':
      return readIntervalCsv(header, rows, options.fileName, 'price');
    default:
      throw new InvalidPriceData(`unknown price file format "${String(options.format)}" (expected ${PRICE_FILE_FORMATS.join(', ')})`, { file: options.fileName });
  }
}

/** Reads a price file and returns a dense series over [startMs, endMs); a gap or a duplicate is an error. */
export function readPriceSeries(text: string, options: ReadSeriesOptions): PriceSeries {
  const points = readPriceFile(text, options);
  const series = seriesFromPoints(points, options.startMs, options.endMs, options.fileName);
  const pointName = options.format === 'csv' ? '' : ` for ${options.settlementPoint}`;
  requireComplete(series, `${options.what ?? 'price data'}${pointName}`, options.fileName);
  return series;
}

export interface KwPoint {
  intervalStartMs: number;
  kw: number;
}

/** Reads a load or solar file (`csv` format with a `kw` column instead of `price`). */
export function readKwFile(text: string, fileName: string): KwPoint[] {
  const { header, rows } = parseCsv(text, fileName);
  return readIntervalCsv(header, rows, fileName, 'kw').map((p) => ({ intervalStartMs: p.intervalStartMs, kw: p.priceUsdPerMwh }));
}

/** A load/solar series over [startMs, endMs) in kW (kW must be ≥ 0; gaps are errors). */
export function readKwSeries(text: string, fileName: string, startMs: number, endMs: number, what: string): Float64Array {
  const points = readKwFile(text, fileName);
  for (const p of points) {
    if (p.kw < 0) throw new InvalidPriceData(`negative kW (${p.kw}) in ${what}`, { file: fileName, field: 'kw', interval: toErcotIso(p.intervalStartMs) });
    if (p.kw > MAX_SITE_KW) throw new InvalidPriceData(`${p.kw} kW in ${what} is more than ${MAX_SITE_KW.toLocaleString('en-US')} kW`, { file: fileName, field: 'kw', interval: toErcotIso(p.intervalStartMs) });
  }
  const series = seriesFromPoints(points.map((p) => ({ intervalStartMs: p.intervalStartMs, priceUsdPerMwh: p.kw })), startMs, endMs, fileName);
  requireComplete(series, what, fileName);
  return series.pricesUsdPerMwh;
}

// ---------------------------------------------------------------------------------------------------------------

function parseCsv(text: string, file: string): { header: string[]; rows: Row[] } {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: false, skip_empty_lines: true, trim: true }) as string[][];
  } catch (error) {
    const e = error as { message?: string; lines?: number };
    throw new InvalidPriceData(`not a readable CSV file: ${e.message ?? String(error)}`, { file, line: e.lines });
  }
  if (records.length === 0) throw new InvalidPriceData('the file is empty (no header row)', { file, line: 1 });
  const header = records[0];
  const rows: Row[] = [];
  for (let r = 1; r < records.length; r++) {
    const cells: Record<string, string> = {};
    header.forEach((h, i) => (cells[h] = records[r][i]));
    rows.push({ line: r + 1, cells });
  }
  return { header, rows };
}

function requireColumns(header: string[], needed: string[], file: string, format: string): void {
  const missing = needed.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new InvalidPriceData(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} for format ${format} (header: ${quoteInput(header.join(','), 200)})`, {
      file,
      line: 1,
      field: missing[0],
    });
  }
}

function requirePoint(options: ReadPriceFileOptions): string {
  if (!options.settlementPoint) throw new InvalidPriceData(`format ${options.format} needs a settlement point to filter by`, { file: options.fileName });
  return options.settlementPoint;
}

function num(row: Row, field: string, file: string, interval?: number): number {
  const raw = row.cells[field];
  const v = raw === undefined || raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) {
    throw new InvalidPriceData(`not a number: ${quoteInput(raw ?? '')}`, { file, line: row.line, field, interval: interval !== undefined ? toErcotIso(interval) : undefined });
  }
  return v;
}

/** Runs an ERCOT calendar conversion, re-throwing its complaint with the file, line and field. */
function at<T>(row: Row, field: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InputError) throw new InvalidPriceData(error.message, { file, line: row.line, field });
    throw error;
  }
}

/** Counts rows per delivery date and compares with the day's hours (× per-hour rows). */
function checkDayCounts(counts: Map<string, { n: number; line: number }>, perHour: number, file: string): void {
  for (const [date, { n, line }] of counts) {
    const day = ercotDay(date);
    const expected = day.hours * perHour;
    if (n !== expected) {
      const kind = day.hours === 24 ? '' : ` (a ${day.hours}-hour DST day)`;
      throw new InvalidPriceData(`delivery date ${date} has ${n} rows, expected ${expected}${kind}`, { file, line, field: 'deliveryDate', interval: toErcotIso(day.startMs) });
    }
  }
}

/** A second row for the same interval (or hour) is an error naming both lines. */
function checkDuplicate(seen: Map<number, number>, startMs: number, row: Row, file: string, field: string): void {
  const earlier = seen.get(startMs);
  if (earlier !== undefined) {
    throw new InvalidPriceData(`duplicate interval (lines ${earlier} and ${row.line})`, { file, line: row.line, field, interval: toErcotIso(startMs) });
  }
  seen.set(startMs, row.line);
}

function countDate(counts: Map<string, { n: number; line: number }>, date: string, line: number): void {
  const c = counts.get(date);
  if (c) c.n++;
  else counts.set(date, { n: 1, line });
}

function readRtmYearly(header: string[], rows: Row[], options: ReadPriceFileOptions): PricePoint[] {
  const file = options.fileName;
  const cols = ['Delivery Date', 'Delivery Hour', 'Delivery Interval', 'Repeated Hour Flag', 'Settlement Point Name', 'Settlement Point Price'];
  requireColumns(header, cols, file, 'ercot-rtm-yearly');
  const point = requirePoint(options);
  const out: PricePoint[] = [];
  const counts = new Map<string, { n: number; line: number }>();
  const seen = new Map<number, number>();
  for (const row of rows) {
    if (row.cells['Settlement Point Name'] !== point) continue;
    const date = at(row, 'Delivery Date', file, () => parseErcotDate(row.cells['Delivery Date']));
    const hour = at(row, 'Delivery Hour', file, () => parseHourEnding(row.cells['Delivery Hour']));
    const interval = num(row, 'Delivery Interval', file);
    const repeated = at(row, 'Repeated Hour Flag', file, () => parseErcotFlag(row.cells['Repeated Hour Flag']));
    const startMs = at(row, 'Delivery Hour', file, () => ercotIntervalStartMs(date, hour, interval, repeated));
    checkDuplicate(seen, startMs, row, file, 'Delivery Interval');
    out.push({ intervalStartMs: startMs, priceUsdPerMwh: num(row, 'Settlement Point Price', file, startMs), source: `line ${row.line}` });
    countDate(counts, date, row.line);
  }
  noRowsFor(out, point, file);
  checkDayCounts(counts, 4, file);
  return out;
}

function readApiDam(header: string[], rows: Row[], options: ReadPriceFileOptions): PricePoint[] {
  const file = options.fileName;
  requireColumns(header, ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'], file, 'ercot-api (DAM hourly)');
  const point = requirePoint(options);
  const out: PricePoint[] = [];
  const counts = new Map<string, { n: number; line: number }>();
  const seen = new Map<number, number>();
  for (const row of rows) {
    if (row.cells.settlementPoint !== point) continue;
    const date = at(row, 'deliveryDate', file, () => parseErcotDate(row.cells.deliveryDate));
    const hour = at(row, 'hourEnding', file, () => parseHourEnding(row.cells.hourEnding));
    const repeated = at(row, 'DSTFlag', file, () => parseErcotFlag(row.cells.DSTFlag));
    const hourStart = at(row, 'hourEnding', file, () => ercotHourStartMs(date, hour, repeated));
    checkDuplicate(seen, hourStart, row, file, 'hourEnding');
    const price = num(row, 'settlementPointPrice', file, hourStart);
    for (let q = 0; q < 4; q++) out.push({ intervalStartMs: hourStart + q * INTERVAL_MS, priceUsdPerMwh: price, source: `line ${row.line}` });
    countDate(counts, date, row.line);
  }
  noRowsFor(out, point, file);
  checkDayCounts(counts, 1, file);
  return out;
}

function readApiRealTime(header: string[], rows: Row[], options: ReadPriceFileOptions): PricePoint[] {
  const file = options.fileName;
  requireColumns(header, ['deliveryDate', 'deliveryHour', 'deliveryInterval', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'], file, 'ercot-api (NP6-905-CD real time)');
  const point = requirePoint(options);
  const type = options.settlementPointType;
  const out: PricePoint[] = [];
  const counts = new Map<string, { n: number; line: number }>();
  const seen = new Map<number, number>();
  for (const row of rows) {
    if (row.cells.settlementPoint !== point) continue;
    if (type && header.includes('settlementPointType') && row.cells.settlementPointType !== type) continue;
    const date = at(row, 'deliveryDate', file, () => parseErcotDate(row.cells.deliveryDate));
    const hour = at(row, 'deliveryHour', file, () => parseHourEnding(row.cells.deliveryHour));
    const interval = num(row, 'deliveryInterval', file);
    const repeated = at(row, 'DSTFlag', file, () => parseErcotFlag(row.cells.DSTFlag));
    const startMs = at(row, 'deliveryInterval', file, () => ercotIntervalStartMs(date, hour, interval, repeated));
    checkDuplicate(seen, startMs, row, file, 'deliveryInterval');
    out.push({ intervalStartMs: startMs, priceUsdPerMwh: num(row, 'settlementPointPrice', file, startMs), source: `line ${row.line}` });
    countDate(counts, date, row.line);
  }
  noRowsFor(out, point, file);
  checkDayCounts(counts, 4, file);
  return out;
}

function noRowsFor(out: PricePoint[], point: string, file: string): void {
  if (out.length === 0) throw new InvalidPriceData(`no rows for settlement point ${point}`, { file, field: 'settlementPoint' });
}

/**
 * `csv`: interval_start + value column. The interval length is the smallest step between consecutive starts;
 * it must divide 15 minutes (values are averaged per 15-minute interval, which must be complete) or be a whole
 * number of hours (each value applies to all the 15-minute intervals it covers).
 */
function readIntervalCsv(header: string[], rows: Row[], file: string, valueColumn: 'price' | 'kw'): PricePoint[] {
  requireColumns(header, ['interval_start', valueColumn], file, valueColumn === 'price' ? 'csv' : 'csv (load/solar)');
  const parsed = rows.map((row) => {
    const startMs = at(row, 'interval_start', file, () => parseIsoInstant(row.cells.interval_start));
    return { row, startMs, value: num(row, valueColumn, file, startMs) };
  });
  if (parsed.length === 0) throw new InvalidPriceData('no data rows', { file, line: 2 });
  const sorted = [...parsed].sort((a, b) => a.startMs - b.startMs);
  let stepMs = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i].startMs - sorted[i - 1].startMs;
    if (d === 0) {
      throw new InvalidPriceData(`duplicate interval (lines ${sorted[i - 1].row.line} and ${sorted[i].row.line})`, {
        file, line: sorted[i].row.line, field: 'interval_start', interval: toErcotIso(sorted[i].startMs),
      });
    }
    if (d < stepMs) stepMs = d;
  }
  if (!Number.isFinite(stepMs)) stepMs = INTERVAL_MS;
  const divides = stepMs <= INTERVAL_MS && INTERVAL_MS % stepMs === 0 && stepMs % 1000 === 0;
  const hours = stepMs >= HOUR_MS && stepMs % HOUR_MS === 0;
  if (!divides && !hours) {
    throw new InvalidPriceData(`interval length of ${stepMs / MINUTE_MS} minutes neither divides 15 minutes nor is a whole number of hours`, { file, field: 'interval_start' });
  }
  for (const p of sorted) {
    if (p.startMs % Math.min(stepMs, HOUR_MS) !== 0) {
      throw new InvalidPriceData(`interval start is not aligned to the file's ${stepMs / MINUTE_MS}-minute intervals`, { file, line: p.row.line, field: 'interval_start', interval: toErcotIso(p.startMs) });
    }
  }
  if (hours) {
    const per = stepMs / INTERVAL_MS;
    return parsed.flatMap((p) => Array.from({ length: per }, (_, q) => ({ intervalStartMs: p.startMs + q * INTERVAL_MS, priceUsdPerMwh: p.value, source: `line ${p.row.line}` })));
  }
  const per = INTERVAL_MS / stepMs;
  const groups = new Map<number, { sum: number; n: number; line: number }>();
  for (const p of sorted) {
    const key = Math.floor(p.startMs / INTERVAL_MS) * INTERVAL_MS;
    const g = groups.get(key);
    if (g) { g.sum += p.value; g.n++; } else groups.set(key, { sum: p.value, n: 1, line: p.row.line });
  }
  const out: PricePoint[] = [];
  for (const [key, g] of groups) {
    if (g.n !== per) {
      throw new InvalidPriceData(`15-minute interval has ${g.n} of its ${per} ${stepMs / MINUTE_MS}-minute rows`, { file, line: g.line, field: 'interval_start', interval: toErcotIso(key) });
    }
    out.push({ intervalStartMs: key, priceUsdPerMwh: g.sum / g.n, source: `line ${g.line}` });
  }
  return out;
}
