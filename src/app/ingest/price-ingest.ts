/**
 * Price ingestion: fetch a product for delivery dates and settlement points (query API, or the archive for dates
 * older than the query endpoints hold) and upsert into the prices table. Each chunk of dates is fetched completely
 * before anything is written, then written in one transaction: a failure (bad data, 5xx storm) leaves stored rows
 * untouched and the next run resumes. Identical prices write nothing; corrections become revisions (repository).
 */
import { fetchArchivedPrices } from '../../adapters/ercot/archive.js';
import type { ErcotClient } from '../../adapters/ercot/client.js';
import type { ErcotPriceRow, ErcotProduct } from '../../adapters/ercot/products.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import { upsertPrices, type PriceRecord, type UpsertCounts } from '../../store/prices-repo.js';
import type { Logger } from '../logger.js';
import { addDays, INTERVAL_MINUTES_OF, MARKET_OF } from './markets.js';

export interface IngestDeps {
  db: Executor;
  client: ErcotClient;
  clock: Clock;
  logger: Logger;
  /** First delivery date the query endpoints hold (older: archive). */
  queryApiFromDate?: string;
  /** Delivery dates fetched before one write (default 7). */
  chunkDays?: number;
}

export interface IngestRequest {
  product: ErcotProduct;
  fromDate: string;
  toDate: string;
  settlementPoints: readonly string[];
  /** api, archive, or auto (by date; default). */
  via?: 'api' | 'archive' | 'auto';
}

export interface IngestResult extends UpsertCounts {
  product: string;
  fromDate: string;
  toDate: string;
  rows: number;
  requests: number;
}

export async function ingestPrices(deps: IngestDeps, req: IngestRequest): Promise<IngestResult> {
  const result: IngestResult = { product: req.product.id, fromDate: req.fromDate, toDate: req.toDate, rows: 0, requests: 0, inserted: 0, updated: 0, unchanged: 0 };
  if (req.fromDate > req.toDate || !req.settlementPoints.length) return result;
  const requestsBefore = deps.client.http.stats.requests;
  const chunkDays = Math.max(1, deps.chunkDays ?? 7);
  const apiFrom = deps.queryApiFromDate ?? '2023-12-11';
  for (let from = req.fromDate; from <= req.toDate; from = addDays(from, chunkDays)) {
    const last = addDays(from, chunkDays - 1);
    const to = last < req.toDate ? last : req.toDate;
    const rows = await fetchChunk(deps, req, from, to, apiFrom);
    const counts = await upsertPrices(deps.db, rows.map((r) => toRecord(r, deps.clock.nowMs(), req.via === 'archive' || (req.via !== 'api' && to < apiFrom) ? 'ercot-archive' : 'ercot-api')));
    result.rows += rows.length;
    result.inserted += counts.inserted;
    result.updated += counts.updated;
    result.unchanged += counts.unchanged;
    deps.logger.info({ product: req.product.id, from, to, rows: rows.length, ...counts }, 'ERCOT prices stored');
  }
  result.requests = deps.client.http.stats.requests - requestsBefore;
  return result;
}

async function fetchChunk(deps: IngestDeps, req: IngestRequest, from: string, to: string, apiFrom: string): Promise<ErcotPriceRow[]> {
  const via = req.via ?? 'auto';
  if (via === 'api') return deps.client.fetchPrices(req.product, { fromDate: from, toDate: to, settlementPoints: req.settlementPoints });
  if (via === 'archive') return fetchArchivedPrices(deps.client, req.product, from, to, req.settlementPoints);
  const rows: ErcotPriceRow[] = [];
  if (from < apiFrom) {
    const archiveTo = to < apiFrom ? to : addDays(apiFrom, -1);
    rows.push(...(await fetchArchivedPrices(deps.client, req.product, from, archiveTo, req.settlementPoints)));
  }
  if (to >= apiFrom) {
    const apiStart = from >= apiFrom ? from : apiFrom;
    rows.push(...(await deps.client.fetchPrices(req.product, { fromDate: apiStart, toDate: to, settlementPoints: req.settlementPoints })));
  }
  return rows;
}

export function toRecord(row: ErcotPriceRow, fetchedAtMs: number, source: string): PriceRecord {
  const market = MARKET_OF[row.product];
  return {
    market,
    settlementPoint: row.settlementPoint,
    intervalStartMs: row.intervalStartMs,
    intervalMinutes: INTERVAL_MINUTES_OF[market],
    priceUsdPerMwh: row.priceUsdPerMwh,
    source: `${source}:${row.product}`,
    fetchedAtMs,
  };
}
