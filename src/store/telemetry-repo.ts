/**
 * Telemetry: one row per site and interval end (UTC), bulk upsert in chunks; re-sending identical values writes
 * nothing. `telemetryGaps` lists the interval ends missing in a range (what the backfill must fetch).
 */
import { sql, type RawBuilder } from 'kysely';
import { INTERVAL_MS } from '../domain/time/interval.js';
import type { Executor } from './database.js';
import { inTransaction } from './database.js';
import { toDate, toRanges } from './mappers.js';
import type { TelemetryRow } from './schema.js';

export interface TelemetryRecord {
  siteId: string;
  /** End of the interval the energies cover (UTC epoch ms). */
  intervalEndMs: number;
  socPercent: number | null;
  chargeWh: number | null;
  dischargeWh: number | null;
  consumptionWh: number | null;
  productionWh: number | null;
  devicesReporting: number | null;
  /** Default: now (database clock). */
  receivedAtMs?: number;
}

export interface StoredTelemetry extends TelemetryRecord {
  receivedAtMs: number;
}

export const DEFAULT_TELEMETRY_CHUNK = 5_000;

export function telemetryFromRow(row: TelemetryRow): StoredTelemetry {
  return {
    siteId: row.site_id,
    intervalEndMs: row.interval_end.getTime(),
    socPercent: row.soc_percent,
    chargeWh: row.charge_wh,
    dischargeWh: row.discharge_wh,
    consumptionWh: row.consumption_wh,
    productionWh: row.production_wh,
    devicesReporting: row.devices_reporting,
    receivedAtMs: row.received_at.getTime(),
  };
}

const finiteOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** The measured columns of a telemetry row (what one Enphase product fills). */
export type TelemetryColumn = 'soc_percent' | 'charge_wh' | 'discharge_wh' | 'consumption_wh' | 'production_wh' | 'devices_reporting';
const ALL_COLUMNS: readonly TelemetryColumn[] = ['soc_percent', 'charge_wh', 'discharge_wh', 'consumption_wh', 'production_wh', 'devices_reporting'];

/** Records as the JSON the statements read back with `inputRows` (one array per record, in column order). */
function telemetryPayload(records: readonly TelemetryRecord[]): string {
  return JSON.stringify(records.map((r) => [
    r.siteId, new Date(r.intervalEndMs).toISOString(), finiteOrNull(r.socPercent), finiteOrNull(r.chargeWh), finiteOrNull(r.dischargeWh),
    finiteOrNull(r.consumptionWh), finiteOrNull(r.productionWh), finiteOrNull(r.devicesReporting),
    r.receivedAtMs === undefined ? null : new Date(r.receivedAtMs).toISOString(),
  ]));
}

/** The payload's rows with the telemetry table's columns (the `input` of the upserts). */
function inputRows(payload: string): RawBuilder<unknown> {
  return sql`select e->>0 as site_id, (e->>1)::timestamptz as interval_end, (e->>2)::double precision as soc_percent,
      (e->>3)::double precision as charge_wh, (e->>4)::double precision as discharge_wh,
      (e->>5)::double precision as consumption_wh, (e->>6)::double precision as production_wh,
      (e->>7)::integer as devices_reporting, coalesce((e->>8)::timestamptz, now()) as received_at
    from json_array_elements(${payload}::json) as e`;
}

/**
 * Inserts or updates (site, interval end) rows; returns how many rows were written (new or changed).
 * `columns`: on an existing row, only these columns are replaced (the others keep what is stored), so one product's
 * readings merge into the row another product wrote, in the one statement (no read-modify-write, no lock).
 */
