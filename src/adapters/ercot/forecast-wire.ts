/**
 * Wire rows of ERCOT's system forecast reports (zod) → typed ErcotSystemForecastRow values: one per region with a
 * value, delivery hour as a UTC instant through the domain's ERCOT calendar (hour-ending "01:00".."24:00" or 1..24;
 * the fall-back day's repeated hour told apart by DSTFlag, never by row order), posting time as a UTC instant.
 * Load rows of models not in use are dropped. A bad row fails the page naming product, query, row and field.
 */
import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { ercotHourStartMs, ercotLocalTimestampToMs, parseErcotDate, parseErcotFlag, parseHourEnding, toErcotIso } from '../../domain/time/ercot-calendar.js';
import type { ErcotForecastProduct, ErcotSystemForecastRow } from './forecast-products.js';
import { InvalidErcotData, type ReportPage } from './wire.js';

const mw = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/).transform(Number)])
  .refine((n) => Number.isFinite(n), 'not a finite number');
const optionalMw = z.union([mw, z.null(), z.literal('')]).optional();
const text = z.string().trim().min(1);
const hourEnding = z.union([text, z.number().int()]);
const flag = z.union([z.boolean(), z.string(), z.null()]).optional();

function schemaOf(product: ErcotForecastProduct) {
  const shape: Record<string, z.ZodType> = { postedDatetime: text, deliveryDate: text, hourEnding, DSTFlag: flag };
  for (const field of Object.values(product.regions)) shape[field] = product.required.includes(field) ? mw : optionalMw;
  if (product.kind === 'load') {
    shape.model = text;
    shape.inUseFlag = z.union([z.boolean(), z.string()]);
  }
  return z.object(shape);
}
const schemas = new Map<string, z.ZodType>();

/**
 * ERCOT's posting time (Central, no offset) as UTC. Inside the fall-back repeated hour the text is ambiguous: it is
 * read as the later (CST) instant, so a forecast is never taken to be known before it can have been posted.
 */
export function postedMsOf(textValue: string): number {
  try {
    return ercotLocalTimestampToMs(textValue, true);
  } catch {
    return ercotLocalTimestampToMs(textValue, false);
  }
}

/** A UTC instant as ERCOT's local timestamp without offset (query parameters: postedDatetimeFrom/To). */
export function ercotLocalTimestamp(ms: number): string {
  return toErcotIso(ms).slice(0, 19);
}

export function forecastRowsFromPage(product: ErcotForecastProduct, page: ReportPage, query: string): ErcotSystemForecastRow[] {
  const names = page.fields.map((f) => f.name);
  const missing = product.required.filter((f) => !names.includes(f));
  if (missing.length && page.data.length) throw new InvalidErcotData(`${product.id} ${query}: response lacks field(s) ${missing.join(', ')}`);
  const out: ErcotSystemForecastRow[] = [];
  page.data.forEach((arr, i) => {
    const obj: Record<string, unknown> = {};
    names.forEach((n, j) => (obj[n] = arr[j]));
    out.push(...typedForecastRows(product, obj, `${query}, row ${i + 1}`));
  });
  return out;
}

export function typedForecastRows(product: ErcotForecastProduct, obj: Record<string, unknown>, where: string): ErcotSystemForecastRow[] {
  let schema = schemas.get(product.id);
  if (!schema) schemas.set(product.id, (schema = schemaOf(product)));
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(row)';
    throw new InvalidErcotData(`${product.id} ${where} (delivery date ${String(obj.deliveryDate ?? '?')}): field ${field}: ${issue.message} (got ${JSON.stringify(obj[field])})`);
  }
  const r = parsed.data as Record<string, unknown>;
  if (product.kind === 'load' && !parseErcotFlag(r.inUseFlag as string | boolean)) return [];
  try {
    const deliveryDate = parseErcotDate(String(r.deliveryDate));
    const intervalStartMs = ercotHourStartMs(deliveryDate, parseHourEnding(String(r.hourEnding)), parseErcotFlag(r.DSTFlag as string));
    const postedMs = postedMsOf(String(r.postedDatetime));
    const rows: ErcotSystemForecastRow[] = [];
    for (const [region, field] of Object.entries(product.regions)) {
      const v = r[field];
      if (typeof v !== 'number') continue; // a region ERCOT left empty
      rows.push({
        product: product.id, kind: product.kind, region, postedMs, deliveryDate, intervalStartMs, valueMw: v,
        ...(product.kind === 'load' ? { model: String(r.model) } : {}),
      });
    }
    return rows;
  } catch (error) {
    if (error instanceof InputError) throw new InvalidErcotData(`${product.id} ${where}: ${error.message}`);
    throw error;
  }
}
