/** The value a plan puts on energy left at its horizon's end. */
/**
 * Value of a kWh of state of charge left at a horizon's end: it would be discharged later at about the median
 * forecast price, delivering √rte kWh AC per kWh of SoC, each paying the degradation cost.
 */
export function terminalValueUsdPerKwh(forecastUsdPerMwh: Float64Array, roundTripEfficiency: number, degradationCostUsdPerKwh = 0): number {
  const sorted = Float64Array.from(forecastUsdPerMwh).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.max(0, median / 1000 - degradationCostUsdPerKwh) * Math.sqrt(roundTripEfficiency);
}