export async function upsertTelemetry(db: Executor, records: readonly TelemetryRecord[], options: { chunkSize?: number; columns?: readonly TelemetryColumn[] } = {}): Promise<{ written: number; unchanged: number }> {
  const cols = options.columns?.length ? ALL_COLUMNS.filter((c) => options.columns!.includes(c)) : ALL_COLUMNS;
  const setList = sql.raw([...cols.map((c) => `${c} = excluded.${c}`), 'received_at = excluded.received_at'].join(', '));
  const changed = sql.raw(`(${cols.map((c) => `telemetry.${c}`).join(', ')}) is distinct from (${cols.map((c) => `excluded.${c}`).join(', ')})`);
  const byKey = new Map<string, TelemetryRecord>();
  for (const r of records) {
    if (!Number.isInteger(r.intervalEndMs)) throw new RangeError(`telemetry for site ${r.siteId}: interval end is not an integer epoch ms`);
    byKey.set(`${r.siteId}|${r.intervalEndMs}`, r);
  }
  const unique = [...byKey.values()];
  let written = 0;
  if (!unique.length) return { written: 0, unchanged: 0 };
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_TELEMETRY_CHUNK);
  // One chunk is one statement (atomic by itself); several are written in one transaction.
  const run = unique.length <= chunkSize ? (fn: (e: Executor) => Promise<void>) => fn(db) : (fn: (e: Executor) => Promise<void>) => inTransaction(db, fn);
  await run(async (trx) => {
    for (let i = 0; i < unique.length; i += chunkSize) {
      const payload = telemetryPayload(unique.slice(i, i + chunkSize));
      const result = await sql<{ n: number }>`
        with input as (${inputRows(payload)}), up as (
          insert into telemetry (site_id, interval_end, soc_percent, charge_wh, discharge_wh, consumption_wh, production_wh, devices_reporting, received_at)
          select site_id, interval_end, soc_percent, charge_wh, discharge_wh, consumption_wh, production_wh, devices_reporting, received_at from input
          on conflict (site_id, interval_end) do update set ${setList}
          where ${changed}
          returning 1
        )
        select count(*)::int as n from up`.execute(trx);
      written += result.rows[0]?.n ?? 0;
    }
  });
  return { written, unchanged: unique.length - written };
}

/** Rows written per Enphase product by `upsertTelemetryMerged` (new rows, or rows whose product columns changed). */
export interface MergedTelemetryCounts {
  written: number;
  battery: number;
  consumption: number;
  production: number;
}

/**
 * One site poll's readings of every product in ONE statement (the fleet's per-site telemetry: one round trip instead
 * of one per product). Rows are merged per interval end; a null column means "not in this poll" and keeps what is
 * stored, so one product's readings still merge into the row another product (or the backfill) wrote, atomically per
 * row. The counts per product compare against the rows as they were before the statement. `also`: another
 * data-modifying statement run in the same statement (the site's Enphase state from the same poll).
 */
export async function upsertTelemetryMerged(db: Executor, records: readonly TelemetryRecord[], also?: RawBuilder<unknown>): Promise<MergedTelemetryCounts> {
  const w = mergedTelemetryWrite(records, also);
  if (!w.records) {
    if (also) await sql`with also as (${also}) select 1`.execute(db);
    return { ...ZERO_COUNTS };
  }
  const result = await sql<{ written: MergedTelemetryCounts }>`with ${w.ctes} select ${w.counts} as written`.execute(db);
  return result.rows[0]?.written ?? { ...ZERO_COUNTS };
}

const ZERO_COUNTS: MergedTelemetryCounts = { written: 0, battery: 0, consumption: 0, production: 0 };

/**
 * `upsertTelemetryMerged` as common table expressions, to run inside another statement (the fleet writes a site's
 * poll in the statement that reads the site's context). The CTEs are `also` (the extra statement, or no rows),
 * `input`, `before` and `up`: `up` returns every row written (inserted or changed, as stored after the statement; a
 * row the statement left unchanged is not in it), which the rest of the statement overlays on its snapshot (it cannot
 * see its own writes). `counts`: a jsonb expression with the MergedTelemetryCounts.
 */
