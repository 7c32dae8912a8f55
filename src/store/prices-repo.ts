/**
 * Prices: bulk upsert (chunks of rows sent as one JSON parameter, expanded by json_to_recordset, one
 * INSERT ... ON CONFLICT per chunk), reads, and the revision history. A re-ingested interval with the same price
 * writes nothing; a corrected price bumps `revision` and the old row goes to `price_revisions` (trigger).
 */
import { sql, type Transaction } from 'kysely';
import { InvalidPriceData } from '../domain/errors.js';
import type { PriceSeries } from '../domain/prices/price-series.js';
import { seriesFromPoints } from '../domain/prices/price-series.js';
import type { Executor } from './database.js';
import { inTransaction } from './database.js';
import type { Database, Market, PriceRow } from './schema.js';
import { MARKETS } from './schema.js';
import { msOrNull, toDate } from './mappers.js';
import { INTERVAL_MS } from '../domain/time/interval.js';

export interface PriceRecord {
  market: Market;
  settlementPoint: string;
  intervalStartMs: number;
  /** 15 for rt15, 60 for dam, 5 for sced (whatever the source says). */
  intervalMinutes: number;
  priceUsdPerMwh: number;
  /** E.g. "ercot-api:NP6-905-CD" or "csv:file.csv". */
  source: string;
  fetchedAtMs: number;
  publishedAtMs?: number | null;
}

export interface StoredPrice extends Required<PriceRecord> {
  publishedAtMs: number | null;
  /** 0 for the first value; +1 per correction. */
  revision: number;
  updatedAtMs: number;
}

