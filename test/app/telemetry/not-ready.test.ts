/**
 * Edges of an Enphase account: a call that cannot be sent for want of a token costs no budget; a stale or missing
 * SoC makes the dispatcher stand aside (and `telemetry status` says so instead of "may act").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReauthRequired } from '../../../src/adapters/enphase/errors.js';
import { openAccount } from '../../../src/app/enphase/account.js';
import { markNeedsReauth } from '../../../src/app/enphase/tokens.js';
import { budgetUsage } from '../../../src/app/telemetry/budget.js';
import { standAsideReason } from '../../../src/app/telemetry/freshness.js';
import { pollAccount } from '../../../src/app/telemetry/poller.js';
import { formatTelemetryStatus, telemetryStatus } from '../../../src/app/telemetry/status.js';
import { backends } from '../../store/harness.js';
import { ACCOUNT, makeWorld, type World } from './world.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SITE = 'enphase-1001';
const LIMITS = { perMinute: 1000, perMonth: 100_000 };

describe.each(backends())('Enphase account edges on $name', (backend) => {
  let w: World;
  afterEach(async () => w?.close());

  it('a call for an account that needs re-authorisation, or was never connected, sends nothing and uses no budget', async () => {
    w = await makeWorld(backend);
    const before = await budgetUsage(w.db.db, ACCOUNT, LIMITS, w.clock.nowMs());
    expect(before.monthCalls).toBe(5); // the sync: systems, 2 × summary, 2 × battery_settings
    await markNeedsReauth(w.db.db, w.box, ACCOUNT, 'test: refresh token refused', w.clock.nowMs());
    const sent = w.fake.apiRequests().length;
    await expect(w.openAccount().client.listSystems()).rejects.toBeInstanceOf(ReauthRequired);
    const after = await budgetUsage(w.db.db, ACCOUNT, LIMITS, w.clock.nowMs());
    expect([after.minuteCalls, after.monthCalls]).toEqual([before.minuteCalls, before.monthCalls]);

    const stranger = openAccount({ db: w.db.db, box: w.box, settings: w.settings, clock: w.clock, accountKey: 'never-connected' });
    await expect(stranger.client.listSystems()).rejects.toBeInstanceOf(ReauthRequired);
    expect((await budgetUsage(w.db.db, 'never-connected', LIMITS, w.clock.nowMs())).monthCalls).toBe(0);
    expect(w.fake.apiRequests().length).toBe(sent);
  });

  it('a stale SoC makes standAside true, and telemetry status says the dispatcher stands aside', async () => {
    w = await makeWorld(backend);
    await pollAccount(w.ctx());
    const fresh = await telemetryStatus(w.db.db, { nowMs: w.clock.nowMs(), limits: LIMITS, backfillDays: 7, socStaleMs: 30 * MINUTE, stateMaxAgeMs: 2 * HOUR });
    const freshSite = fresh.sites.find((s) => s.siteId === SITE)!;
    expect(freshSite.soc?.stale).toBe(false);
    expect(freshSite.standAside).toEqual({ standAside: false, reason: null });

    w.clock.advance(45 * MINUTE); // grid status still within its 2 h, the newest SoC now 45+ minutes old
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), 2 * HOUR, 30 * MINUTE)).toEqual({ standAside: true, reason: 'soc_stale' });
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), 2 * HOUR)).toEqual({ standAside: true, reason: 'soc_stale' }); // default: 30 min
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), 2 * HOUR, 2 * HOUR)).toEqual({ standAside: false, reason: null });
    expect((await standAsideReason(w.db.db, 'enphase-1002', w.clock.nowMs(), 2 * HOUR, 30 * MINUTE)).standAside).toBe(false); // no battery: no SoC needed

    const stale = await telemetryStatus(w.db.db, { nowMs: w.clock.nowMs(), limits: LIMITS, backfillDays: 7, socStaleMs: 30 * MINUTE, stateMaxAgeMs: 2 * HOUR });
    const staleSite = stale.sites.find((s) => s.siteId === SITE)!;
    expect(staleSite.soc?.stale).toBe(true);
    expect(staleSite.standAside).toEqual({ standAside: true, reason: 'soc_stale' });
    const text = formatTelemetryStatus(stale);
    const block = text.slice(text.indexOf(`site ${SITE}`), text.indexOf('site enphase-1002'));
    expect(block).toMatch(/STALE/);
    expect(block).toMatch(/dispatcher stands aside \(soc_stale\)/);
    expect(block).not.toMatch(/may act/);
  });

  it('a battery site with no SoC stored at all stands aside (soc_unknown)', async () => {
    w = await makeWorld(backend);
    await pollAccount(w.ctx());
    await w.db.db.deleteFrom('telemetry').where('site_id', '=', SITE).execute();
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), 2 * HOUR, 30 * MINUTE)).toEqual({ standAside: true, reason: 'soc_unknown' });
  });
});
