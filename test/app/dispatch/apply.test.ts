import { describe, expect, it } from 'vitest';
import { ChannelError, type ChannelCommandRequest, type ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { MINUTE_MS } from '../../../src/domain/time/interval.js';
import { listCommands } from '../../../src/store/commands-repo.js';
import { getSiteDispatch, insertApproval, latestVersionedPlan, patchSiteDispatch, setFleetDispatchMode } from '../../../src/store/dispatch-repo.js';
import { getSite, upsertSite } from '../../../src/store/sites-repo.js';
import type { SimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { backends, useDatabase } from '../../store/harness.js';
import { makeWorld, T_1850 } from './fixture.js';
import { refreshDispatchStatuses } from '../../../src/app/dispatch/cycle.js';
import { SENDING_GRACE_MS } from '../../../src/app/dispatch/status.js';

/** The simulator behind a channel that fails in the ways a crash or a lost reply looks from inside. */
function faulty(inner: SimulatorChannel, fault: 'crash-after-send' | 'lost-before-channel'): ControlChannel {
  return {
    name: inner.name,
    capabilities: () => inner.capabilities(),
    status: (s, id) => inner.status(s, id),
    cancel: (s, id) => inner.cancel(s, id),
    readSettings: (s) => inner.readSettings(s),
    async send(request: ChannelCommandRequest) {
      if (fault === 'crash-after-send') await inner.send(request);
      throw new ChannelError('unknown-outcome', 'connection reset after the request was written');
    },
    async findSent(request: ChannelCommandRequest) {
      // A crash: the process dies before it can ask. A lost request: the channel really has no trace.
      if (fault === 'crash-after-send') throw new ChannelError('transient', 'process died');
      return inner.findSent(request);
    },
  };
}

describe.each(backends())('dispatch apply on $name: idempotency, recovery, error classes, approval', (backend) => {
  const db = useDatabase(backend);
  const fresh = async (initialSoc = 60) => {
    await db().db.deleteFrom('sites').execute();
    await db().db.deleteFrom('dispatch_settings').execute();
    return makeWorld(db().db, ['S1'], initialSoc);
  };

  it('crash between the row and the reply: the restart resolves the row via findSent; the channel got exactly one send', async () => {
    const w = await fresh();
    await w.cycle({}, () => faulty(w.channel, 'crash-after-send'));
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['sending']);
    expect(w.channel.sendCount('S1')).toBe(1);
    w.clock.advance(SENDING_GRACE_MS); // restart
    await w.cycle();
    const rows = await listCommands(db().db, 'S1');
    expect(rows.map((c) => c.state)).toEqual(['scheduled']);
    expect(rows[0].externalId).toMatch(/^sim-/);
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('the status-refresh job alone also resolves a row left in sending (no planning, no send)', async () => {
    const w = await fresh();
    await w.cycle({}, () => faulty(w.channel, 'crash-after-send'));
    w.clock.advance(SENDING_GRACE_MS);
    const r = await refreshDispatchStatuses({ db: db().db, channelFor: () => w.channel }, { nowMs: w.clock.nowMs() });
    expect(r).toEqual([expect.objectContaining({ siteId: 'S1', resolved: 1, lost: 0 })]);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['scheduled']);
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('a request that never reached the channel: after the grace, the same row is sent again once while the lead allows', async () => {
    const w = await fresh();
    await w.cycle({}, () => faulty(w.channel, 'lost-before-channel'));
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['sending']);
    w.clock.advance(SENDING_GRACE_MS);
    await w.cycle();
    const rows = await listCommands(db().db, 'S1');
    expect(rows.map((c) => c.state)).toEqual(['scheduled']);
    expect(rows[0].attempts).toBe(2); // the claim that crashed, and the send
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('a row whose call is still in flight in this process is left alone by a status refresh beside it (never re-sent)', async () => {
    const w = await fresh();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const atChannel = new Promise<void>((r) => (arrived = r));
    const slow: ControlChannel = {
      ...faulty(w.channel, 'lost-before-channel'),
      async send(request: ChannelCommandRequest) {
        arrived();
        await held; // the channel has not processed it yet
        return w.channel.send(request);
      },
      findSent: (request: ChannelCommandRequest) => w.channel.findSent(request),
    };
    const cycle = w.cycle({}, () => slow);
    await atChannel;
    // A refresh a minute later (the row looks older than the grace on the cycle's clock).
    const r = await refreshDispatchStatuses({ db: db().db, channelFor: () => w.channel }, { nowMs: w.clock.nowMs() + MINUTE_MS });
    expect(r).toEqual([expect.objectContaining({ siteId: 'S1', resolved: 0, lost: 0 })]);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['sending']);
    release();
    await cycle;
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['scheduled']);
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('a slow call in another process (row `sending` 40 s on the cycle\'s clock, no trace yet): a status refresh leaves it alone until the grace', async () => {
    // Another daemon or fleet worker claimed the row and is still waiting for the channel (request timeout 30 s for
    // the headers + 30 s for the body); nothing of it is in this process's in-flight set. Re-sending it now could
    // book the window twice once that call lands.
    const w = await fresh();
    await w.cycle({}, () => faulty(w.channel, 'lost-before-channel'));
    const [row] = await listCommands(db().db, 'S1');
    expect(row.state).toBe('sending');
    const early = await refreshDispatchStatuses({ db: db().db, channelFor: () => w.channel }, { nowMs: w.clock.nowMs() + 40_000 });
    expect(early).toEqual([expect.objectContaining({ siteId: 'S1', resolved: 0, lost: 0 })]);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['sending']);
    // Past the grace it is a crash: no trace on the channel and still in time → back to `planned`, to be sent again.
    await refreshDispatchStatuses({ db: db().db, channelFor: () => w.channel }, { nowMs: w.clock.nowMs() + SENDING_GRACE_MS });
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['planned']);
    expect(w.channel.sendCount('S1')).toBe(0);
  });

  it('a request that never reached the channel, found out too late to send it: lost', async () => {
    const w = await fresh();
    await w.cycle({}, () => faulty(w.channel, 'lost-before-channel'));
    const [row] = await listCommands(db().db, 'S1');
    w.clock.set(row.windowEndMs - 30_000);
    const r = await refreshDispatchStatuses({ db: db().db, channelFor: () => w.channel }, { nowMs: w.clock.nowMs() });
    expect(r).toEqual([expect.objectContaining({ siteId: 'S1', resolved: 0, lost: 1 })]);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['lost']);
    expect(w.channel.sendCount('S1')).toBe(0);
  });

  it('permanent error: the command fails, the status says why, and the window is not re-sent every cycle', async () => {
    const w = await fresh();
    w.channel.failNextSends({ kind: 'permanent', httpStatus: 422, message: '422: rate_watt above the system limit' });
    const r = await w.cycle();
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['failed']);
    expect(r.sites[0].reason).toMatch(/rate_watt above the system limit/);
    w.clock.advance(MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(0);
  });

  it('auth error: the site needs re-authorisation, nothing is sent, the pending row is cancelled', async () => {
    const w = await fresh();
    w.channel.failNextSends({ kind: 'auth', message: '401 token revoked' });
    const r = await w.cycle();
    expect(r.sites[0].status).toBe('needs_reauth');
    expect((await getSite(db().db, 'S1'))?.status).toBe('needs_reauth');
    w.clock.advance(MINUTE_MS);
    const again = await w.cycle();
    expect(again.sites[0].status).toBe('needs_reauth');
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['cancelled']);
    expect(w.channel.sendCount('S1')).toBe(0);
  });

  it('throttled: waits the stated period, then sends', async () => {
    const w = await fresh();
    w.channel.failNextSends({ kind: 'throttled', retryAfterMs: 4 * MINUTE_MS });
    await w.cycle();
    expect((await getSiteDispatch(db().db, 'S1'))?.throttledUntilMs).toBe(T_1850 + 4 * MINUTE_MS);
    w.clock.advance(2 * MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(0);
    w.clock.advance(3 * MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(1);
    expect((await listCommands(db().db, 'S1', { states: ['scheduled'] }))).toHaveLength(1);
  });

  it('transient errors: retried with backoff inside the cycle; after the last attempt the row waits for the next cycle', async () => {
    const w = await fresh();
    w.channel.failNextSends({ kind: 'transient' }, { kind: 'transient' });
    await w.cycle();
    expect(w.waits).toEqual([1000, 2000]);
    expect(w.channel.sendCount('S1')).toBe(1);
    const w2 = await fresh();
    w2.channel.failNextSends({ kind: 'transient' }, { kind: 'transient' }, { kind: 'transient' });
    const r = await w2.cycle();
    expect(w2.channel.sendCount('S1')).toBe(0);
    expect(r.sites[0].reason).toMatch(/will retry/);
    const [row] = await listCommands(db().db, 'S1');
    expect(row).toMatchObject({ state: 'planned', attempts: 1 });
    w2.clock.advance(MINUTE_MS);
    await w2.cycle();
    expect(w2.channel.sendCount('S1')).toBe(1);
  });

  it('review mode: nothing unapproved is sent; an approval of the plan version releases it', async () => {
    const w = await fresh();
    await setFleetDispatchMode(db().db, 'review');
    const r = await w.cycle();
    expect(r.sites[0].status).toBe('awaiting_approval');
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['awaiting_approval']);
    w.clock.advance(MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(0);
    const v = (await latestVersionedPlan(db().db, 'S1'))!.planVersion;
    await insertApproval(db().db, { scope: 'site', siteId: 'S1', planVersion: v, approvedBy: 'trader-1' });
    w.clock.advance(MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('review mode: a newer plan with a changed window needs a new approval', async () => {
    const w = await fresh();
    await patchSiteDispatch(db().db, 'S1', { mode: 'review' });
    await w.cycle();
    await insertApproval(db().db, { scope: 'site', siteId: 'S1', planVersion: 1, approvedBy: 'trader-1' });
    // The homeowner's reserve rises to 40 %: the next plan's 19:00 discharge stops at 40 % instead of ~32 %.
    const site = (await getSite(db().db, 'S1'))!;
    await upsertSite(db().db, { ...site, reservePercent: 40 });
    w.clock.advance(12 * MINUTE_MS); // 19:02: the new plan's first window (19:15, to 40 %) is due
    const r = await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(0);
    expect(r.sites[0].status).toBe('awaiting_approval');
    expect(r.sites[0].reason).toMatch(/--plan-version 2/);
    await insertApproval(db().db, { scope: 'site', siteId: 'S1', planVersion: 2, approvedBy: 'trader-1' });
    w.clock.advance(MINUTE_MS);
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(1);
  });

  it('Storm Guard mid-command: stands aside, cancels the command on the channel, says why', async () => {
    const w = await fresh();
    await w.cycle();
    expect(w.channel.sendCount('S1')).toBe(1);
    w.channel.setStormGuard('S1', true);
    w.clock.advance(MINUTE_MS);
    const r = await w.cycle();
    expect(r.sites[0]).toMatchObject({ status: 'standing_aside' });
    expect(r.sites[0].reason).toMatch(/Storm Guard/);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['cancelled']);
  });

  it('a manual reserve change: one odd read is tolerated, a repeated one pauses the site and cancels its commands', async () => {
    const w = await fresh();
    await w.cycle();
    w.channel.setManualChange('S1', { reservePercent: 80 });
    w.clock.advance(MINUTE_MS);
    const first = await w.cycle();
    expect(first.sites[0].status).toBe('dispatching');
    w.channel.setSettingsUnavailable('S1', true);
    w.clock.advance(MINUTE_MS);
    expect((await w.cycle()).sites[0].status).toBe('dispatching');
    w.channel.setSettingsUnavailable('S1', false);
    w.clock.advance(MINUTE_MS);
    const second = await w.cycle();
    expect(second.sites[0].status).toBe('paused_manual_change');
    expect(second.sites[0].reason).toMatch(/reserve 80 %/);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['cancelled']);
    w.channel.setManualChange('S1', {});
    w.clock.advance(MINUTE_MS);
    expect((await w.cycle()).sites[0].status).toBe('paused_manual_change');
  });

  it('the homeowner opts out: the command is overridden and the site stands aside', async () => {
    const w = await fresh();
    await w.cycle();
    const [row] = await listCommands(db().db, 'S1');
    w.channel.optOut(row.externalId!);
    w.clock.advance(MINUTE_MS);
    const r = await w.cycle();
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['overridden']);
    expect(r.sites[0].reason).toMatch(/opted out/);
  });
});