export interface PriceRevision {
  market: Market;
  settlementPoint: string;
  intervalStartMs: number;
  /** The revision number the old value had. */
  revision: number;
  priceUsdPerMwh: number;
  source: string;
  fetchedAtMs: number;
  publishedAtMs: number | null;
  supersededAtMs: number;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export const DEFAULT_PRICE_CHUNK = 5_000;

export function priceFromRow(row: PriceRow): StoredPrice {
  return {
    market: row.market,
    settlementPoint: row.settlement_point,
    intervalStartMs: row.interval_start.getTime(),
    intervalMinutes: row.interval_minutes,
    priceUsdPerMwh: row.price_usd_per_mwh,
    source: row.source,
    fetchedAtMs: row.fetched_at.getTime(),
    publishedAtMs: msOrNull(row.published_at),
    revision: row.revision,
    updatedAtMs: row.updated_at.getTime(),
  };
}

/** Adds settlement points that are not known yet (names only). */
export async function ensureSettlementPoints(db: Executor, names: Iterable<string>): Promise<void> {
  const unique = [...new Set(names)];
  if (!unique.length) return;
  await sql`insert into settlement_points (name)
    select value from json_array_elements_text(${JSON.stringify(unique)}::json) on conflict (name) do nothing`.execute(db);
}

function validate(record: PriceRecord, index: number): void {
  const where = { field: `prices[${index}]`, interval: Number.isFinite(record.intervalStartMs) ? new Date(record.intervalStartMs).toISOString() : undefined };
  if (!MARKETS.includes(record.market)) throw new InvalidPriceData(`unknown market ${JSON.stringify(record.market)}`, where);
  if (!record.settlementPoint) throw new InvalidPriceData('missing settlement point', where);
  if (!Number.isFinite(record.priceUsdPerMwh)) throw new InvalidPriceData(`price is not a finite number (${record.priceUsdPerMwh})`, where);
  if (!Number.isInteger(record.intervalStartMs)) throw new InvalidPriceData('interval start is not an integer epoch ms', where);
  if (!Number.isInteger(record.intervalMinutes) || record.intervalMinutes <= 0) throw new InvalidPriceData('interval minutes must be a positive integer', where);
  if (!Number.isFinite(record.fetchedAtMs)) throw new InvalidPriceData('fetched-at is not a finite epoch ms', where);
}

/**
 * One chunk: INSERT ... ON CONFLICT DO UPDATE only where the price differs (an identical re-ingest writes nothing;
 * the trigger keeps the old row of a corrected price). Safe against concurrent writers of the same keys.
 * (A two-statement variant, UPDATE changed + INSERT WHERE NOT EXISTS, measured no faster: the cost is the
 * per-row index probe, about the same either way.)
 */
async function upsertPriceChunk(trx: Transaction<Database>, payload: string): Promise<{ inserted: number; updated: number }> {
  const result = await sql<{ inserted: number; updated: number }>`
    with up as (
      insert into prices (market, settlement_point, interval_start, interval_minutes, price_usd_per_mwh, source, fetched_at, published_at, revision, updated_at)
      select m, s, t, n, p, src, f, pub, 0, now()
      from json_to_recordset(${payload}::json) as x(m text, s text, t timestamptz, n smallint, p double precision, src text, f timestamptz, pub timestamptz)
      on conflict (market, settlement_point, interval_start) do update set
        interval_minutes = excluded.interval_minutes,
        price_usd_per_mwh = excluded.price_usd_per_mwh,
        source = excluded.source,
        fetched_at = excluded.fetched_at,
        published_at = excluded.published_at,
        revision = prices.revision + 1,
        updated_at = now()
      where prices.price_usd_per_mwh is distinct from excluded.price_usd_per_mwh
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up`.execute(trx);
  return result.rows[0] ?? { inserted: 0, updated: 0 };
}

/**
 * Inserts new intervals, corrects changed ones (keeping the old value as a revision), leaves identical ones alone.
 * Duplicates within `records` (same market, point, start): the last one wins. Runs in one transaction.
 */
export async function upsertPrices(db: Executor, records: readonly PriceRecord[], options: { chunkSize?: number } = {}): Promise<UpsertCounts> {
  const byKey = new Map<string, PriceRecord>();
  records.forEach((r, i) => {
    validate(r, i);
    byKey.set(`${r.market}|${r.settlementPoint}|${r.intervalStartMs}`, r);
  });
  // Key order: neighbouring rows land on the same index pages.
  const unique = [...byKey.values()].sort(
    (a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0) || (a.settlementPoint < b.settlementPoint ? -1 : a.settlementPoint > b.settlementPoint ? 1 : 0) || a.intervalStartMs - b.intervalStartMs,
  );
  const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (!unique.length) return counts;
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_PRICE_CHUNK);
  await inTransaction(db, async (trx) => {
    await ensureSettlementPoints(trx, unique.map((r) => r.settlementPoint));
    for (let i = 0; i < unique.length; i += chunkSize) {
      const chunk = unique.slice(i, i + chunkSize);
      const payload = JSON.stringify(
        chunk.map((r) => ({
          m: r.market,
          s: r.settlementPoint,
          t: new Date(r.intervalStartMs).toISOString(),
          n: r.intervalMinutes,
          p: r.priceUsdPerMwh,
          src: r.source,
          f: new Date(r.fetchedAtMs).toISOString(),
          pub: r.publishedAtMs === undefined || r.publishedAtMs === null ? null : new Date(r.publishedAtMs).toISOString(),
        })),
      );
      const row = await upsertPriceChunk(trx, payload);
      counts.inserted += row.inserted;
      counts.updated += row.updated;
      counts.unchanged += chunk.length - row.inserted - row.updated;
    }
  });
  return counts;
}

