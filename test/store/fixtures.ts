import type { SiteInput } from '../../src/store/sites-repo.js';

export function testSite(siteId: string, overrides: Partial<SiteInput> = {}): SiteInput {
  return {
    siteId,
    enphaseSystemId: `sys-${siteId}`,
    name: `Test ${siteId}`,
    settlementPoint: 'LZ_HOUSTON',
    battery: { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 },
    reservePercent: 20,
    tariff: { importAdderUsdPerKwh: 0.06, exportFactor: 1 },
    controlChannel: 'enphase-tou',
    controlSettings: { profile: 'self-consumption' },
    ...overrides,
  };
}
