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
import { INTERVAL_MS, isoUtc } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { withAccountLock } from '../../store/credentials-repo.js';
import { getTelemetry, upsertTelemetry, type StoredTelemetry, type TelemetryRecord } from '../../store/telemetry-repo.js';
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

function merge(product: TelemetryProduct, siteId: string, r: Reading, prev: StoredTelemetry | undefined): TelemetryRecord {
  const base: TelemetryRecord = {
    siteId, intervalEndMs: r.endMs, socPercent: prev?.socPercent ?? null, chargeWh: prev?.chargeWh ?? null, dischargeWh: prev?.dischargeWh ?? null,
    consumptionWh: prev?.consumptionWh ?? null, productionWh: prev?.productionWh ?? null, devicesReporting: prev?.devicesReporting ?? null,
  };
  if (product === 'battery') return { ...base, socPercent: r.socPercent!, chargeWh: r.chargeWh!, dischargeWh: r.dischargeWh! };
  if (product === 'consumption') return { ...base, consumptionWh: r.wh! };
  return { ...base, productionWh: r.wh! };
}

export async function ingestResponse(opts: { db: Executor; clock: Clock; logger?: Logger; siteId: string; product: TelemetryProduct; response: WireTelemetry }): Promise<IngestResult> {
  const { db, siteId, product } = opts;
  const checked = check(product, opts.response);
  for (const q of checked.quarantined) {
    opts.logger?.warn({ siteId, product, interval: q.endMs !== undefined ? isoUtc(q.endMs) : null, reason: q.reason }, 'telemetry interval quarantined');
  }
  let stored = 0;
  // Per-site lock: the poll and the backfill may run at once, and the merge is read-modify-write.
  await withAccountLock(db, `telemetry-site:${siteId}`, async (trx) => {
    if (checked.ok.length) {
      const ends = checked.ok.map((r) => r.endMs);
      const existing = await getTelemetry(trx, siteId, Math.min(...ends) - INTERVAL_MS, Math.max(...ends));
      const byEnd = new Map(existing.map((e) => [e.intervalEndMs, e]));
      const records = checked.ok.map((r) => merge(product, siteId, r, byEnd.get(r.endMs)));
      stored = (await upsertTelemetry(trx, records)).written;
    }
    if (checked.quarantined.length) {
      await recordQuarantine(trx, checked.quarantined.map((q) => ({ siteId, product, intervalEndMs: q.endMs ?? null, reason: q.reason, raw: q.raw })), opts.clock.nowMs());
    }
  });
  const newest = checked.ok.length ? Math.max(...checked.ok.map((r) => r.endMs)) : null;
  return { product, received: opts.response.intervals.length, stored, quarantined: checked.quarantined.length, pending: checked.pending, newestEndMs: newest };
}
