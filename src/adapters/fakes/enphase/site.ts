/**
 * A simulated Enphase site for the fake server: deterministic home load and solar profiles and a battery in
 * self-consumption that steps its state of charge with THE recursion (`nextSocKwh`/`socCoefficients`). Intervals
 * are computed lazily up to "now" and keyed by their end (UTC epoch ms).
 */
import { chargeKwToReach, dischargeKwToReach, nextSocKwh, socCoefficients, type BatterySpec } from '../../../domain/battery/battery.js';
import { HOUR_MS, INTERVAL_HOURS, INTERVAL_MS, intervalFloor } from '../../../domain/time/interval.js';

export interface FakeSiteSpec {
  systemId: number;
  name: string;
  timezone?: string;
  /** false → battery endpoints answer 422 "System doesn't have encharges". */
  hasBattery: boolean;
  capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
  reservePercent: number;
  initialSocPercent: number;
  /** Peak solar power (W) and average home load (W). */
  solarPeakW: number;
  loadAverageW: number;
}

export interface SimInterval {
  endMs: number;
  socPercent: number;
  chargeWh: number;
  dischargeWh: number;
  consumptionWh: number;
  productionWh: number;
  /** The three 5-minute production parts (Wh) that sum to productionWh. */
  productionPartsWh: [number, number, number];
}

export const DEFAULT_SITE: Omit<FakeSiteSpec, 'systemId' | 'name'> = {
  timezone: 'America/Chicago',
  hasBattery: true,
  capacityWh: 13_500,
  maxChargeW: 5_000,
  maxDischargeW: 5_000,
  reservePercent: 20,
  initialSocPercent: 50,
  solarPeakW: 6_000,
  loadAverageW: 1_200,
};

/** What the fake server reads of a site: its spec, its 15-minute intervals, and settings writes. */
export interface SiteTelemetry {
  readonly spec: FakeSiteSpec;
  readonly firstIntervalStartMs: number;
  readonly socPercentNow: number;
  intervals(fromMs: number, toMs: number): SimInterval[];
  get(endMs: number): SimInterval | undefined;
  configure(atMs: number, settings: { reservePercent: number; chargeFromGrid: boolean }): void;
}

/** Deterministic pseudo-noise in [0, 1) from an integer. */
function noise(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

export class SimulatedSite implements SiteTelemetry {
  private readonly byEnd = new Map<number, SimInterval>();
  private lastEndMs: number;
  private socKwh: number;
  private readonly battery: BatterySpec;
  /** The reserve in force (battery_settings PUT changes it) and whether the site may charge from the grid. */
  private reservePercent: number;
  private chargeFromGrid = false;

  constructor(readonly spec: FakeSiteSpec, readonly firstIntervalStartMs: number) {
    this.lastEndMs = intervalFloor(firstIntervalStartMs);
    this.battery = {
      capacityKwh: spec.capacityWh / 1000,
      maxChargeKw: spec.maxChargeW / 1000,
      maxDischargeKw: spec.maxDischargeW / 1000,
      roundTripEfficiency: 0.9,
      minReservePercent: spec.reservePercent,
      degradationCostUsdPerKwh: 0,
    };
    this.socKwh = (this.battery.capacityKwh * spec.initialSocPercent) / 100;
    this.reservePercent = spec.reservePercent;
  }

  /** New battery settings from `atMs` on (intervals up to then keep the old ones): the reserve, and grid charging. */
  configure(atMs: number, settings: { reservePercent: number; chargeFromGrid: boolean }): void {
    this.advanceTo(atMs);
    this.reservePercent = settings.reservePercent;
    this.chargeFromGrid = settings.chargeFromGrid;
  }

  get socPercentNow(): number {
    return (this.socKwh / this.battery.capacityKwh) * 100;
  }

  /** Intervals whose end is in (fromMs, toMs], computed up to toMs. */
  intervals(fromMs: number, toMs: number): SimInterval[] {
    this.advanceTo(toMs);
    const out: SimInterval[] = [];
    for (let end = intervalFloor(fromMs) + INTERVAL_MS; end <= toMs; end += INTERVAL_MS) {
      const iv = this.byEnd.get(end);
      if (iv && end > fromMs) out.push(iv);
    }
    return out;
  }

  get(endMs: number): SimInterval | undefined {
    this.advanceTo(endMs);
    return this.byEnd.get(endMs);
  }

  private advanceTo(toMs: number): void {
    const k = socCoefficients(this.battery, INTERVAL_HOURS);
    const reserveKwh = (this.battery.capacityKwh * this.reservePercent) / 100;
    while (this.lastEndMs + INTERVAL_MS <= toMs) {
      const end = this.lastEndMs + INTERVAL_MS;
      const mid = end - INTERVAL_MS / 2;
      const localHour = (((mid - 6 * HOUR_MS) % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS) / HOUR_MS;
      const solarW = this.spec.solarPeakW * Math.max(0, Math.sin((Math.PI * (localHour - 6.5)) / 13)) * (0.85 + 0.15 * noise(end / INTERVAL_MS));
      const eveningBump = localHour >= 17 && localHour < 22 ? 1.8 : localHour < 6 ? 0.6 : 1;
      const loadW = this.spec.loadAverageW * eveningBump * (0.8 + 0.4 * noise(end / INTERVAL_MS + 7));
      let chargeKw = 0;
      let dischargeKw = 0;
      if (this.spec.hasBattery) {
        const netKw = (solarW - loadW) / 1000;
        if (netKw > 0) chargeKw = Math.min(netKw, this.battery.maxChargeKw, chargeKwToReach(this.socKwh, this.battery.capacityKwh, k));
        // Below the reserve with charge-from-grid enabled, the battery charges from the grid up to the reserve.
        else if (this.chargeFromGrid && this.socKwh < reserveKwh) chargeKw = Math.min(this.battery.maxChargeKw, chargeKwToReach(this.socKwh, reserveKwh, k));
        else dischargeKw = Math.min(-netKw, this.battery.maxDischargeKw, dischargeKwToReach(this.socKwh, reserveKwh, k));
        this.socKwh = nextSocKwh(this.socKwh, chargeKw, dischargeKw, k);
      }
      const productionWh = Math.round(solarW * INTERVAL_HOURS);
      const a = Math.floor(productionWh / 3);
      const b = Math.floor(productionWh / 3);
      this.byEnd.set(end, {
        endMs: end,
        socPercent: this.spec.hasBattery ? Math.round((this.socKwh / this.battery.capacityKwh) * 100) : 0,
        chargeWh: Math.round(chargeKw * 1000 * INTERVAL_HOURS),
        dischargeWh: Math.round(dischargeKw * 1000 * INTERVAL_HOURS),
        consumptionWh: Math.round(loadW * INTERVAL_HOURS),
        productionWh,
        productionPartsWh: [a, b, productionWh - a - b],
      });
      this.lastEndMs = end;
    }
  }
}
