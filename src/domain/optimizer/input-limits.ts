/**
 * The magnitudes a PlanInput may have. Far beyond any home battery or ERCOT price, yet small enough that every
 * solver's arithmetic stays exact to its tolerances: a capacity of 1e12 kWh or a price of 1e308 $/MWh is refused
 * here, at the planner's entry, as bad input, instead of surfacing as a solution that fails verification.
 */
import type { PlanInput } from './plan-types.js';
import { InputError } from '../errors.js';
import { INTERVAL_MS } from '../time/interval.js';

export const PLAN_INPUT_LIMITS = {
  absPriceUsdPerMwh: 1e6,
  energyKwh: 1e6,
  powerKw: 1e6,
  usdPerKwh: 1e3,
  exportFactor: 1e3,
  cyclesPerDay: 1e3,
} as const;

function within(value: number, max: number, field: string, unit: string, min = 0): void {
  if (!(value >= min && value <= max)) throw new InputError(`must be between ${min} and ${max} ${unit} (got ${value})`.trim(), { field });
}

/** Throws InputError naming the field (and the interval, for per-interval values) when a value is out of range. */
export function checkPlanInputLimits(input: PlanInput): void {
  const L = PLAN_INPUT_LIMITS;
  const b = input.battery;
  within(b.capacityKwh, L.energyKwh, 'battery.capacityKwh', 'kWh');
  within(b.maxChargeKw, L.powerKw, 'battery.maxChargeKw', 'kW');
  within(b.maxDischargeKw, L.powerKw, 'battery.maxDischargeKw', 'kW');
  within(b.degradationCostUsdPerKwh, L.usdPerKwh, 'battery.degradationCostUsdPerKwh', '$/kWh');
  within(input.initialSocKwh, L.energyKwh, 'initialSocKwh', 'kWh');
  within(input.tariff.importAdderUsdPerKwh, L.usdPerKwh, 'tariff.importAdderUsdPerKwh', '$/kWh', -L.usdPerKwh);
  within(input.tariff.exportFactor, L.exportFactor, 'tariff.exportFactor', '');
  if (input.terminal.kind === 'value') within(input.terminal.usdPerKwh, L.usdPerKwh, 'terminal.usdPerKwh', '$/kWh', -L.usdPerKwh);
  if (input.maxCyclesPerDay !== undefined) within(input.maxCyclesPerDay, L.cyclesPerDay, 'maxCyclesPerDay', 'cycles');
  for (let i = 0; i < input.priceUsdPerMwh.length; i++) {
    const where = (field: string) => ({ field, interval: new Date(input.startMs + i * INTERVAL_MS).toISOString() });
    if (!(Math.abs(input.priceUsdPerMwh[i]) <= L.absPriceUsdPerMwh)) throw new InputError(`price ${input.priceUsdPerMwh[i]} $/MWh is beyond ±${L.absPriceUsdPerMwh}`, where('priceUsdPerMwh'));
    if (!(input.loadKw[i] <= L.powerKw)) throw new InputError(`load ${input.loadKw[i]} kW is above ${L.powerKw}`, where('loadKw'));
    if (!(input.solarKw[i] <= L.powerKw)) throw new InputError(`solar ${input.solarKw[i]} kW is above ${L.powerKw}`, where('solarKw'));
  }
}
