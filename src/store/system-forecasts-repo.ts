/**
 * ERCOT system forecasts (migration 0009): idempotent bulk upsert of published values (the key is kind, region,
 * delivery hour and posting time: a re-ingested posting writes nothing, a posting ERCOT re-sends with another value
 * is updated in place), and reads "as of" an instant: the latest value posted at or before it, per delivery hour.
 */
import { sql } from 'kysely';
import { InvalidPriceData } from '../domain/errors.js';
import type { SystemForecastKind, SystemForecastPoint } from '../domain/forecast/known-at.js';
import { inTransaction, type Executor } from './database.js';

export const SYSTEM_FORECAST_KINDS: readonly SystemForecastKind[] = ['load', 'wind', 'solar'];

export interface SystemForecastRecord {
  kind: SystemForecastKind;
  region: string;
  /** UTC start of the delivery hour. */
  intervalStartMs: number;
  postedMs: number;
  valueMw: number;
  model?: string | null;
  /** E.g. "ercot-api:NP4-732-CD". */
  source: string;
  fetchedAtMs: number;
}

export interface SystemForecastUpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

const CHUNK = 5_000;

function validate(r: SystemForecastRecord, i: number): void {
  const where = { field: `systemForecasts[${i}]` };
  if (!SYSTEM_FORECAST_KINDS.includes(r.kind)) throw new InvalidPriceData(`unknown system forecast kind ${JSON.stringify(r.kind)}`, where);
  if (!r.region) throw new InvalidPriceData('missing region', where);
  if (!Number.isFinite(r.valueMw)) throw new InvalidPriceData(`value is not a finite number (${r.valueMw})`, where);
  if (!Number.isInteger(r.intervalStartMs) || !Number.isInteger(r.postedMs)) throw new InvalidPriceData('delivery hour and posting time must be integer epoch ms', where);
}

export async function upsertSystemForecasts(db: Executor, records: readonly SystemForecastRecord[]): Promise<SystemForecastUpsertCounts> {
  const byKey = new Map<string, SystemForecastRecord>();
  records.forEach((r, i) => {
    validate(r, i);
    byKey.set(`${r.kind}|${r.region}|${r.intervalStartMs}|${r.postedMs}`, r);
  });
  const unique = [...byKey.values()];
  const counts: SystemForecastUpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (!unique.length) return counts;
  await inTransaction(db, async (trx) => {
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      const payload = JSON.stringify(chunk.map((r) => ({
        k: r.kind, r: r.region, d: new Date(r.intervalStartMs).toISOString(), p: new Date(r.postedMs).toISOString(),
        v: r.valueMw, m: r.model ?? null, s: r.source, f: new Date(r.fetchedAtMs).toISOString(),
      })));
      const result = await sql<{ inserted: number; updated: number }>`
        with up as (
          insert into system_forecasts (kind, region, delivery_start, posted_at, value_mw, model, source, fetched_at)
          select k, r, d, p, v, m, s, f
          from json_to_recordset(${payload}::json) as x(k text, r text, d timestamptz, p timestamptz, v double precision, m text, s text, f timestamptz)
          on conflict (kind, region, delivery_start, posted_at) do update set
            value_mw = excluded.value_mw, model = excluded.model, source = excluded.source, fetched_at = excluded.fetched_at
          where system_forecasts.value_mw is distinct from excluded.value_mw or system_forecasts.model is distinct from excluded.model
          returning (xmax = 0) as inserted
        )
        select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up`.execute(trx);
      const row = result.rows[0] ?? { inserted: 0, updated: 0 };
      counts.inserted += row.inserted;
      counts.updated += row.updated;
      counts.unchanged += chunk.length - row.inserted - row.updated;
    }
  });
  return counts;
}

export interface SystemForecastRange {
  /** Delivery hours starting in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  region?: string;
  kinds?: readonly SystemForecastKind[];
}

/**
 * Every stored posting for delivery hours in the range (region default SYSTEM), sorted by posting time: the
 * `MarketHistory.systemForecasts` a KnownAt view cuts at its decision time. `postedUpToMs` leaves later postings out.
 */
export async function getSystemForecastPoints(db: Executor, range: SystemForecastRange & { postedUpToMs?: number }): Promise<SystemForecastPoint[]> {
  let q = db.selectFrom('system_forecasts').select(['kind', 'delivery_start', 'posted_at', 'value_mw'])
    .where('region', '=', range.region ?? 'SYSTEM')
    .where('kind', 'in', [...(range.kinds ?? SYSTEM_FORECAST_KINDS)])
    .where('delivery_start', '>=', new Date(range.fromMs)).where('delivery_start', '<', new Date(range.toMs));
  if (range.postedUpToMs !== undefined) q = q.where('posted_at', '<=', new Date(range.postedUpToMs));
  const rows = await q.orderBy('posted_at').orderBy('kind').orderBy('delivery_start').execute();
  return rows.map((r) => ({ kind: r.kind, publishedMs: r.posted_at.getTime(), intervalStartMs: r.delivery_start.getTime(), valueMw: r.value_mw }));
}

export interface AsOfValue {
  intervalStartMs: number;
  postedMs: number;
  valueMw: number;
}

/** Per delivery hour in the range: the latest value of `kind` posted at or before `asOfMs` (hours with none left out). */
export async function systemForecastAsOf(db: Executor, kind: SystemForecastKind, asOfMs: number, range: Omit<SystemForecastRange, 'kinds'>): Promise<AsOfValue[]> {
  const r = await sql<{ delivery_start: Date; posted_at: Date; value_mw: number }>`
    select distinct on (delivery_start) delivery_start, posted_at, value_mw
    from system_forecasts
    where kind = ${kind} and region = ${range.region ?? 'SYSTEM'} and posted_at <= ${new Date(asOfMs)}
      and delivery_start >= ${new Date(range.fromMs)} and delivery_start < ${new Date(range.toMs)}
    order by delivery_start, posted_at desc`.execute(db);
  return r.rows.map((x) => ({ intervalStartMs: new Date(x.delivery_start).getTime(), postedMs: new Date(x.posted_at).getTime(), valueMw: x.value_mw }));
}

/** The newest posting time stored for a kind (any region), or null. */
export async function latestSystemForecastPostedMs(db: Executor, kind: SystemForecastKind): Promise<number | null> {
  const row = await db.selectFrom('system_forecasts').select((eb) => eb.fn.max('posted_at').as('latest')).where('kind', '=', kind).executeTakeFirst();
  return row?.latest ? new Date(row.latest as Date).getTime() : null;
}

export interface SystemForecastCoverage {
  kind: SystemForecastKind;
  rows: number;
  postings: number;
  firstPostedMs: number | null;
  latestPostedMs: number | null;
  latestDeliveryMs: number | null;
}

export async function getSystemForecastCoverage(db: Executor): Promise<SystemForecastCoverage[]> {
  const r = await sql<{ kind: SystemForecastKind; rows: number; postings: number; first: Date | null; latest: Date | null; last_delivery: Date | null }>`
    select kind, count(*)::int as rows, count(distinct posted_at)::int as postings, min(posted_at) as first, max(posted_at) as latest,
      max(delivery_start) as last_delivery
    from system_forecasts group by kind order by kind`.execute(db);
  const ms = (d: Date | null) => (d ? new Date(d).getTime() : null);
  return r.rows.map((x) => ({ kind: x.kind, rows: x.rows, postings: x.postings, firstPostedMs: ms(x.first), latestPostedMs: ms(x.latest), latestDeliveryMs: ms(x.last_delivery) }));
}
