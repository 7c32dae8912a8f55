/**
 * Wire values → engine values. Telemetry is checked interval by interval: a bad interval is returned as
 * quarantined with a reason and the rest of the batch goes on. Nothing is clamped: SoC 140 % is not 100 %.
 */
import { INTERVAL_MS, MINUTE_MS } from '../../domain/time/interval.js';

export type BatteryMode = 'savings' | 'self_consumption' | 'full_backup';
export type GridState = 'on_grid' | 'off_grid' | 'unknown';
export type TelemetryProduct = 'battery' | 'consumption' | 'production';

/** "97%", "97 %", "97", 97 → 97; anything else → undefined. */
export function parseSocPercent(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Enphase's examples spell modes several ways ("Savings Mode", "savings", "Self Consumption", "self-consumption", "Full Backup", "backup_only"). */
export function normaliseBatteryMode(raw: string): BatteryMode | undefined {
  const k = raw.toLowerCase().replace(/[^a-z]/g, '');
  if (['savings', 'savingsmode', 'costsavings', 'costsavingsmode', 'tou', 'economy'].includes(k)) return 'savings';
  if (['selfconsumption', 'selfconsumptionmode', 'self', 'selfpowered', 'selfsupply'].includes(k)) return 'self_consumption';
  if (['fullbackup', 'backup', 'backuponly', 'fullbackupmode'].includes(k)) return 'full_backup';
  return undefined;
}

/** The spelling Enphase's PUT requires (case sensitive). */
export function wireBatteryMode(mode: BatteryMode): string {
  return mode === 'savings' ? 'Savings Mode' : mode === 'self_consumption' ? 'Self-consumption' : 'Full Backup';
}

/** "enabled"/"true"/true → true, "disabled"/"false"/false → false, else undefined. */
export function parseFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const k = value.trim().toLowerCase();
  if (['enabled', 'enable', 'true', 'on', 'yes', 'active'].includes(k)) return true;
  if (['disabled', 'disable', 'false', 'off', 'no', 'inactive'].includes(k)) return false;
  return undefined;
}

export function normaliseGridState(raw: string): GridState {
  const k = raw.toLowerCase().replace(/[^a-z]/g, '');
  if (k === 'ongrid') return 'on_grid';
  if (k === 'offgrid') return 'off_grid';
  return 'unknown';
}

export interface BatteryReading {
  endMs: number;
  socPercent: number;
  chargeWh: number;
  dischargeWh: number;
}

export interface EnergyReading {
  endMs: number;
  wh: number;
}

export interface Quarantined {
  product: TelemetryProduct;
  /** The interval end when it could be read at all. */
  endMs?: number;
  reason: string;
  raw: unknown;
}

export interface Checked<T> {
  ok: T[];
  quarantined: Quarantined[];
  /** 5-minute production intervals still waiting for the rest of their 15-minute interval. */
  pending: number;
}

function readEnd(item: Record<string, unknown>, stepMs: number): { endMs?: number; problem?: string } {
  const v = item.end_at;
  if (v === undefined || v === null) return { problem: 'missing field end_at' };
  if (typeof v !== 'number' || !Number.isInteger(v)) return { problem: `end_at ${JSON.stringify(v)} is not an epoch-seconds integer` };
  const endMs = v * 1000;
  if (endMs % stepMs !== 0) return { endMs, problem: `end_at ${new Date(endMs).toISOString()} is not on a ${stepMs / MINUTE_MS}-minute boundary` };
  return { endMs };
}

function readEnergy(value: unknown, field: string): { wh?: number; problem?: string } {
  if (value === undefined || value === null) return { problem: `missing field ${field}` };
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return { problem: `${field} ${JSON.stringify(value)} is not a number` };
  if (n < 0) return { problem: `${field} ${n} Wh is negative` };
  return { wh: n };
}

function nested(item: Record<string, unknown>, a: string, b: string): unknown {
  const o = item[a];
  return o && typeof o === 'object' ? (o as Record<string, unknown>)[b] : undefined;
}

