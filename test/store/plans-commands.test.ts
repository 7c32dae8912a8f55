import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { canTransition, getCommand, insertCommand, listCommands, transitionCommand } from '../../src/store/commands-repo.js';
import { IllegalCommandTransition } from '../../src/store/errors.js';
import { getPlan, insertPlan, latestPlan, setPlanState } from '../../src/store/plans-repo.js';
import { getReplayRun, insertReplayRun, listReplayRuns } from '../../src/store/replay-runs-repo.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { getPrices, upsertPrices } from '../../src/store/prices-repo.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';
import { backends, useDatabase } from './harness.js';
import { testSite } from './fixtures.js';

const H0 = Date.UTC(2024, 7, 20, 5, 0);

describe.each(backends())('plans, commands, replay runs on $name', (backend) => {
  const db = useDatabase(backend);
  let planId = '';
  const intervals = Array.from({ length: 96 }, (_, i) => ({
    intervalStartMs: H0 + i * INTERVAL_MS,
    chargeKw: i < 10 ? 5 : 0,
    dischargeKw: i > 70 && i < 80 ? 5 : 0,
    gridImportKw: i === 0 ? 1e-300 : i === 1 ? 1.2345678901234567e21 : 1 / (i + 3), // doubles that need all 17 digits
    gridExportKw: i === 2 ? 0.1 + 0.2 : 0,
    socKwhEnd: 5 + i / 10,
    priceUsdPerMwh: i === 50 ? null : i === 51 ? -1234.5678 : 20 + i,
  }));
  beforeAll(async () => {
    await upsertSite(db().db, testSite('s1'));
    planId = await insertPlan(db().db, {
      siteId: 's1',
      horizonStartMs: H0,
      horizonEndMs: H0 + 96 * INTERVAL_MS,
      solver: 'highs',
      status: 'optimal',
      objectiveUsd: -1.2345,
      inputs: { priceUsdPerMwh: [1, 2, -3], initialSocKwh: 5 },
      verification: { ok: true, problems: [] },
      intervals,
    });
  });

  it('a plan round-trips with its inputs and intervals', async () => {
    const plan = await getPlan(db().db, planId);
    expect(plan).toMatchObject({ siteId: 's1', solver: 'highs', status: 'optimal', objectiveUsd: -1.2345, state: 'draft', horizonStartMs: H0, intervalMinutes: 15 });
    expect(plan!.inputs).toEqual({ priceUsdPerMwh: [1, 2, -3], initialSocKwh: 5 });
    expect(plan!.verification).toEqual({ ok: true, problems: [] });
    expect(plan!.intervals).toHaveLength(96);
    expect(plan!.intervals[75]).toMatchObject({ dischargeKw: 5, socKwhEnd: 12.5, intervalStartMs: H0 + 75 * INTERVAL_MS });
    expect(plan!.intervals[50].priceUsdPerMwh).toBeNull();
    expect(plan!.intervals).toEqual(intervals); // every double exactly as given
    await setPlanState(db().db, planId, 'approved');
    expect((await latestPlan(db().db, 's1', 'approved'))?.planId).toBe(planId);
  });

  it('commands: idempotency key is unique; the state machine allows only legal moves', async () => {
    const input = { siteId: 's1', planId, idempotencyKey: 's1:2024-08-20T17:00Z:discharge', channel: 'enphase-tou', mode: 'discharge', targetReservePercent: 20, windowStartMs: H0 + 48 * INTERVAL_MS, windowEndMs: H0 + 52 * INTERVAL_MS };
    const first = await insertCommand(db().db, input);
    const again = await insertCommand(db().db, { ...input, mode: 'charge' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.command.commandId).toBe(first.command.commandId);
    expect(again.command.mode).toBe('discharge');
    const id = first.command.commandId;
    expect(first.command.state).toBe('planned');

    await expect(transitionCommand(db().db, id, 'active')).rejects.toBeInstanceOf(IllegalCommandTransition);
    const sent = await transitionCommand(db().db, id, 'sending', { atMs: H0 + 1000, channelResponse: { requestId: 'r-1' } });
    expect(sent).toMatchObject({ state: 'sending', sentAtMs: H0 + 1000, channelResponse: { requestId: 'r-1' } });
    await expect(transitionCommand(db().db, id, 'accepted', { from: 'planned' })).rejects.toBeInstanceOf(IllegalCommandTransition);
    await transitionCommand(db().db, id, 'accepted');
    await transitionCommand(db().db, id, 'active');
    const done = await transitionCommand(db().db, id, 'completed', { atMs: H0 + 52 * INTERVAL_MS });
    expect(done.finishedAtMs).toBe(H0 + 52 * INTERVAL_MS);
    expect(done.acceptedAtMs).not.toBeNull();
    for (const to of ['sending', 'failed', 'cancelled', 'planned'] as const) {
      await expect(transitionCommand(db().db, id, to)).rejects.toThrow(/illegal transition completed → /);
    }
    expect((await getCommand(db().db, id))?.state).toBe('completed');
    expect(canTransition('planned', 'cancelled')).toBe(true);
    expect(canTransition('expired', 'active')).toBe(false);

    const second = await insertCommand(db().db, { ...input, idempotencyKey: 'k2', windowStartMs: H0 + 60 * INTERVAL_MS, windowEndMs: H0 + 64 * INTERVAL_MS });
    await transitionCommand(db().db, second.command.commandId, 'failed', { error: 'HTTP 422' });
    const listed = await listCommands(db().db, 's1', { startMs: H0, endMs: H0 + 96 * INTERVAL_MS });
    expect(listed.map((c) => c.state)).toEqual(['completed', 'failed']);
    expect(listed[1].error).toBe('HTTP 422');
    expect(await listCommands(db().db, 's1', { states: ['planned'] })).toEqual([]);
  });

  it('two racing transitions of one command: exactly one succeeds', async () => {
    const { command } = await insertCommand(db().db, { siteId: 's1', idempotencyKey: 'race', channel: 'c', mode: 'm', windowStartMs: H0, windowEndMs: H0 + INTERVAL_MS });
    const results = await Promise.allSettled([transitionCommand(db().db, command.commandId, 'sending', { from: 'planned' }), transitionCommand(db().db, command.commandId, 'cancelled', { from: 'planned' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('replay runs keep the report JSON', async () => {
    const report = { totals: { savingsUsd: 12.34 }, intervals: [1, 2, 3] };
    const run = await insertReplayRun(db().db, { scenarioName: 'aug-heat', scenarioHash: 'abc123', strategy: 'lp', report });
    expect((await getReplayRun(db().db, run.replayRunId))?.report).toEqual(report);
    expect((await listReplayRuns(db().db, { scenarioName: 'aug-heat' })).map((r) => r.strategy)).toEqual(['lp']);
  });

  it('a transaction that fails half way leaves nothing behind', async () => {
    const T = Date.UTC(2025, 0, 1);
    await expect(
      db().db.transaction().execute(async (trx) => {
        await upsertPrices(trx, [{ market: 'dam', settlementPoint: 'HB_PAN', intervalStartMs: T, intervalMinutes: 60, priceUsdPerMwh: 25, source: 't', fetchedAtMs: T }]);
        await insertReplayRun(trx, { scenarioName: 'half-way', scenarioHash: 'h', strategy: 's', report: {} });
        await sql`select 1 / 0`.execute(trx);
      }),
    ).rejects.toThrow();
    expect(await getPrices(db().db, { market: 'dam', settlementPoint: 'HB_PAN', startMs: T, endMs: T + 3_600_000 })).toEqual([]);
    expect(await listReplayRuns(db().db, { scenarioName: 'half-way' })).toEqual([]);
    const points = await sql<{ n: number }>`select count(*)::int as n from settlement_points where name = 'HB_PAN'`.execute(db().db);
    expect(points.rows[0].n).toBe(0);
    // The database is still usable afterwards.
    expect((await upsertPrices(db().db, [{ market: 'dam', settlementPoint: 'HB_PAN', intervalStartMs: T, intervalMinutes: 60, priceUsdPerMwh: 25, source: 't', fetchedAtMs: T }])).inserted).toBe(1);
  });
});
