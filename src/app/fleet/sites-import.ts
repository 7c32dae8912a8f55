/**
 * `sites import FILE`: many sites at once from CSV (header row) or JSON (an array of objects), same fields either way:
 * site_id, name (default site_id), channel, settlement_point, capacity_kwh, max_charge_kw, max_discharge_kw,
 * round_trip_efficiency (default 0.9), reserve_percent, mode (auto | review | default, default: default),
 * enphase_system_id, degradation_usd_per_kwh (default 0.02). Validated all or nothing: any bad row -> nothing is
 * written, exit 2 naming file, line (CSV line / JSON entry) and field, with every other problem listed.
 */
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { inTransaction, type Executor } from '../../store/database.js';
import { patchSiteDispatch } from '../../store/dispatch-repo.js';
import { upsertSite } from '../../store/sites-repo.js';

export class SitesImportError extends InputError {
  constructor(message: string, location: { file: string; line: number; field?: string }, details: string[]) {
    super(message, location, details);
    this.name = 'SitesImportError';
  }
}

const num = (lo: number, hi: number) => z.coerce.number().refine((v) => Number.isFinite(v) && v >= lo && v <= hi, `a number from ${lo} to ${hi}`);
const text = z.string().trim().min(1, 'required');
const opt = <T extends z.ZodTypeAny>(t: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), t.optional());

export const siteRowSchema = z.object({
  site_id: text.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - (at most 64)'),
  name: opt(text),
  channel: text,
  settlement_point: text.regex(/^[A-Z0-9_]{2,32}$/, 'an ERCOT settlement point such as HB_HOUSTON'),
  capacity_kwh: num(0.1, 10_000),
  max_charge_kw: num(0.1, 10_000),
  max_discharge_kw: num(0.1, 10_000),
  round_trip_efficiency: opt(num(0.5, 1)),
  reserve_percent: num(0, 100),
  mode: opt(z.enum(['auto', 'review', 'default'])),
  enphase_system_id: opt(text),
  degradation_usd_per_kwh: opt(num(0, 1)),
});
export type SiteRow = z.infer<typeof siteRowSchema>;

interface RawRow { line: number; value: Record<string, unknown> }

function readRows(file: string, content: string): RawRow[] {
  if (/\.json$/i.test(file) || content.trimStart().startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(content);
    } catch (e) {
      throw new SitesImportError(`not valid JSON: ${(e as Error).message}`, { file, line: 1 }, []);
    }
    if (!Array.isArray(data)) throw new SitesImportError('expected a JSON array of sites', { file, line: 1 }, []);
    return data.map((value, i) => ({ line: i + 1, value: value as Record<string, unknown> }));
  }
  const records = parseCsv(content, { columns: true, skip_empty_lines: true, trim: true, info: true }) as { record: Record<string, unknown>; info: { lines: number } }[];
  return records.map((r) => ({ line: r.info.lines, value: r.record }));
}

/** Parses and validates every row; throws one SitesImportError listing every problem. */
export function parseSitesFile(file: string, content: string, channels: readonly string[]): SiteRow[] {
  const problems: { line: number; field: string; message: string }[] = [];
  const rows: SiteRow[] = [];
  const seen = new Map<string, number>();
  for (const raw of readRows(file, content)) {
    const r = siteRowSchema.safeParse(raw.value);
    if (!r.success) {
      for (const issue of r.error.issues) problems.push({ line: raw.line, field: String(issue.path[0] ?? ''), message: issue.message });
      continue;
    }
    if (channels.length && !channels.includes(r.data.channel)) problems.push({ line: raw.line, field: 'channel', message: `unknown channel "${r.data.channel}" (one of ${channels.join(', ')})` });
    if (seen.has(r.data.site_id)) problems.push({ line: raw.line, field: 'site_id', message: `"${r.data.site_id}" already on line ${seen.get(r.data.site_id)}` });
    seen.set(r.data.site_id, raw.line);
    rows.push(r.data);
  }
  if (problems.length) {
    const [first, ...rest] = problems;
    throw new SitesImportError(first!.message, { file, line: first!.line, field: first!.field }, rest.map((p) => `${file} line ${p.line} ${p.field}: ${p.message}`));
  }
  return rows;
}

/** Writes every site (and its dispatch mode) in one transaction. */
export async function importSites(db: Executor, rows: readonly SiteRow[]): Promise<number> {
  await inTransaction(db, async (trx) => {
    for (const r of rows) {
      await upsertSite(trx, {
        siteId: r.site_id, name: r.name ?? r.site_id, settlementPoint: r.settlement_point, reservePercent: r.reserve_percent, controlChannel: r.channel,
        enphaseSystemId: r.enphase_system_id ?? null,
        battery: { capacityKwh: r.capacity_kwh, maxChargeKw: r.max_charge_kw, maxDischargeKw: r.max_discharge_kw, roundTripEfficiency: r.round_trip_efficiency ?? 0.9, minReservePercent: r.reserve_percent, degradationCostUsdPerKwh: r.degradation_usd_per_kwh ?? 0.02 },
      });
      if (r.mode) await patchSiteDispatch(trx, r.site_id, { mode: r.mode === 'default' ? null : r.mode } as never);
    }
  });
  return rows.length;
}

export function readSitesFile(file: string, channels: readonly string[]): SiteRow[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SitesImportError(`cannot read: ${(e as Error).message}`, { file, line: 0 }, []);
  }
  return parseSitesFile(file, content, channels);
}
