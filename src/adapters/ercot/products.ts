/**
 * The three ERCOT price products the engine ingests: their EMIL ids, Public API paths, the wire field names the
 * query endpoints return, and the legacy CSV column names found in archive bundles.
 */
import { INTERVAL_MS } from '../../domain/time/interval.js';
export type ErcotProductId = 'NP6-905-CD' | 'NP4-190-CD' | 'NP6-788-CD';

export interface ErcotProduct {
  id: ErcotProductId;
  /** Short name used in the database and on the command line. */
  key: 'rt-spp' | 'dam-spp' | 'sced-lmp';
  title: string;
  path: string;
  /** Length of one priced period (SCED runs are instants: 0). */
  periodMs: number;
  /** Wire field names, in the order ERCOT returns them. */
  fields: readonly string[];
}

export const RT_SPP: ErcotProduct = {
  id: 'NP6-905-CD',
  key: 'rt-spp',
  title: 'Real-time 15-minute settlement point prices',
  path: '/np6-905-cd/spp_node_zone_hub',
  periodMs: INTERVAL_MS,
  fields: ['deliveryDate', 'deliveryHour', 'deliveryInterval', 'settlementPoint', 'settlementPointType', 'settlementPointPrice', 'DSTFlag'],
};

export const DAM_SPP: ErcotProduct = {
  id: 'NP4-190-CD',
  key: 'dam-spp',
  title: 'Day-ahead hourly settlement point prices',
  path: '/np4-190-cd/dam_stlmnt_pnt_prices',
  periodMs: 60 * 60_000,
  fields: ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'],
};

export const SCED_LMP: ErcotProduct = {
  id: 'NP6-788-CD',
  key: 'sced-lmp',
  title: 'SCED locational marginal prices',
  path: '/np6-788-cd/lmp_node_zone_hub',
  periodMs: 0,
  fields: ['SCEDTimestamp', 'repeatHourFlag', 'settlementPoint', 'LMP'],
};

export const ERCOT_PRODUCTS: readonly ErcotProduct[] = [RT_SPP, DAM_SPP, SCED_LMP];

/** Settlement point types that duplicate another row for the same name and interval (energy-weighted load zones). */
export const DEFAULT_EXCLUDED_POINT_TYPES: readonly string[] = ['LZEW'];

/** The client's typed result: one price for one settlement point and one period, as a UTC instant. */
export interface ErcotPriceRow {
  product: ErcotProductId;
  settlementPoint: string;
  /** RT only: HU, LZ, LZEW, RN, ... */
  settlementPointType?: string;
  /** ERCOT delivery date (local), YYYY-MM-DD. */
  deliveryDate: string;
  /** UTC start of the priced period (SCED: the run's timestamp). */
  intervalStartMs: number;
  priceUsdPerMwh: number;
}
