/**
 * Wire formats of the ERCOT Public API (zod): the report envelope (`_meta`, `fields`, `data` as ROW ARRAYS in
 * `fields[].name` order), the archive listing, the token response; and the conversion of one product's rows to
 * typed ErcotPriceRow values with UTC interval starts (via the domain's ERCOT calendar, flags not row order).
 */
import { z } from 'zod';
import { InvalidPriceData, InputError } from '../../domain/errors.js';
import {
  ercotHourStartMs,
  ercotIntervalStartMs,
  ercotLocalTimestampToMs,
  parseErcotDate,
  parseErcotFlag,
  parseHourEnding,
} from '../../domain/time/ercot-calendar.js';
import { type ErcotPriceRow, type ErcotProduct } from './products.js';

export const metaSchema = z.object({
  totalRecords: z.number().int().nonnegative().optional(),
  pageSize: z.number().int().nonnegative().optional(),
  totalPages: z.number().int().nonnegative(),
  currentPage: z.number().int().nonnegative(),
});

export const fieldSchema = z.object({ name: z.string().min(1) }).loose();

export const reportSchema = z.object({
  _meta: metaSchema,
  fields: z.array(fieldSchema),
  data: z.array(z.array(z.unknown())),
}).loose();
export type ReportPage = z.infer<typeof reportSchema>;

export const archiveListSchema = z.object({
  _meta: metaSchema,
  archives: z.array(z.object({
    docId: z.number().int(),
    friendlyName: z.string().optional(),
    postDatetime: z.string(),
  }).loose()),
}).loose();

export const tokenResponseSchema = z.object({
  id_token: z.string().min(1).optional(),
  access_token: z.string().min(1).optional(),
  expires_in: z.union([z.number(), z.string()]).optional(),
  id_token_expires_in: z.union([z.number(), z.string()]).optional(),
}).loose();

/** Thrown when ERCOT sends something we cannot read: names product, dates and row. */
export class InvalidErcotData extends InvalidPriceData {
  constructor(message: string, details: string[] = []) {
    super(message, {}, details);
    this.name = 'InvalidErcotData';
  }
}

const price = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/).transform(Number)])
  .refine((n) => Number.isFinite(n), 'not a finite number');
const text = z.string().trim().min(1);
const intLike = z.union([z.number().int(), z.string().trim().regex(/^\d+$/).transform(Number)]);
const flag = z.union([z.boolean(), z.string(), z.null()]).optional();

const rowSchemas = {
  'NP6-905-CD': z.object({
    deliveryDate: text, deliveryHour: intLike, deliveryInterval: intLike, settlementPoint: text,
    settlementPointType: text.optional(), settlementPointPrice: price, DSTFlag: flag,
  }),
  'NP4-190-CD': z.object({
    deliveryDate: text, hourEnding: z.union([text, z.number().int()]), settlementPoint: text, settlementPointPrice: price, DSTFlag: flag,
  }),
  'NP6-788-CD': z.object({
    SCEDTimestamp: text, repeatHourFlag: flag, settlementPoint: text, settlementPointType: text.optional(), LMP: price,
  }),
} as const;

export interface RowContext {
  /** e.g. "deliveryDate 2024-08-01..2024-08-01, settlementPoint HB_NORTH, page 3". */
  query: string;
}

/** Converts one page's row arrays to typed rows; the first bad row fails the whole page with a precise message. */
export function rowsFromPage(product: ErcotProduct, page: ReportPage, ctx: RowContext): ErcotPriceRow[] {
  const names = page.fields.map((f) => f.name);
  const required = product.fields.filter((f) => f !== 'settlementPointType' && f !== 'DSTFlag' && f !== 'repeatHourFlag');
  const missing = required.filter((f) => !names.includes(f));
  if (missing.length && page.data.length) {
    throw new InvalidErcotData(`${product.id} ${ctx.query}: response lacks field(s) ${missing.join(', ')}`);
  }
  return page.data.map((arr, i) => {
    const obj: Record<string, unknown> = {};
    names.forEach((n, j) => (obj[n] = arr[j]));
    return typedRow(product, obj, `${ctx.query}, row ${i + 1}`);
  });
}

/** One wire row (as an object keyed by field name) to a typed row. `where` names the row for errors. */
export function typedRow(product: ErcotProduct, obj: Record<string, unknown>, where: string): ErcotPriceRow {
  const parsed = rowSchemas[product.id].safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(row)';
    const date = typeof obj.deliveryDate === 'string' ? obj.deliveryDate : typeof obj.SCEDTimestamp === 'string' ? obj.SCEDTimestamp : '?';
    throw new InvalidErcotData(`${product.id} ${where} (date ${date}): field ${field}: ${issue.message} (got ${JSON.stringify(obj[field])})`);
  }
  const r = parsed.data as Record<string, unknown>;
  try {
    switch (product.id) {
      case 'NP6-905-CD': {
        const date = parseErcotDate(String(r.deliveryDate));
        return {
          product: product.id, settlementPoint: String(r.settlementPoint),
          settlementPointType: r.settlementPointType as string | undefined, deliveryDate: date,
          intervalStartMs: ercotIntervalStartMs(date, r.deliveryHour as number, r.deliveryInterval as number, parseErcotFlag(r.DSTFlag as string)),
          priceUsdPerMwh: r.settlementPointPrice as number,
        };
      }
      case 'NP4-190-CD': {
        const date = parseErcotDate(String(r.deliveryDate));
        return {
          product: product.id, settlementPoint: String(r.settlementPoint), deliveryDate: date,
          intervalStartMs: ercotHourStartMs(date, parseHourEnding(String(r.hourEnding)), parseErcotFlag(r.DSTFlag as string)),
          priceUsdPerMwh: r.settlementPointPrice as number,
        };
      }
      case 'NP6-788-CD': {
        const ts = String(r.SCEDTimestamp);
        return {
          product: product.id, settlementPoint: String(r.settlementPoint),
          settlementPointType: r.settlementPointType as string | undefined, deliveryDate: ts.slice(0, 10),
          intervalStartMs: ercotLocalTimestampToMs(ts, parseErcotFlag(r.repeatHourFlag as string)),
          priceUsdPerMwh: r.LMP as number,
        };
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw new InvalidErcotData(`${product.id} ${where}: ${error.message}`);
    throw error;
  }
}

/** Parses a JSON body, naming the request when it is not JSON. */
export function parseJsonBody(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidErcotData(`${what}: response is not valid JSON (${(error as Error).message}; starts ${JSON.stringify(body.slice(0, 40))})`);
  }
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InvalidErcotData(`${what}: unexpected response shape at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}
