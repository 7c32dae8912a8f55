/** Test helpers: plan inputs from random or real ERCOT prices (tiny local CSV reader; the real readers live elsewhere). */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import type { BatterySpec } from '../../../src/domain/battery/battery.js';
import type { PlanInput, TerminalCondition } from '../../../src/domain/optimizer/plan-types.js';
import { ercotIntervalStartMs } from '../../../src/domain/time/ercot-calendar.js';
import { INTERVAL_HOURS } from '../../../src/domain/time/interval.js';

export const battery: BatterySpec = {
  capacityKwh: 13.5,
  maxChargeKw: 5,
  maxDischargeKw: 5,
  roundTripEfficiency: 0.9,
  minReservePercent: 20,
  degradationCostUsdPerKwh: 0.02,
};

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeInput(prices: ArrayLike<number>, opts: Partial<PlanInput> & { seed?: number; withSolar?: boolean } = {}): PlanInput {
  const n = prices.length;
  const r = rng(opts.seed ?? 1);
  const loadKw = new Float64Array(n);
  const solarKw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    loadKw[i] = 0.5 + 2.5 * r();
    if (opts.withSolar !== false) {
      const hod = (i % 96) / 4;
      solarKw[i] = hod > 7 && hod < 19 ? Math.max(0, 6 * Math.sin(((hod - 7) / 12) * Math.PI) * (0.6 + 0.4 * r())) : 0;
    }
  }
  const { seed: _s, withSolar: _w, ...rest } = opts;
  return {
    startMs: Date.UTC(2024, 7, 1, 5),
    intervalHours: INTERVAL_HOURS,
    battery,
    initialSocKwh: 6,
    priceUsdPerMwh: Float64Array.from(prices),
    loadKw,
    solarKw,
    exportAllowed: new Uint8Array(n).fill(1),
    tariff: { importAdderUsdPerKwh: 0.03, exportFactor: 1 },
    terminal: { kind: 'value', usdPerKwh: 0.04 } as TerminalCondition,
    ...rest,
  };
}

export function randomPrices(n: number, seed: number, opts: { negative?: boolean; spikes?: boolean } = {}): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let p = 20 + 40 * r() + 30 * Math.sin((i / 96) * 2 * Math.PI);
    if (opts.negative && r() < 0.15) p = -300 * r();
    if (opts.spikes && r() < 0.03) p = 5000 + 3000 * r();
    out[i] = p;
  }
  return out;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const RTM_DIR = path.resolve(here, '../../../datasets/ercot/rtm-spp-15min');

/** Reads one settlement point's 15-minute RTM prices from an ERCOT yearly-layout CSV (gzipped), sorted by interval start. */
export function readRtmCsv(file: string, settlementPoint = 'HB_HOUSTON'): { startMs: number; priceUsdPerMwh: Float64Array } {
  const lines = readDataFileSync(path.join(RTM_DIR, file)).split(/\r?\n/);
  const rows: Array<[number, number]> = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const f = line.split(',');
    if (f[4] !== settlementPoint) continue;
    const [mm, dd, yyyy] = f[0].split('/');
    rows.push([ercotIntervalStartMs(`${yyyy}-${mm}-${dd}`, Number(f[1]), Number(f[2]), f[3] === 'Y'), Number(f[6])]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return { startMs: rows[0][0], priceUsdPerMwh: Float64Array.from(rows, (r) => r[1]) };
}
