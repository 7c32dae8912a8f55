/** How ERCOT products map onto the price tables' markets, and when each product's data exists. */
import { DateTime } from 'luxon';
import { DAM_SPP, RT_SPP, SCED_LMP, type ErcotProduct, type ErcotProductId } from '../../adapters/ercot/products.js';
import { ERCOT_TIME_ZONE, ercotDateOf } from '../../domain/time/ercot-calendar.js';
import type { Market } from '../../store/schema.js';

export const MARKET_OF: Record<ErcotProductId, Market> = { 'NP6-905-CD': 'rt15', 'NP4-190-CD': 'dam', 'NP6-788-CD': 'sced' };
export const INTERVAL_MINUTES_OF: Record<Market, number> = { rt15: 15, dam: 60, sced: 5 };

/** Parses a product or market name as people type it: NP6-905-CD, rt-spp, rt15, rt, dam, sced ... */
export function productFromName(name: string): ErcotProduct {
  const n = name.trim().toLowerCase();
  if (['np6-905-cd', 'rt-spp', 'rt15', 'rt', 'realtime', 'real-time'].includes(n)) return RT_SPP;
  if (['np4-190-cd', 'dam-spp', 'dam', 'day-ahead', 'da'].includes(n)) return DAM_SPP;
  if (['np6-788-cd', 'sced-lmp', 'sced', 'lmp'].includes(n)) return SCED_LMP;
  throw new Error(`unknown product "${name}" (expected rt15/NP6-905-CD, dam/NP4-190-CD or sced/NP6-788-CD)`);
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: ERCOT_TIME_ZONE }).plus({ days }).toFormat('yyyy-MM-dd');
}

/**
 * The last delivery date whose prices can exist at `nowMs`: today for real time and SCED (the day so far),
 * tomorrow for DAM once published (~13:00 Central, we allow until 14:00), else today.
 */
export function lastAvailableDate(market: Market, nowMs: number): string {
  const today = ercotDateOf(nowMs);
  if (market !== 'dam') return today;
  const local = DateTime.fromMillis(nowMs, { zone: ERCOT_TIME_ZONE });
  return local.hour >= 14 ? addDays(today, 1) : today;
}
