/** "What changed" between two plan versions: windows unchanged, moved, added, dropped. */
import { describe, expect, it } from 'vitest';
import { diffWindows, planChanges } from '../../src/web/loaders/changes.js';
import { getPlanByVersion, insertVersionedPlan } from '../../src/store/dispatch-repo.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';
import { backends, useDatabase } from '../store/harness.js';
import { testSite } from '../store/fixtures.js';

const H = 3_600_000;
const w = (mode: string, startH: number, endH: number, powerKw = 5) => ({ mode, powerKw, targetReservePercent: 20, startMs: startH * H, endMs: endH * H, reason: `${mode} ${startH}-${endH}` });

describe('diffWindows', () => {
  it('an identical window is not reported; an overlapping one of the same mode is moved; others added/dropped', () => {
    const before = [w('charge', 2, 5), w('discharge', 19, 20), w('discharge', 7, 8)];
    const after = [w('charge', 2, 5), w('discharge', 18.5, 20), w('charge', 13, 14)];
    const d = diffWindows(before, after);
    expect(d.moved).toEqual([{ before: w('discharge', 19, 20), after: w('discharge', 18.5, 20) }]);
    expect(d.added).toEqual([w('charge', 13, 14)]);
    expect(d.dropped).toEqual([w('discharge', 7, 8)]);
  });

  it('a change of power alone is a move; a change of mode is a drop plus an add', () => {
    const d = diffWindows([w('discharge', 19, 20, 5)], [w('discharge', 19, 20, 3)]);
    expect(d.moved).toHaveLength(1);
    const m = diffWindows([w('discharge', 19, 20)], [w('charge', 19, 20)]);
    expect(m.moved).toEqual([]);
    expect(m.added).toEqual([w('charge', 19, 20)]);
    expect(m.dropped).toEqual([w('discharge', 19, 20)]);
  });

  it('nothing changed: all empty', () => {
    expect(diffWindows([w('charge', 1, 2)], [w('charge', 1, 2)])).toEqual({ added: [], dropped: [], moved: [] });
  });
});

describe.each(backends())('planChanges reads the two plans\' price arrays on $name', (backend) => {
  const db = useDatabase(backend);
  it('counts the intervals whose forecast price moved more than a cent, and the largest move', async () => {
    await upsertSite(db().db, testSite('c1'));
    const h0 = Date.UTC(2026, 6, 1, 5);
    const plan = (prices: Array<number | null>) => insertVersionedPlan(db().db, {
      siteId: 'c1', horizonStartMs: h0, horizonEndMs: h0 + prices.length * INTERVAL_MS, solver: 'dp', status: 'optimal', objectiveUsd: 0, inputs: {}, outputs: {},
      intervals: prices.map((price, i) => ({ intervalStartMs: h0 + i * INTERVAL_MS, chargeKw: 0, dischargeKw: 0, gridImportKw: 0, gridExportKw: 0, socKwhEnd: 5, priceUsdPerMwh: price })),
    });
    await plan([20, 30, 40, 50, null]);
    await plan([20, 30.005, 47.5, 45, 60]);
    const v2 = (await getPlanByVersion(db().db, 'c1', 2))!;
    const changes = await planChanges(db().db, 'c1', v2);
    expect(changes.why).toContain('new prices: 2 intervals re-forecast (up to $7.50/MWh apart)');
  });
});
