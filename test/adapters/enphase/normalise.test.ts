import { describe, expect, it } from 'vitest';
import {
  checkBatteryIntervals, checkConsumptionIntervals, checkProductionIntervals, normaliseBatteryMode, normaliseGridState, parseFlag, parseSocPercent, wireBatteryMode,
} from '../../../src/adapters/enphase/normalise.js';

const END = Date.UTC(2024, 6, 15, 17, 0) / 1000;

describe('Enphase value normalisation', () => {
  it('parses SoC given as numbers or "97%" strings and rejects the rest', () => {
    expect(parseSocPercent('97%')).toBe(97);
    expect(parseSocPercent(' 42.5 % ')).toBe(42.5);
    expect(parseSocPercent('97')).toBe(97);
    expect(parseSocPercent(63)).toBe(63);
    expect(parseSocPercent('ninety')).toBeUndefined();
    expect(parseSocPercent('')).toBeUndefined();
    expect(parseSocPercent(null)).toBeUndefined();
  });

  it.each([
    ['Savings Mode', 'savings'], ['savings', 'savings'], ['cost_savings', 'savings'],
    ['Self-consumption', 'self_consumption'], ['Self Consumption', 'self_consumption'], ['self_consumption', 'self_consumption'],
    ['Full Backup', 'full_backup'], ['Full backup', 'full_backup'], ['backup_only', 'full_backup'],
  ])('battery mode %s → %s and back to the spelling the PUT needs', (raw, mode) => {
    const m = normaliseBatteryMode(raw)!;
    expect(m).toBe(mode);
    expect(normaliseBatteryMode(wireBatteryMode(m))).toBe(m);
  });

  it('reads flags and grid states', () => {
    expect([parseFlag('enabled'), parseFlag('false'), parseFlag(true), parseFlag('maybe')]).toEqual([true, false, true, undefined]);
    expect([normaliseGridState('On Grid'), normaliseGridState('off_grid'), normaliseGridState('Unknown')]).toEqual(['on_grid', 'off_grid', 'unknown']);
  });

  it('quarantines each bad battery interval with its reason and keeps the good ones, unclamped', () => {
    const good = { end_at: END, charge: { enwh: 10 }, discharge: { enwh: 0 }, soc: { percent: '97%' } };
    const checked = checkBatteryIntervals([
      good,
      { ...good, end_at: END + 900, soc: { percent: 140 } },
      { ...good, end_at: END + 1800, discharge: { enwh: -3 } },
      { ...good, end_at: END + 2700 + 60 },
      { end_at: END + 3600, charge: { enwh: 1 }, discharge: { enwh: 1 } },
      { ...good, end_at: '2024-07-15T17:00:00Z' },
    ]);
    expect(checked.ok).toEqual([{ endMs: END * 1000, socPercent: 97, chargeWh: 10, dischargeWh: 0 }]);
    expect(checked.quarantined.map((q) => q.reason)).toEqual([
      'soc.percent 140 is outside 0..100',
      'discharge.enwh -3 Wh is negative',
      'end_at 2024-07-15T17:46:00.000Z is not on a 15-minute boundary',
      'missing field soc.percent',
      'end_at "2024-07-15T17:00:00Z" is not an epoch-seconds integer',
    ]);
  });

  it('consumption needs enwh ≥ 0 on 15-minute ends', () => {
    const c = checkConsumptionIntervals([{ end_at: END, enwh: 300 }, { end_at: END + 900 }, { end_at: END + 1800, enwh: -1 }]);
    expect(c.ok).toEqual([{ endMs: END * 1000, wh: 300 }]);
    expect(c.quarantined).toHaveLength(2);
  });

  it('production sums three 5-minute parts per 15-minute interval; incomplete or partly bad intervals are not stored', () => {
    const five = (endSec: number, enwh: number) => ({ end_at: endSec, enwh, powr: enwh * 12 });
    const p = checkProductionIntervals([
      five(END - 600, 10), five(END - 300, 20), five(END, 30), // complete → 60
      five(END + 300, 5), five(END + 600, 5), // still filling
      five(END + 1200, 1), five(END + 1500, -2), five(END + 1800, 1), // one bad part
    ]);
    expect(p.ok).toEqual([{ endMs: END * 1000, wh: 60 }]);
    expect(p.pending).toBe(1);
    expect(p.quarantined).toHaveLength(1);
    expect(p.quarantined[0].endMs).toBe((END + 1800) * 1000);
  });
});
