/**
 * Money arithmetic for one site and one interval, written once: used by the optimizer's objective coefficients,
 * the optimizer's verifier and the replay settlement.
 *
 *   import cost per kWh   = price/1000 + importAdder
 *   export credit per kWh = price/1000 × exportFactor   (solar surplus always; battery export only where allowed)
 */
export interface Tariff {
  importAdderUsdPerKwh: number;
  exportFactor: number;
}

export function importUsdPerKwh(priceUsdPerMwh: number, tariff: Tariff): number {
  return priceUsdPerMwh / 1000 + tariff.importAdderUsdPerKwh;
}

export function exportUsdPerKwh(priceUsdPerMwh: number, tariff: Tariff): number {
  return (priceUsdPerMwh / 1000) * tariff.exportFactor;
}

export interface SiteFlowsKw {
  loadKw: number;
  solarKw: number;
  chargeKw: number;
  dischargeKw: number;
}

export interface GridFlowsKw {
  importKw: number;
  exportKw: number;
}

/** Net metering: the grid sees load − solar + charge − discharge; positive is import. */
export function gridFlowsKw(f: SiteFlowsKw): GridFlowsKw {
  return gridFlowsOfNetKw(f.loadKw - f.solarKw + f.chargeKw - f.dischargeKw);
}

/** A net grid power (positive = import) split into import and export, never both and never −0. */
export function gridFlowsOfNetKw(netKw: number): GridFlowsKw {
  return netKw > 0 ? { importKw: netKw, exportKw: 0 } : { importKw: 0, exportKw: netKw < 0 ? -netKw : 0 };
}

/** Energy cost of the site for one interval in dollars (negative = the site earned money). */
export function siteCostUsd(f: SiteFlowsKw, priceUsdPerMwh: number, tariff: Tariff, intervalHours: number): number {
  const g = gridFlowsKw(f);
  return (
    g.importKw * intervalHours * importUsdPerKwh(priceUsdPerMwh, tariff) -
    g.exportKw * intervalHours * exportUsdPerKwh(priceUsdPerMwh, tariff)
  );
}

/** Degradation cost of an interval's discharge, dollars. */
export function degradationUsd(dischargeKw: number, intervalHours: number, costUsdPerKwh: number): number {
  return dischargeKw * intervalHours * costUsdPerKwh;
}

/**
 * The most a battery may discharge in an interval where export is not allowed: only the home's own net load.
 * Where export is allowed the battery's own power limit applies.
 */
export function maxDischargeKwFor(maxDischargeKw: number, loadKw: number, solarKw: number, exportAllowed: boolean): number {
  return exportAllowed ? maxDischargeKw : Math.min(maxDischargeKw, Math.max(0, loadKw - solarKw));
}
