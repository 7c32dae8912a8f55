/**
 * What is stored per site and product: the newest interval, and the gaps (missing intervals between the first
 * stored interval inside the horizon and the newest one). The tail after the newest interval is staleness, not a
 * gap: data that has not been reported yet.
 */
import type { TelemetryProduct } from '../../adapters/enphase/normalise.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { getTelemetry } from '../../store/telemetry-repo.js';
import { enphaseDb } from './enphase-tables.js';
import { presenceColumn } from './ingest.js';

const COLUMN = { battery: 'soc_percent', consumption: 'consumption_wh', production: 'production_wh' } as const;

export async function newestEndMs(db: Executor, siteId: string, product: TelemetryProduct): Promise<number | null> {
  const row = await enphaseDb(db).selectFrom('telemetry').select('interval_end').where('site_id', '=', siteId)
    .where(COLUMN[product], 'is not', null).orderBy('interval_end', 'desc').limit(1).executeTakeFirst();
  return row ? row.interval_end.getTime() : null;
}

export interface ProductCoverage {
  product: TelemetryProduct;
  firstEndMs: number | null;
  newestEndMs: number | null;
  /** Missing interval ends, oldest first. */
  missingEndsMs: number[];
}

/** Coverage of one product in (sinceMs, newest]. */
export async function productCoverage(db: Executor, siteId: string, product: TelemetryProduct, sinceMs: number): Promise<ProductCoverage> {
  const newest = await newestEndMs(db, siteId, product);
  if (newest === null || newest <= sinceMs) return { product, firstEndMs: null, newestEndMs: newest, missingEndsMs: [] };
  const rows = await getTelemetry(db, siteId, sinceMs, newest);
  const col = presenceColumn(product);
  const present = new Set(rows.filter((r) => r[col] !== null).map((r) => r.intervalEndMs));
  const first = Math.min(...present);
  const missing: number[] = [];
  for (let end = first + INTERVAL_MS; end < newest; end += INTERVAL_MS) if (!present.has(end)) missing.push(end);
  return { product, firstEndMs: first, newestEndMs: newest, missingEndsMs: missing };
}
