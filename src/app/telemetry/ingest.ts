/**
 * One telemetry response → stored rows. Each interval is checked (normalise.ts); good ones are merged into the
 * site's telemetry rows (the table holds all products per interval end, so the other products' columns are kept)
 * and upserted by (site, interval end); bad ones are quarantined with their reason and logged. Nothing is clamped.
 */
import type { TelemetrySource } from '../../domain/ports/telemetry-source.js';
import {
  checkBatteryIntervals, checkConsumptionIntervals, checkProductionIntervals, type Checked, type TelemetryProduct,
} from '../../adapters/enphase/normalise.js';
import type { WireTelemetry } from '../../adapters/enphase/wire.js';
import type { Clock } from '../../domain/time/clock.js';
import { isoUtc } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { withAccountLock } from '../../store/credentials-repo.js';
import { upsertTelemetryMerged, type MergedTelemetryCounts, type TelemetryRecord } from '../../store/telemetry-repo.js';
import type { RawBuilder } from 'kysely';
import type { Logger } from '../logger.js';
import { recordQuarantine } from './enphase-tables.js';

export const PRODUCTS: readonly TelemetryProduct[] = ['battery', 'consumption', 'production'];

/** The telemetry column that tells whether a product's interval is stored. */
export function presenceColumn(product: TelemetryProduct): 'socPercent' | 'consumptionWh' | 'productionWh' {
  return product === 'battery' ? 'socPercent' : product === 'consumption' ? 'consumptionWh' : 'productionWh';
}

export interface IngestResult {
  product: TelemetryProduct;
  received: number;
  stored: number;
  quarantined: number;
  pending: number;
  newestEndMs: number | null;
}

export function fetchProduct(client: TelemetrySource<WireTelemetry>, product: TelemetryProduct, systemId: number, startMs: number): Promise<WireTelemetry> {
  const startSec = Math.floor(startMs / 1000);
  if (product === 'battery') return client.batteryTelemetry(systemId, startSec);
  if (product === 'consumption') return client.consumptionTelemetry(systemId, startSec);
  return client.productionTelemetry(systemId, startSec);
}

type Reading = { endMs: number; socPercent?: number; chargeWh?: number; dischargeWh?: number; wh?: number };

function check(product: TelemetryProduct, response: WireTelemetry): Checked<Reading> {
  if (product === 'battery') return checkBatteryIntervals(response.intervals);
  if (product === 'consumption') return checkConsumptionIntervals(response.intervals);
  return checkProductionIntervals(response.intervals);
}

/** A row with this product's readings (the other columns null: on an existing row they are left as stored). */
function record(product: TelemetryProduct, siteId: string, r: Reading): TelemetryRecord {
  const base: TelemetryRecord = { siteId, intervalEndMs: r.endMs, socPercent: null, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: null };
  if (product === 'battery') return { ...base, socPercent: r.socPercent!, chargeWh: r.chargeWh!, dischargeWh: r.dischargeWh! };
  if (product === 'consumption') return { ...base, consumptionWh: r.wh! };
  return { ...base, productionWh: r.wh! };
}

export async function ingestResponse(opts: { db: Executor; clock: Clock; logger?: Logger; siteId: string; product: TelemetryProduct; response: WireTelemetry }): Promise<IngestResult> {
  // One product is the poll's write with one response: its columns merge into the stored rows (nulls keep what is
  // stored), so the poll and the backfill may run at once without a lock or a read-modify-write.
  const [result] = await ingestResponses({ ...opts, responses: [{ product: opts.product, response: opts.response }] });
  return result!;
}

/**
 * A site poll's responses of every product → stored rows in ONE statement (`upsertTelemetryMerged`), with `also` (the
 * poll's Enphase state) in the same statement; quarantined intervals as `ingestResponse` records them. The results
 * per product are those `ingestResponse` gives one product at a time. With no response, `also` still runs.
 */
export async function ingestResponses(opts: IngestOptions): Promise<IngestResult[]> {
  const p = prepareIngest(opts);
  const counts = p.records.length || opts.also ? await upsertTelemetryMerged(opts.db, p.records, opts.also) : null;
  await recordQuarantined(opts, p.quarantined);
  return p.results(counts);
}

type IngestOptions = { db: Executor; clock: Clock; logger?: Logger; siteId: string; responses: readonly { product: TelemetryProduct; response: WireTelemetry }[]; also?: RawBuilder<unknown> };
type Quarantined = Parameters<typeof recordQuarantine>[1][number];

/**
 * A site poll's write, not run yet: the fleet runs it inside the statement that reads the site's context
 * (`loadSiteContext`, one round trip fewer per site), or on its own (`flushPollWrite`) when that read did not run.
 * Quarantined intervals are already recorded.
 */
export interface PendingPollWrite {
  siteId: string;
  /** The readings (every product, merged per interval end: `mergedTelemetryWrite`). */
  records: readonly TelemetryRecord[];
  /** The poll's Enphase state (`patchSiteStateSql`, returning the row), in the same statement. */
  also?: RawBuilder<unknown>;
  /** Set by `settle` once the statement that wrote it returned: what `ingestResponses` would have returned. */
  results: IngestResult[] | null;
  settle(counts: MergedTelemetryCounts): void;
}

/** `ingestResponses` without its write: checks and quarantines now, and returns the write for a later statement. */
export async function deferIngest(opts: IngestOptions): Promise<PendingPollWrite> {
  const p = prepareIngest(opts);
  await recordQuarantined(opts, p.quarantined);
  const w: PendingPollWrite = {
    siteId: opts.siteId, records: p.records, also: opts.also, results: null,
    settle: (counts) => void (w.results = p.results(counts)),
  };
  return w;
}

/** Writes a pending poll on its own (one statement) unless a context read already wrote it. */
export async function flushPollWrite(db: Executor, w: PendingPollWrite): Promise<void> {
  if (w.results) return;
  w.settle(await upsertTelemetryMerged(db, w.records, w.also));
}

function prepareIngest(opts: IngestOptions): { records: TelemetryRecord[]; quarantined: Quarantined[]; results(counts: MergedTelemetryCounts | null): IngestResult[] } {
  const { siteId } = opts;
  const checkedAll = opts.responses.map(({ product, response }) => ({ product, response, checked: check(product, response) }));
  const records: TelemetryRecord[] = [];
  const quarantined: Quarantined[] = [];
  for (const { product, checked } of checkedAll) {
    for (const q of checked.quarantined) {
      opts.logger?.warn({ siteId, product, interval: q.endMs !== undefined ? isoUtc(q.endMs) : null, reason: q.reason }, 'telemetry interval quarantined');
      quarantined.push({ siteId, product, intervalEndMs: q.endMs ?? null, reason: q.reason, raw: q.raw });
    }
    for (const r of checked.ok) records.push(record(product, siteId, r));
  }
  return {
    records, quarantined,
    results: (counts) => checkedAll.map(({ product, response, checked }) => ({
      product, received: response.intervals.length, stored: counts?.[product] ?? 0, quarantined: checked.quarantined.length, pending: checked.pending,
      newestEndMs: checked.ok.length ? Math.max(...checked.ok.map((r) => r.endMs)) : null,
    })),
  };
}

async function recordQuarantined(opts: IngestOptions, quarantined: Quarantined[]): Promise<void> {
  if (quarantined.length) await withAccountLock(opts.db, `telemetry-site:${opts.siteId}`, (trx) => recordQuarantine(trx, quarantined, opts.clock.nowMs()));
}
