/**
 * The dispatch cycle's one read per site (loadSiteContext) and its command snapshot (cachedSiteCommands): every part
 * must equal what the repositories' own reads return, and the snapshot must answer each filter the cycle uses exactly
 * as the store does, also after writes made through it and after a write made behind its back.
 */
import { describe, expect, it } from 'vitest';
import { cachedSiteCommands } from '../../../src/app/dispatch/site-commands.js';
import { loadSiteContext } from '../../../src/app/dispatch/site-context.js';
import { readHomeEnergyHistory, homeHistoryWindow } from '../../../src/app/dispatch/plan-knowledge.js';
import { loadWindowOverrides } from '../../../src/app/dispatch/window-overrides.js';
import { latestTelemetryWith } from '../../../src/app/telemetry/latest.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';
import { insertCommand, listCommands, OPEN_COMMAND_STATES, transitionCommand, type CommandState } from '../../../src/store/commands-repo.js';
import { getSiteDispatch, patchSiteDispatch } from '../../../src/store/dispatch-repo.js';
import { getSiteCalibration, upsertSiteCalibration } from '../../../src/store/reconcile-repo.js';
import { setWindowOverride } from '../../../src/store/review-actions-repo.js';
import { getSite, upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry, type MergedTelemetryCounts, type TelemetryRecord } from '../../../src/store/telemetry-repo.js';
import { flushPollWrite, type PendingPollWrite } from '../../../src/app/telemetry/ingest.js';
import { patchSiteState, patchSiteStateSql, type SiteStatePatch } from '../../../src/app/telemetry/enphase-tables.js';
import { backends, useDatabase } from '../../store/harness.js';
import { battery, POINT, T_1850 } from './fixture.js';

const NOW = T_1850;
const OPT_OUT_MS = 24 * HOUR_MS;

