/**
 * An Enphase fake site whose telemetry is what a control-channel fake's battery (fake-battery.ts: the device
 * simulator behind the VPP and Texture fakes) really did: the Enphase fake then reports the charge, discharge and
 * state of charge that the commands produced, so the engine's telemetry ingest, re-anchoring and reconciliation see
 * the same battery the dispatcher commands. Home load and solar are the battery's own site conditions. Like the
 * real service, SoC is whole percent and energies whole Wh; settings writes (battery_settings PUT) do not move this
 * battery (the channel fake owns it).
 */
import { INTERVAL_HOURS, INTERVAL_MS, intervalFloor } from '../../../domain/time/interval.js';
import type { FakeBattery } from '../control/fake-battery.js';
import type { BatterySpec } from '../../../domain/battery/battery.js';
import type { FakeSiteSpec, SimInterval, SiteTelemetry } from './site.js';

/** The Enphase fake's description of a system whose battery is `battery` (capacity, power limits, reserve). */
export function siteSpecOfBattery(systemId: number, battery: BatterySpec): Partial<FakeSiteSpec> & { systemId: number } {
  return { systemId, reservePercent: battery.minReservePercent, capacityWh: battery.capacityKwh * 1000, maxChargeW: battery.maxChargeKw * 1000, maxDischargeW: battery.maxDischargeKw * 1000 };
}

export class BatteryBackedSite implements SiteTelemetry {
  readonly firstIntervalStartMs: number;

  /** `battery()` returns the battery advanced to now (VppEventBook.battery, FakeTexture.battery). */
  constructor(readonly spec: FakeSiteSpec, private readonly battery: () => FakeBattery) {
    this.firstIntervalStartMs = battery().timeMs;
  }

  /** Storm Guard's alert as the channel fake's battery has it (Storm Guard turned on there shows here too: one device). */
  stormAlertAt(ms: number): boolean {
    return this.battery().stormGuardAt(ms);
  }

  get socPercentNow(): number {
    return this.battery().socPercent;
  }

  configure(): void {
    // The channel fake's battery follows its own commands; a v4 settings write is recorded by the server only.
  }

  intervals(fromMs: number, toMs: number): SimInterval[] {
    const b = this.battery();
    const out: SimInterval[] = [];
    for (const iv of b.intervals) {
      const endMs = iv.startMs + INTERVAL_MS;
      if (endMs <= fromMs || endMs > toMs) continue;
      const c = b.conditionsAt(iv.startMs);
      const productionWh = Math.round(c.solarKw * 1000 * INTERVAL_HOURS);
      const third = Math.floor(productionWh / 3);
      out.push({
        endMs,
        socPercent: Math.round((iv.socEndKwh / b.spec.capacityKwh) * 100),
        chargeWh: Math.round(iv.chargeKw * 1000 * INTERVAL_HOURS),
        dischargeWh: Math.round(iv.dischargeKw * 1000 * INTERVAL_HOURS),
        consumptionWh: Math.round(c.loadKw * 1000 * INTERVAL_HOURS),
        productionWh,
        productionPartsWh: [third, third, productionWh - 2 * third],
      });
    }
    return out;
  }

  get(endMs: number): SimInterval | undefined {
    return this.intervals(intervalFloor(endMs) - INTERVAL_MS, endMs).find((iv) => iv.endMs === endMs);
  }
}