export function checkBatteryIntervals(items: Record<string, unknown>[]): Checked<BatteryReading> {
  const out: Checked<BatteryReading> = { ok: [], quarantined: [], pending: 0 };
  for (const item of items) {
    const problems: string[] = [];
    const end = readEnd(item, INTERVAL_MS);
    if (end.problem) problems.push(end.problem);
    const rawSoc = nested(item, 'soc', 'percent');
    const soc = parseSocPercent(rawSoc);
    if (rawSoc === undefined || rawSoc === null) problems.push('missing field soc.percent');
    else if (soc === undefined) problems.push(`soc.percent ${JSON.stringify(rawSoc)} is not a percentage`);
    else if (soc < 0 || soc > 100) problems.push(`soc.percent ${soc} is outside 0..100`);
    const charge = readEnergy(nested(item, 'charge', 'enwh'), 'charge.enwh');
    const discharge = readEnergy(nested(item, 'discharge', 'enwh'), 'discharge.enwh');
    if (charge.problem) problems.push(charge.problem);
    if (discharge.problem) problems.push(discharge.problem);
    if (problems.length) out.quarantined.push({ product: 'battery', endMs: end.endMs, reason: problems.join('; '), raw: item });
    else out.ok.push({ endMs: end.endMs!, socPercent: soc!, chargeWh: charge.wh!, dischargeWh: discharge.wh! });
  }
  return out;
}

/** consumption_meter: 15-minute intervals `{end_at, enwh}`. */
export function checkConsumptionIntervals(items: Record<string, unknown>[]): Checked<EnergyReading> {
  const out: Checked<EnergyReading> = { ok: [], quarantined: [], pending: 0 };
  for (const item of items) {
    const problems: string[] = [];
    const end = readEnd(item, INTERVAL_MS);
    if (end.problem) problems.push(end.problem);
    const e = readEnergy(item.enwh, 'enwh');
    if (e.problem) problems.push(e.problem);
    if (problems.length) out.quarantined.push({ product: 'consumption', endMs: end.endMs, reason: problems.join('; '), raw: item });
    else out.ok.push({ endMs: end.endMs!, wh: e.wh! });
  }
  return out;
}

const FIVE_MIN_MS = 5 * MINUTE_MS;

/**
 * production_micro reports 5-minute intervals at granularity=day (spec): three of them make one 15-minute
 * interval, stored only once all three are in (the newest keeps filling; the trailing re-read picks it up).
 */
export function checkProductionIntervals(items: Record<string, unknown>[]): Checked<EnergyReading> {
  const out: Checked<EnergyReading> = { ok: [], quarantined: [], pending: 0 };
  const buckets = new Map<number, Map<number, number>>();
  const bad = new Set<number>();
  for (const item of items) {
    const problems: string[] = [];
    const end = readEnd(item, FIVE_MIN_MS);
    if (end.problem) problems.push(end.problem);
    const e = readEnergy(item.enwh, 'enwh');
    if (e.problem) problems.push(e.problem);
    const bucketEnd = end.endMs !== undefined ? Math.ceil(end.endMs / INTERVAL_MS) * INTERVAL_MS : undefined;
    if (problems.length) {
      out.quarantined.push({ product: 'production', endMs: bucketEnd, reason: problems.join('; '), raw: item });
      if (bucketEnd !== undefined && !end.problem) bad.add(bucketEnd);
      continue;
    }
    const b = buckets.get(bucketEnd!) ?? new Map<number, number>();
    b.set(end.endMs!, e.wh!);
    buckets.set(bucketEnd!, b);
  }
  for (const [endMs, parts] of [...buckets].sort((x, y) => x[0] - y[0])) {
    if (bad.has(endMs)) continue; // one of its parts is quarantined: the sum would be wrong
    if (parts.size < 3) {
      out.pending += 1;
      continue;
    }
    let wh = 0;
    for (const v of parts.values()) wh += v;
    out.ok.push({ endMs, wh });
  }
  return out;
}
