/**
 * Fair accounting of the energy a strategy leaves behind: every strategy ends under the same rule, so capture rates
 * compare like with like. The stated price is the period's median real-time price; it goes through the tariff and
 * the round trip:
 * - energy above the initial SoC (kWh of SoC) is worth √rte × (sell price − degradation) per kWh, never below 0:
 *   sell price = median × exportFactor where battery export is allowed in the period, otherwise the import it
 *   would displace (median + import adder);
 * - energy below the initial SoC is owed: it costs (median + import adder) / √rte per kWh to buy back.
 * Pure; the same function serves every strategy.
 */
import { importUsdPerKwh, exportUsdPerKwh } from '../economics/site-cost.js';
import type { ReplayData } from './replay-data.js';
import { realTimePrices } from './settle.js';

export interface TerminalRule {
  /** The one price every strategy's leftover energy is valued at, $/MWh. */
  priceUsdPerMwh: number;
  /** Value per kWh of SoC above the initial SoC, USD. */
  surplusUsdPerKwh: number;
  /** Cost per kWh of SoC below the initial SoC, USD. */
  deficitUsdPerKwh: number;
  initialSocKwh: number;
  description: string;
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function terminalRule(data: ReplayData): TerminalRule {
  const priceUsdPerMwh = median(realTimePrices(data));
  const sqrtRte = Math.sqrt(data.battery.roundTripEfficiency);
  let exportAnywhere = false;
  for (let i = 0; i < data.n && !exportAnywhere; i++) exportAnywhere = data.exportAllowed[i] === 1;
  const sellUsdPerKwh = exportAnywhere ? exportUsdPerKwh(priceUsdPerMwh, data.tariff) : importUsdPerKwh(priceUsdPerMwh, data.tariff);
  const surplusUsdPerKwh = Math.max(0, sellUsdPerKwh - data.battery.degradationCostUsdPerKwh) * sqrtRte;
  const deficitUsdPerKwh = importUsdPerKwh(priceUsdPerMwh, data.tariff) / sqrtRte;
  const description =
    `leftover energy vs the initial SoC valued at the period's median real-time price ${priceUsdPerMwh.toFixed(2)} $/MWh: ` +
    `+$${surplusUsdPerKwh.toFixed(4)} per kWh above (${exportAnywhere ? 'exported' : 'displacing imports'}, after losses and degradation), ` +
    `−$${deficitUsdPerKwh.toFixed(4)} per kWh below (bought back, after losses)`;
  return { priceUsdPerMwh, surplusUsdPerKwh, deficitUsdPerKwh, initialSocKwh: data.initialSocKwh, description };
}

/** The terminal value of ending at `finalSocKwh` (positive: energy left over; negative: energy owed). */
export function terminalValueUsd(rule: TerminalRule, finalSocKwh: number): number {
  const diff = finalSocKwh - rule.initialSocKwh;
  return diff >= 0 ? diff * rule.surplusUsdPerKwh : diff * rule.deficitUsdPerKwh;
}