export function mergedTelemetryWrite(records: readonly TelemetryRecord[], also?: RawBuilder<unknown>): { ctes: RawBuilder<unknown>; counts: RawBuilder<unknown>; records: number } {
  const byKey = new Map<string, TelemetryRecord>();
  for (const r of records) {
    if (!Number.isInteger(r.intervalEndMs)) throw new RangeError(`telemetry for site ${r.siteId}: interval end is not an integer epoch ms`);
    const key = `${r.siteId}|${r.intervalEndMs}`;
    const had = byKey.get(key);
    byKey.set(key, had ? mergeRecords(had, r) : r);
  }
  const payload = telemetryPayload([...byKey.values()]);
  const merged = sql.raw(ALL_COLUMNS.map((c) => `coalesce(excluded.${c}, telemetry.${c})`).join(', '));
  const setList = sql.raw([...ALL_COLUMNS.map((c) => `${c} = coalesce(excluded.${c}, telemetry.${c})`), 'received_at = excluded.received_at'].join(', '));
  const stored = sql.raw(ALL_COLUMNS.map((c) => `telemetry.${c}`).join(', '));
  const ctes = sql`also as (${also ?? sql`select 1 where false`}), input as (${inputRows(payload)}), before as (
      select i.soc_percent is not null and (t.site_id is null or (t.soc_percent, t.charge_wh, t.discharge_wh) is distinct from
               (i.soc_percent, coalesce(i.charge_wh, t.charge_wh), coalesce(i.discharge_wh, t.discharge_wh))) as battery,
             i.consumption_wh is not null and (t.site_id is null or t.consumption_wh is distinct from i.consumption_wh) as consumption,
             i.production_wh is not null and (t.site_id is null or t.production_wh is distinct from i.production_wh) as production
      from input i left join telemetry t on t.site_id = i.site_id and t.interval_end = i.interval_end
    ), up as (
      insert into telemetry (site_id, interval_end, soc_percent, charge_wh, discharge_wh, consumption_wh, production_wh, devices_reporting, received_at)
      select site_id, interval_end, soc_percent, charge_wh, discharge_wh, consumption_wh, production_wh, devices_reporting, received_at from input
      on conflict (site_id, interval_end) do update set ${setList}
      where (${stored}) is distinct from (${merged})
      returning *
    )`;
  const counts = sql`(select jsonb_build_object('written', (select count(*) from up)::int, 'battery', count(*) filter (where battery)::int,
      'consumption', count(*) filter (where consumption)::int, 'production', count(*) filter (where production)::int) from before)`;
  return { ctes, counts, records: byKey.size };
}

function mergeRecords(a: TelemetryRecord, b: TelemetryRecord): TelemetryRecord {
  const pick = (x: number | null, y: number | null): number | null => (y === null || y === undefined ? x : y);
  return {
    ...a, socPercent: pick(a.socPercent, b.socPercent), chargeWh: pick(a.chargeWh, b.chargeWh), dischargeWh: pick(a.dischargeWh, b.dischargeWh),
    consumptionWh: pick(a.consumptionWh, b.consumptionWh), productionWh: pick(a.productionWh, b.productionWh), devicesReporting: pick(a.devicesReporting, b.devicesReporting),
    receivedAtMs: b.receivedAtMs ?? a.receivedAtMs,
  };
}

/** Rows with startMs < interval end ≤ endMs (the intervals lying inside [startMs, endMs)), in time order. */
export async function getTelemetry(db: Executor, siteId: string, startMs: number, endMs: number): Promise<StoredTelemetry[]> {
  const rows = await db
    .selectFrom('telemetry')
    .selectAll()
    .where('site_id', '=', siteId)
    .where('interval_end', '>', toDate(startMs))
    .where('interval_end', '<=', toDate(endMs))
    .orderBy('interval_end')
    .execute();
  return rows.map(telemetryFromRow);
}

export async function latestTelemetry(db: Executor, siteId: string): Promise<StoredTelemetry | null> {
  const row = await db.selectFrom('telemetry').selectAll().where('site_id', '=', siteId).orderBy('interval_end', 'desc').limit(1).executeTakeFirst();
  return row ? telemetryFromRow(row) : null;
}

export interface TelemetryGaps {
  /** Interval ends with no row, in time order. */
  missingEndsMs: number[];
  /** The same as ranges of interval starts/ends: [startMs, endMs) covering the missing intervals. */
  ranges: { startMs: number; endMs: number }[];
  expected: number;
}

/**
 * Missing intervals of a site in [startMs, endMs) (both aligned to `intervalMs`, default 15 min): expected interval
 * ends are startMs+step … endMs.
 */
export async function telemetryGaps(db: Executor, siteId: string, startMs: number, endMs: number, intervalMs: number = INTERVAL_MS): Promise<TelemetryGaps> {
  const rows = await db
    .selectFrom('telemetry')
    .select('interval_end')
    .where('site_id', '=', siteId)
    .where('interval_end', '>', toDate(startMs))
    .where('interval_end', '<=', toDate(endMs))
    .execute();
  const present = new Set(rows.map((r) => r.interval_end.getTime()));
  const missingEndsMs: number[] = [];
  let expected = 0;
  for (let end = startMs + intervalMs; end <= endMs; end += intervalMs) {
    expected++;
    if (!present.has(end)) missingEndsMs.push(end);
  }
  const ranges = toRanges(
    missingEndsMs.map((e) => e - intervalMs),
    intervalMs,
  );
  return { missingEndsMs, ranges, expected };
}