describe.each(backends())('site context and command snapshot on $name', (backend) => {
  const db = useDatabase(backend);

  it('one read returns what the repositories return; the snapshot answers the cycle\'s filters as the store does', async () => {
    const d = db().db;
    await upsertSite(d, { siteId: 'C1', name: 'C1', settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'simulator' });
    await upsertSite(d, { siteId: 'C2', name: 'C2', settlementPoint: POINT, battery, reservePercent: 25, controlChannel: 'simulator' });
    // telemetry: the SoC is 3 h old (so the commands' window reaches back 4 h), two days of home load
    const rows = [];
    for (let t = NOW - 2 * 24 * HOUR_MS; t <= NOW - 3 * HOUR_MS; t += INTERVAL_MS) rows.push({ siteId: 'C1', intervalEndMs: t, socPercent: t === NOW - 3 * HOUR_MS ? 55 : null, chargeWh: 0, dischargeWh: 0, consumptionWh: 300 + (t % 7), productionWh: 50, devicesReporting: 1 });
    rows.push({ siteId: 'C2', intervalEndMs: NOW - INTERVAL_MS, socPercent: 70, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 });
    await upsertTelemetry(d, rows);
    await patchSiteDispatch(d, 'C1', { status: 'dispatching', reason: 'r', suspectReads: 1, throttledUntilMs: NOW + MINUTE_MS });
    await upsertSiteCalibration(d, { siteId: 'C1', roundTripEfficiency: 0.83, rteThroughputKwh: 40, commandLatencyMs: 70_000, latencySamples: 4, windowStartMs: NOW - 48 * HOUR_MS, windowEndMs: NOW, details: { k: 1 } }, NOW);
    await setWindowOverride(d, { siteId: 'C1', windowStartMs: NOW + HOUR_MS, windowEndMs: NOW + 2 * HOUR_MS, mode: 'idle', powerKw: null, setBy: 'trader', atMs: NOW });
    // commands: open ones of any age, final ones inside and outside the windows the cycle reads, another site's
    const make = async (key: string, startMs: number, endMs: number, to: CommandState[], siteId = 'C1'): Promise<void> => {
      const { command } = await insertCommand(d, { siteId, idempotencyKey: key, channel: 'simulator', mode: 'discharge', windowStartMs: startMs, windowEndMs: endMs, powerKw: 3, targetReservePercent: 20 });
      for (const s of to) await transitionCommand(d, command.commandId, s, { atMs: NOW - HOUR_MS, error: s === 'overridden' ? 'opted-out: the homeowner opted out' : undefined });
    };
    await make('old-open', NOW - 5 * 24 * HOUR_MS, NOW - 4 * 24 * HOUR_MS, ['sending', 'accepted']);
    await make('old-done', NOW - 5 * 24 * HOUR_MS, NOW - 4 * 24 * HOUR_MS, ['sending', 'accepted', 'completed']);
    await make('opted', NOW - 10 * HOUR_MS, NOW - 9 * HOUR_MS, ['sending', 'accepted', 'overridden']);
    await make('recent-done', NOW - 4 * HOUR_MS + 30 * MINUTE_MS, NOW - 2 * HOUR_MS, ['sending', 'scheduled', 'completed']);
    await make('active', NOW - HOUR_MS, NOW + HOUR_MS, ['sending', 'active']);
    await make('failed-later', NOW + HOUR_MS, NOW + 2 * HOUR_MS, ['failed']);
    await make('planned', NOW + 3 * HOUR_MS, NOW + 4 * HOUR_MS, []);
    await make('sending', NOW + 5 * HOUR_MS, NOW + 6 * HOUR_MS, ['sending']);
    await make('other-site', NOW, NOW + HOUR_MS, [], 'C2');

    const ctx = (await loadSiteContext(d, 'C1', NOW, { optOutMs: OPT_OUT_MS }))!;
    expect(ctx.site).toEqual(await getSite(d, 'C1'));
    expect(ctx.dispatch).toEqual(await getSiteDispatch(d, 'C1'));
    expect(ctx.soc).toEqual(await latestTelemetryWith(d, 'C1', 'soc_percent'));
    expect(ctx.calibration).toEqual(await getSiteCalibration(d, 'C1'));
    expect(ctx.overrides).toEqual(await loadWindowOverrides(d, 'C1', NOW));
    const w = homeHistoryWindow(NOW);
    const home = await readHomeEnergyHistory(d, 'C1', w.fromMs, w.toMs);
    expect(home.length).toBeGreaterThan(24);
    expect(ctx.homeHistory).toEqual(home);
    expect(ctx.commandsFromMs).toBe(NOW - OPT_OUT_MS);
    expect(ctx.commands.map((c) => c.idempotencyKey)).not.toContain('old-done');
    expect(ctx.commands.map((c) => c.idempotencyKey)).toContain('old-open');
    expect(await loadSiteContext(d, 'nope', NOW, { optOutMs: OPT_OUT_MS })).toBeNull();

    const snap = cachedSiteCommands(d, 'C1', ctx.commands, ctx.commandsFromMs);
    const socAsOf = ctx.soc!.intervalEndMs;
    const filters = [
      { states: ['sending'] as CommandState[] },
      { states: ['accepted', 'scheduled', 'active'] as CommandState[] },
      { states: ['planned'] as CommandState[] },
      { states: [...OPEN_COMMAND_STATES] },
      { states: ['overridden'] as CommandState[], startMs: NOW - OPT_OUT_MS },
      { states: ['failed', 'rejected', 'overridden'] as CommandState[], startMs: NOW },
      { startMs: socAsOf - HOUR_MS, endMs: NOW + 2 * HOUR_MS },
      // not answerable from the snapshot: goes to the store
      { startMs: NOW - 6 * 24 * HOUR_MS },
      {},
    ];
    const same = async (): Promise<void> => {
      for (const f of filters) expect((await snap.list(f)).map((c) => [c.idempotencyKey, c.state, c.error, c.externalId]), JSON.stringify(f)).toEqual((await listCommands(d, 'C1', f)).map((c) => [c.idempotencyKey, c.state, c.error, c.externalId]));
    };
    await same();

    // writes through the snapshot keep it current
    const planned = (await snap.list({ states: ['planned'] }))[0]!;
    await snap.transition(planned.commandId, 'sending', { from: 'planned', atMs: NOW, countAttempt: true });
    const sending = (await snap.list({ states: ['sending'] })).find((c) => c.idempotencyKey === 'sending')!;
    await snap.note(sending.commandId, { error: 'lookup failed', externalId: 'x-1' });
    await snap.insert({ siteId: 'C1', idempotencyKey: 'new', channel: 'simulator', mode: 'charge', windowStartMs: NOW + HOUR_MS, windowEndMs: NOW + 2 * HOUR_MS, powerKw: 2 });
    expect((await snap.insert({ siteId: 'C1', idempotencyKey: 'new', channel: 'simulator', mode: 'charge', windowStartMs: NOW + HOUR_MS, windowEndMs: NOW + 2 * HOUR_MS })).created).toBe(false);
    await same();

    // a write behind the snapshot's back: the conditional transition refuses, and the snapshot takes the store's row
    const active = (await snap.list({ states: ['active'] }))[0]!;
    await transitionCommand(d, active.commandId, 'completed', { atMs: NOW });
    await expect(snap.transition(active.commandId, 'cancelled', { from: 'active', atMs: NOW })).rejects.toThrow();
    expect((await snap.get(active.commandId))!.state).toBe('completed');
    await same();
  });
  it('a poll written in the context read (the fleet) gives the context and counts a read after the write gives', async () => {
    const d = db().db;
    // Two sites with the same stored past: F's poll is written inside its context read, S's on its own before a read.
    for (const id of ['F', 'S']) {
      await upsertSite(d, { siteId: id, name: id, settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'simulator' });
      const rows: TelemetryRecord[] = [];
      // 15 days back (past the 14-day window's start, which falls inside an hour), and rows after NOW (a replayed
      // clock): the window's edge hours are partly outside it
      for (let t = NOW - 15 * 24 * HOUR_MS; t <= NOW - HOUR_MS; t += INTERVAL_MS) {
        rows.push({ siteId: id, intervalEndMs: t, socPercent: t >= NOW - 2 * HOUR_MS ? 40 : null, chargeWh: 0, dischargeWh: 0, consumptionWh: 300 + ((t / INTERVAL_MS) % 5) * 10, productionWh: 20, devicesReporting: 1, receivedAtMs: t + 60_000 });
      }
      for (let t = NOW + 10 * MINUTE_MS; t <= NOW + HOUR_MS; t += INTERVAL_MS) rows.push({ siteId: id, intervalEndMs: t, socPercent: null, chargeWh: null, dischargeWh: null, consumptionWh: 5000, productionWh: 900, devicesReporting: 1, receivedAtMs: t });
      await upsertTelemetry(d, rows);
      await patchSiteState(d, id, { hasBattery: true, batteryMode: 'self-consumption', stormGuardEnabled: true, stormAlert: false, settingsFetchedAtMs: NOW - HOUR_MS });
    }
    const rec = (siteId: string, minutesBefore: number, cols: Partial<TelemetryRecord>): TelemetryRecord => ({
      siteId, intervalEndMs: NOW - minutesBefore * MINUTE_MS, socPercent: null, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: null, receivedAtMs: NOW, ...cols,
    });
    const pending = (siteId: string, records: (id: string) => TelemetryRecord[], patch?: SiteStatePatch): PendingPollWrite & { counts?: MergedTelemetryCounts } => {
      const w: PendingPollWrite & { counts?: MergedTelemetryCounts } = { siteId, records: records(siteId), also: patch ? patchSiteStateSql(siteId, patch) : undefined, results: null, settle: (c) => { w.counts = c; w.results = []; } };
      return w;
    };
    const rounds: { name: string; records: (id: string) => TelemetryRecord[]; patch?: SiteStatePatch; soc: number; homeChanged: boolean }[] = [
      // the newest stored SoC row (1 h ago) changes and a newer row without SoC arrives: the SoC is the changed row
      { name: 'newest SoC row rewritten', records: (id) => [rec(id, 60, { socPercent: 47, chargeWh: 120 }), rec(id, 45, { consumptionWh: 900 })], soc: 47, homeChanged: true },
      // a newer SoC, older rows' load revised (an hour's mean changes), the Enphase state patched
      { name: 'newer SoC, revised load, state', records: (id) => [rec(id, 15, { socPercent: 52, chargeWh: 0, dischargeWh: 300 }), rec(id, 26 * 60, { consumptionWh: 5000 }), rec(id, 26 * 60 + 15, { consumptionWh: 4000 })], patch: { stormAlert: true, gridState: 'off-grid', gridFetchedAtMs: NOW }, soc: 52, homeChanged: true },
      // the same readings again: nothing is written, the stored rows answer
      { name: 'nothing new', records: (id) => [rec(id, 15, { socPercent: 52, chargeWh: 0, dischargeWh: 300 })], soc: 52, homeChanged: false },
      // only the state (every call but the settings failed)
      { name: 'state only', records: () => [], patch: { stormAlert: false, settingsFetchedAtMs: NOW }, soc: 52, homeChanged: false },
    ];
    for (const r of rounds) {
      const before = (await loadSiteContext(d, 'S', NOW, { optOutMs: OPT_OUT_MS }))!;
      const wf = pending('F', r.records, r.patch);
      const fused = (await loadSiteContext(d, 'F', NOW, { optOutMs: OPT_OUT_MS }, wf))!;
      const ws = pending('S', r.records, r.patch);
      await flushPollWrite(d, ws);
      const after = (await loadSiteContext(d, 'S', NOW, { optOutMs: OPT_OUT_MS }))!;
      expect(wf.counts, r.name).toEqual(ws.counts);
      expect(fused.soc?.socPercent, r.name).toBe(r.soc);
      expect({ ...fused.soc, siteId: 'S' }, r.name).toEqual(after.soc);
      expect({ ...fused.siteState, siteId: 'S' }, r.name).toEqual(after.siteState);
      expect(fused.homeHistory, r.name).toEqual(after.homeHistory);
      // and both are the aggregation of every row of the window (the hourly sums are only a shortcut)
      const w = homeHistoryWindow(NOW);
      expect(after.homeHistory, r.name).toEqual(await readHomeEnergyHistory(d, 'S', w.fromMs, w.toMs));
      expect(fused.commandsFromMs, r.name).toBe(after.commandsFromMs);
      // the rounds change what they say they change (so the comparison above compares something)
      expect(JSON.stringify(after.homeHistory) !== JSON.stringify(before.homeHistory), r.name).toBe(r.homeChanged);
      if (r.patch) expect(after.siteState, r.name).not.toEqual(before.siteState);
      // and F's rows are what S's are: a read without a write sees the same
      const plainF = (await loadSiteContext(d, 'F', NOW, { optOutMs: OPT_OUT_MS }))!;
      expect({ ...plainF.soc, siteId: 'S' }, r.name).toEqual(after.soc);
      expect(plainF.homeHistory, r.name).toEqual(after.homeHistory);
    }
    // a flush after the fused read writes nothing again; another site's rows are refused
    const done = pending('F', () => [rec('F', 0, { socPercent: 60, chargeWh: 0, dischargeWh: 0 })]);
    await loadSiteContext(d, 'F', NOW, { optOutMs: OPT_OUT_MS }, done);
    expect(done.counts).toEqual({ written: 1, battery: 1, consumption: 0, production: 0 });
    done.counts = undefined;
    await flushPollWrite(d, done);
    expect(done.counts).toBeUndefined();
    await expect(loadSiteContext(d, 'F', NOW, { optOutMs: OPT_OUT_MS }, pending('F', () => [rec('S', 0, { socPercent: 1 })]))).rejects.toThrow(/its own telemetry/);
  });
});
