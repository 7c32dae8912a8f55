/** Simulated intervals → the v4 wire shapes, with optional corruption of one interval (bad-input tests). */
import type { SimInterval } from './site.js';


export type Corruption = 'soc140' | 'negativeEnergy' | 'misaligned' | 'missingField' | 'socString';

export function renderBattery(iv: SimInterval, corrupt: Corruption | undefined, socAsString: boolean): Record<string, unknown> {
  const soc: unknown = socAsString || corrupt === 'socString' ? `${iv.socPercent}%` : iv.socPercent;
  const out: Record<string, unknown> = {
    end_at: iv.endMs / 1000,
    charge: { enwh: iv.chargeWh, devices_reporting: 1 },
    discharge: { enwh: iv.dischargeWh, devices_reporting: 1 },
    soc: { percent: soc, devices_reporting: 1 },
  };
  if (corrupt === 'soc140') out.soc = { percent: 140, devices_reporting: 1 };
  if (corrupt === 'negativeEnergy') out.charge = { enwh: -250, devices_reporting: 1 };
  if (corrupt === 'misaligned') out.end_at = iv.endMs / 1000 - 7 * 60;
  if (corrupt === 'missingField') delete out.soc;
  return out;
}

export function renderEnergy(iv: SimInterval, wh: number, corrupt: Corruption | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { end_at: iv.endMs / 1000, devices_reporting: 1, enwh: wh };
  if (corrupt === 'negativeEnergy') out.enwh = -wh - 1;
  if (corrupt === 'misaligned') out.end_at = iv.endMs / 1000 - 7 * 60;
  if (corrupt === 'missingField') delete out.enwh;
  return out;
}

/** Three 5-minute intervals per 15-minute interval (production_micro at granularity=day). */
export function renderProduction(iv: SimInterval, corrupt: Corruption | undefined): Array<Record<string, unknown> & { end_at: number }> {
  return iv.productionPartsWh.map((wh, i) => {
    const endAt = iv.endMs / 1000 - (2 - i) * 300;
    const out: Record<string, unknown> & { end_at: number } = { end_at: endAt, devices_reporting: 20, powr: wh * 12, enwh: wh };
    if (i === 2 && corrupt === 'negativeEnergy') out.enwh = -5;
    return out;
  });
}
