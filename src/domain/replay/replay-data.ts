/** Everything a replay needs, already read and checked: arrays per 15-minute interval, no files, no I/O. */
import type { BatterySpec } from '../battery/battery.js';
import type { Tariff } from '../economics/site-cost.js';
import type { PlanInput } from '../optimizer/plan-types.js';
import type { PriceSeries } from '../prices/price-series.js';
import type { BaseMode } from '../simulator/device-simulator.js';
import { INTERVAL_HOURS, INTERVAL_MS } from '../time/interval.js';

/** Site arrays run this many intervals past the end so a rolling horizon near the end has inputs (7 days). */
export const HORIZON_PADDING_INTERVALS = 7 * 96;

export interface ReplayData {
  name: string;
  settlementPoint: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
  /** Intervals in [startMs, endMs). */
  n: number;
  battery: BatterySpec;
  initialSocKwh: number;
  /** Real-time prices; complete over [startMs, endMs), may start earlier (history for forecasts). */
  realTime: PriceSeries;
  /** Day-ahead prices (hourly values on each 15-minute interval), NaN where unknown; null when the scenario has none. */
  dayAhead: PriceSeries | null;
  /** n + HORIZON_PADDING_INTERVALS values each (the padding repeats the last days). */
  loadKw: Float64Array;
  solarKw: Float64Array;
  exportAllowed: Uint8Array;
  tariff: Tariff;
  maxCyclesPerDay?: number;
  baseMode: BaseMode;
}

/** A plan input over intervals [from, from + count) of the replay (count may run past n into the padding). */
export function planInputFor(data: ReplayData, from: number, count: number, pricesUsdPerMwh: Float64Array, initialSocKwh: number, terminal: PlanInput['terminal']): PlanInput {
  return {
    startMs: data.startMs + from * INTERVAL_MS,
    intervalHours: INTERVAL_HOURS,
    battery: data.battery,
    initialSocKwh,
    priceUsdPerMwh: pricesUsdPerMwh,
    loadKw: data.loadKw.subarray(from, from + count),
    solarKw: data.solarKw.subarray(from, from + count),
    exportAllowed: data.exportAllowed.subarray(from, from + count),
    tariff: data.tariff,
    terminal,
    ...(data.maxCyclesPerDay !== undefined ? { maxCyclesPerDay: data.maxCyclesPerDay } : {}),
  };
}
