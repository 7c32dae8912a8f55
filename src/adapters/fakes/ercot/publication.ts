/**
 * When ERCOT publishes a row (for the fake server's `publishedOnly` mode, which serves a simulated clock's "now"):
 * a real-time 15-minute SPP once its interval has ended, a day's DAM SPPs at 13:00 Central the day before (ERCOT
 * posts them around 13:00-13:30), a SCED LMP at its timestamp. Also the conversion of a UTC price series (the
 * `csv` layout of datasets/ercot/hubavg) into API wire rows, with the DST flag on the repeated hour.
 */
import { DAM_SPP, RT_SPP, type ErcotProductId } from '../../ercot/products.js';
import { typedRow } from '../../ercot/wire.js';
import { ercotDay, ercotLocalParts } from '../../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../../../domain/time/interval.js';
import type { WireRow } from './data.js';

/** The day-ahead market's publication: 13:00 Central on the day before the delivery date. */
export function damPublishedAtMs(deliveryDate: string): number {
  return ercotDay(deliveryDate).startMs - 11 * HOUR_MS;
}

export function publishedAtMs(product: ErcotProductId, row: WireRow): number {
  switch (product) {
    case 'NP6-905-CD':
      return typedRow(RT_SPP, row, 'publication').intervalStartMs + INTERVAL_MS;
    case 'NP4-190-CD':
      return damPublishedAtMs(String(row.deliveryDate));
    case 'NP6-788-CD':
      return 0; // SCED rows are served as they are (the fake's SCED data is not on the simulated clock)
  }
}

/** A UTC-stamped series (interval starts, $/MWh) as RT (15-minute) or DAM (hourly) wire rows at `settlementPoint`. */
export function wireRowsFromUtc(product: 'NP6-905-CD' | 'NP4-190-CD', settlementPoint: string, rows: ReadonlyArray<{ startMs: number; priceUsdPerMwh: number }>): WireRow[] {
  return rows.map(({ startMs, priceUsdPerMwh }) => {
    const p = ercotLocalParts(startMs);
    return product === RT_SPP.id
      ? { deliveryDate: p.date, deliveryHour: p.hourEnding, deliveryInterval: p.deliveryInterval, DSTFlag: p.repeated, settlementPoint, settlementPointType: 'HU', settlementPointPrice: priceUsdPerMwh }
      : { deliveryDate: p.date, hourEnding: `${String(p.hourEnding).padStart(2, '0')}:00`, DSTFlag: p.repeated, settlementPoint, settlementPointPrice: priceUsdPerMwh };
  });
}