export interface PriceQuery {
  market: Market;
  settlementPoint: string;
  /** Inclusive interval start. */
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

/** Stored prices with startMs ≤ interval start < endMs, in time order. */
export async function getPrices(db: Executor, q: PriceQuery): Promise<StoredPrice[]> {
  const rows = await db
    .selectFrom('prices')
    .selectAll()
    .where('market', '=', q.market)
    .where('settlement_point', '=', q.settlementPoint)
    .where('interval_start', '>=', toDate(q.startMs))
    .where('interval_start', '<', toDate(q.endMs))
    .orderBy('interval_start')
    .execute();
  return rows.map(priceFromRow);
}

/** A dense 15-minute series (NaN = missing) for the optimizer/replay, built with the domain's price-series. */
export async function getPriceSeries(db: Executor, q: PriceQuery): Promise<PriceSeries> {
  const prices = await getPrices(db, q);
  return seriesFromPoints(
    prices.map((p) => ({ intervalStartMs: p.intervalStartMs, priceUsdPerMwh: p.priceUsdPerMwh, source: `db:${p.market}/${p.settlementPoint}` })),
    q.startMs,
    q.endMs,
  );
}

/** Old values of one interval, oldest first (empty when it was never corrected). */
export async function getPriceRevisions(db: Executor, key: { market: Market; settlementPoint: string; intervalStartMs: number }): Promise<PriceRevision[]> {
  const rows = await db
    .selectFrom('price_revisions')
    .selectAll()
    .where('market', '=', key.market)
    .where('settlement_point', '=', key.settlementPoint)
    .where('interval_start', '=', toDate(key.intervalStartMs))
    .orderBy('revision')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    market: r.market,
    settlementPoint: r.settlement_point,
    intervalStartMs: r.interval_start.getTime(),
    revision: r.revision,
    priceUsdPerMwh: r.price_usd_per_mwh,
    source: r.source,
    fetchedAtMs: r.fetched_at.getTime(),
    publishedAtMs: msOrNull(r.published_at),
    supersededAtMs: r.superseded_at.getTime(),
  }));
}

export interface PriceCoverage {
  market: Market;
  settlementPoint: string;
  count: number;
  firstStartMs: number;
  lastStartMs: number;
  revisedCount: number;
  lastFetchedAtMs: number;
}

/** Per market and settlement point: how many intervals, first/last, how many corrected (for `prices status`). */
export async function getPriceCoverage(db: Executor, filter: { market?: Market; settlementPoint?: string } = {}): Promise<PriceCoverage[]> {
  let q = db
    .selectFrom('prices')
    .select((eb) => [
      'market',
      'settlement_point',
      sql<number>`count(*)::int`.as('count'),
      eb.fn.min('interval_start').as('first_start'),
      eb.fn.max('interval_start').as('last_start'),
      sql<number>`(count(*) filter (where revision > 0))::int`.as('revised_count'),
      eb.fn.max('fetched_at').as('last_fetched'),
    ])
    .groupBy(['market', 'settlement_point'])
    .orderBy('market')
    .orderBy('settlement_point');
  if (filter.market) q = q.where('market', '=', filter.market);
  if (filter.settlementPoint) q = q.where('settlement_point', '=', filter.settlementPoint);
  const rows = await q.execute();
  return rows.map((r) => ({
    market: r.market,
    settlementPoint: r.settlement_point,
    count: r.count,
    firstStartMs: (r.first_start as Date).getTime(),
    lastStartMs: (r.last_start as Date).getTime(),
    revisedCount: r.revised_count,
    lastFetchedAtMs: (r.last_fetched as Date).getTime(),
  }));
}

/** The latest stored interval start, or null: where incremental ingestion resumes. */
export async function latestPriceStartMs(db: Executor, market: Market, settlementPoint: string): Promise<number | null> {
  const row = await db
    .selectFrom('prices')
    .select((eb) => eb.fn.max('interval_start').as('last'))
    .where('market', '=', market)
    .where('settlement_point', '=', settlementPoint)
    .executeTakeFirst();
  return row?.last ? (row.last as Date).getTime() : null;
}

/** Interval starts in [startMs, endMs) on the `stepMs` grid with no stored price. */
export async function missingPriceStarts(db: Executor, q: PriceQuery & { stepMs?: number }): Promise<number[]> {
  const step = q.stepMs ?? INTERVAL_MS;
  const present = new Set((await getPrices(db, q)).map((p) => p.intervalStartMs));
  const missing: number[] = [];
  for (let t = q.startMs; t < q.endMs; t += step) if (!present.has(t)) missing.push(t);
  return missing;
}
