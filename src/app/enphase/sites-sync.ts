/**
 * `sites sync`: the account's systems become sites. New sites get the default settlement point and battery facts
 * from `summary` (battery_capacity_wh, battery_charge_w, battery_discharge_w) and `battery_settings`
 * (reserve_soc, mode); existing sites keep what people set (settlement point, tariff, control channel) and get
 * the battery facts updated. A system without batteries (422) becomes a site with a zero-capacity battery.
 */
import type { EnphaseClient } from '../../adapters/enphase/client.js';
import { SiteWithoutBattery } from '../../adapters/enphase/errors.js';
import { normaliseBatteryMode, parseFlag } from '../../adapters/enphase/normalise.js';
import type { WireBatterySettings } from '../../adapters/enphase/wire.js';
import type { BatterySpec } from '../../domain/battery/battery.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { getSiteByEnphaseSystemId, upsertSite } from '../../store/sites-repo.js';
import { patchSiteState } from '../telemetry/enphase-tables.js';
import { updateAccountMetadata } from './tokens.js';

export function siteIdFor(systemId: number | string): string {
  return `enphase-${systemId}`;
}

export interface SyncedSite {
  siteId: string;
  systemId: number;
  name: string;
  created: boolean;
  hasBattery: boolean;
  capacityKwh: number;
  reservePercent: number;
}

export async function syncSites(opts: { db: Executor; box: SecretBox; client: EnphaseClient; clock: Clock; accountKey: string; defaultSettlementPoint: string }): Promise<SyncedSite[]> {
  const { db, client } = opts;
  const systems = await client.listSystems();
  const out: SyncedSite[] = [];
  for (const system of systems) {
    const summary = await client.summary(system.system_id);
    let settings: WireBatterySettings | undefined;
    try {
      settings = await client.batterySettings(system.system_id);
    } catch (error) {
      if (!(error instanceof SiteWithoutBattery)) throw error;
    }
    const hasBattery = settings !== undefined && (summary.battery_capacity_wh ?? 0) > 0;
    const existing = await getSiteByEnphaseSystemId(db, String(system.system_id));
    const reservePercent = settings ? settings.reserve_soc : existing?.reservePercent ?? 0;
    const battery: BatterySpec = {
      capacityKwh: hasBattery ? (summary.battery_capacity_wh ?? 0) / 1000 : 0,
      maxChargeKw: hasBattery ? (summary.battery_charge_w ?? 0) / 1000 : 0,
      maxDischargeKw: hasBattery ? (summary.battery_discharge_w ?? 0) / 1000 : 0,
      roundTripEfficiency: existing?.battery.roundTripEfficiency ?? 0.9,
      minReservePercent: reservePercent,
      degradationCostUsdPerKwh: existing?.battery.degradationCostUsdPerKwh ?? 0,
    };
    const siteId = existing?.siteId ?? siteIdFor(system.system_id);
    await upsertSite(db, {
      siteId,
      enphaseSystemId: String(system.system_id),
      name: system.name ?? existing?.name ?? `Enphase ${system.system_id}`,
      timeZone: existing?.timeZone ?? system.timezone ?? 'America/Chicago',
      settlementPoint: existing?.settlementPoint ?? opts.defaultSettlementPoint,
      battery,
      reservePercent,
      tariff: existing?.tariff ?? null,
      controlChannel: existing?.controlChannel ?? (hasBattery ? 'enphase-basic' : 'none'),
      controlSettings: existing?.controlSettings ?? null,
      gridServicesEnrolled: existing?.gridServicesEnrolled ?? false,
      status: existing?.status === 'needs_reauth' ? 'active' : existing?.status ?? 'active',
    });
    const now = opts.clock.nowMs();
    await patchSiteState(db, siteId, {
      hasBattery,
      ...(settings ? {
        batteryMode: normaliseBatteryMode(settings.battery_mode) ?? null, batteryModeRaw: settings.battery_mode, reserveSoc: settings.reserve_soc,
        chargeFromGrid: parseFlag(settings.charge_from_grid) ?? null, settingsFetchedAtMs: now,
      } : {}),
    });
    out.push({ siteId, systemId: system.system_id, name: system.name ?? siteId, created: !existing, hasBattery, capacityKwh: battery.capacityKwh, reservePercent });
  }
  await updateAccountMetadata(db, opts.box, opts.accountKey, { systemIds: systems.map((s) => String(s.system_id)) });
  return out;
}
