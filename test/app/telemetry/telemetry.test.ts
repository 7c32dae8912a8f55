import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/app/logger.js';
import { BudgetExhausted } from '../../../src/adapters/enphase/errors.js';
import { AccountBudget, BlockBudget, budgetUsage } from '../../../src/app/telemetry/budget.js';
import { productCoverage } from '../../../src/app/telemetry/coverage.js';
import { getSiteState, listQuarantine } from '../../../src/app/telemetry/enphase-tables.js';
import { latestSoc, standAsideReason } from '../../../src/app/telemetry/freshness.js';
import { backfillAccount, pollAccount } from '../../../src/app/telemetry/poller.js';
import { INTERVAL_MS } from '../../../src/domain/time/interval.js';
import { getTelemetry } from '../../../src/store/telemetry-repo.js';
import { getSite } from '../../../src/store/sites-repo.js';
import { backends } from '../../store/harness.js';
import { ACCOUNT, makeWorld, T0, type World } from './world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SITE = 'enphase-1001';

describe.each(backends())('Enphase telemetry on $name', (backend) => {
  let w: World;
  afterEach(async () => w?.close());

  const poll = () => pollAccount(w.ctx());
  const apiPaths = (from: number) => w.fake.apiRequests().slice(from).map((r) => r.path);

  it('sites sync takes the battery facts from summary and battery_settings; a site without batteries is kept', async () => {
    w = await makeWorld(backend);
    const site = (await getSite(w.db.db, SITE))!;
    expect(site.battery.capacityKwh).toBe(13.5);
    expect(site.battery.maxChargeKw).toBe(5);
    expect(site.reservePercent).toBe(20);
    expect(site.settlementPoint).toBe('HB_HOUSTON');
    const noBattery = (await getSite(w.db.db, 'enphase-1002'))!;
    expect(noBattery.battery.capacityKwh).toBe(0);
    expect((await getSiteState(w.db.db, 'enphase-1002'))!.hasBattery).toBe(false);
    expect((await getSiteState(w.db.db, SITE))!.batteryMode).toBe('self_consumption');
  });

  it('a poll sends one request per product per site and stores 15-minute rows matching the simulated site', async () => {
    w = await makeWorld(backend);
    const from = w.fake.apiRequests().length;
    const report = await poll();
    expect(report.stopped).toBeUndefined();
    const telemetryCalls = apiPaths(from).filter((p) => p.includes('/telemetry/'));
    expect(telemetryCalls.filter((p) => p.includes('/1001/'))).toHaveLength(3);
    expect(telemetryCalls.filter((p) => p.includes('/1002/'))).toHaveLength(2); // no battery product for the site without one
    const rows = await getTelemetry(w.db.db, SITE, T0 - DAY, T0);
    expect(rows).toHaveLength(96);
    for (const r of rows) {
      const sim = w.fake.site(1001).get(r.intervalEndMs)!;
      expect(r.socPercent).toBe(sim.socPercent);
      expect(r.chargeWh).toBe(sim.chargeWh);
      expect(r.consumptionWh).toBe(sim.consumptionWh);
      expect(r.productionWh).toBe(sim.productionWh);
    }
    const soc = (await latestSoc(w.db.db, SITE, w.clock.nowMs(), 30 * 60_000))!;
    expect(soc).toEqual({ socPercent: w.fake.site(1001).get(T0)!.socPercent, asOfMs: T0, ageMs: 0, stale: false });
    // The next poll 15 minutes later re-reads the trailing window only: again one request per product.
    w.clock.advance(15 * 60_000);
    const second = w.fake.apiRequests().length;
    await poll();
    expect(apiPaths(second).filter((p) => p.includes('/telemetry/'))).toHaveLength(5);
    expect((await getTelemetry(w.db.db, SITE, T0 - DAY, T0 + INTERVAL_MS)).length).toBe(97);
  });

  it('a 6-hour outage, then out-of-order batch uploads: every interval stored exactly once and no gaps remain', async () => {
    w = await makeWorld(backend);
    await poll();
    w.fake.hide(T0, T0 + 6 * HOUR);
    for (let i = 0; i < 24; i++) {
      w.clock.advance(15 * 60_000);
      const r = await poll(); // empty lists past the last reported interval: not an error
      expect(r.sites.length).toBeGreaterThan(0); // every() on an empty list would hold vacuously
      expect(r.sites.every((s) => s.error === undefined)).toBe(true);
    }
    const stale = (await latestSoc(w.db.db, SITE, w.clock.nowMs(), 30 * 60_000))!;
    expect(stale.stale).toBe(true);
    expect(stale.asOfMs).toBe(T0);
    // The gateway uploads the later half first, then the earlier half.
    w.fake.reveal(T0 + 3 * HOUR, T0 + 6 * HOUR);
    await poll();
    const mid = await productCoverage(w.db.db, SITE, 'battery', T0 - DAY);
    expect(mid.missingEndsMs.length).toBeGreaterThan(0);
    w.fake.reveal();
    await poll();
    const back = await backfillAccount(w.ctx());
    expect(back.stopped).toBeUndefined();
    for (const product of ['battery', 'consumption', 'production'] as const) {
      const cover = await productCoverage(w.db.db, SITE, product, T0 - DAY);
      expect(cover.missingEndsMs).toEqual([]);
      expect(cover.newestEndMs).toBe(T0 + 6 * HOUR);
    }
    const rows = await getTelemetry(w.db.db, SITE, T0 - DAY, T0 + 6 * HOUR);
    expect(rows).toHaveLength(96 + 24);
    expect(new Set(rows.map((r) => r.intervalEndMs)).size).toBe(rows.length);
    for (const r of rows) expect(r.socPercent).toBe(w.fake.site(1001).get(r.intervalEndMs)!.socPercent);
    expect((await latestSoc(w.db.db, SITE, w.clock.nowMs(), 30 * 60_000))!.stale).toBe(false);
  });

  it('a 5xx that outlasts the retries fails that site only; a dropped interval stays a visible gap', async () => {
    w = await makeWorld(backend);
    w.fake.drop(1001, T0 - 5 * HOUR);
    w.fake.failNext(3, 503);
    const report = await poll();
    expect(report.stopped).toBeUndefined();
    expect(report.sites.find((s) => s.siteId === SITE)!.error).toMatch(/unavailable/);
    expect(report.sites.find((s) => s.siteId === 'enphase-1002')!.error).toBeUndefined();
    expect((await getTelemetry(w.db.db, 'enphase-1002', T0 - DAY, T0)).length).toBe(96);
    expect(w.sleeps).toEqual([1000, 3000]);
    w.clock.advance(15 * 60_000);
    await poll();
    const cover = await productCoverage(w.db.db, SITE, 'battery', T0 - DAY);
    expect(cover.missingEndsMs).toEqual([T0 - 5 * HOUR]);
  });

  it('backfill walks gaps oldest first, one day per request, within the request cap', async () => {
    w = await makeWorld(backend);
    await poll(); // newest day stored
    // Create history gaps: store a row 3 days back by polling from there (simulate an old first interval).
    w.clock.set(T0 - 3 * DAY);
    const { ingestResponse, fetchProduct } = await import('../../../src/app/telemetry/ingest.js');
    for (const product of ['battery', 'consumption', 'production'] as const) {
      const resp = await fetchProduct(w.account.client, product, 1001, T0 - 3 * DAY - 2 * HOUR);
      await ingestResponse({ db: w.db.db, clock: w.clock, siteId: SITE, product, response: resp });
    }
    w.clock.set(T0);
    const from = w.fake.apiRequests().length;
    await backfillAccount(w.ctx({ backfillMaxRequests: 4 }));
    const starts = w.fake.apiRequests().slice(from).filter((r) => r.path.includes('/1001/telemetry/battery')).map((r) => Number(r.query.start_at) * 1000);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts[0]).toBe(T0 - 3 * DAY);
    expect(w.fake.apiRequests().length - from).toBeLessThanOrEqual(4);
  });

  it('quarantines nonsense intervals with a reason and stores the rest; nothing is clamped', async () => {
    w = await makeWorld(backend);
    const bad = { soc140: T0 - 4 * HOUR, negativeEnergy: T0 - 3 * HOUR, misaligned: T0 - 2 * HOUR, missingField: T0 - HOUR } as const;
    for (const [kind, end] of Object.entries(bad)) w.fake.corruptInterval(1001, end, kind as keyof typeof bad);
    let logged = '';
    const sink = new PassThrough();
    sink.on('data', (c) => (logged += c));
    await pollAccount({ ...w.ctx(), logger: createLogger({ level: 'info', pretty: false, destination: sink }) });
    await new Promise((r) => setImmediate(r));
    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const warnings = lines.filter((l) => l.msg === 'telemetry interval quarantined' && l.product === 'battery');
    const expectedEnds = Object.entries(bad).map(([kind, ms]) => (kind === 'misaligned' ? ms - 7 * 60_000 : ms)); // the fake shifts that end_at
    expect(warnings.map((l) => l.interval).sort()).toEqual(expectedEnds.map((ms) => new Date(ms).toISOString()).sort());
    expect(warnings.every((l) => typeof l.reason === 'string' && (l.reason as string).length > 0)).toBe(true);
    const q = await listQuarantine(w.db.db, SITE);
    const reasons = q.filter((x) => x.product === 'battery').map((x) => x.reason).join(' | ');
    expect(reasons).toMatch(/soc\.percent 140 is outside 0\.\.100/);
    expect(reasons).toMatch(/charge\.enwh -250 Wh is negative/);
    expect(reasons).toMatch(/not on a 15-minute boundary/);
    expect(reasons).toMatch(/missing field soc\.percent/);
    const rows = await getTelemetry(w.db.db, SITE, T0 - DAY, T0);
    const battery = rows.filter((r) => r.socPercent !== null);
    expect(battery).toHaveLength(96 - 4);
    expect(battery.every((r) => r.socPercent! <= 100 && r.chargeWh! >= 0)).toBe(true);
    for (const end of Object.values(bad)) expect(battery.find((r) => r.intervalEndMs === end)).toBeUndefined();
    expect(rows.find((r) => r.intervalEndMs === bad.soc140)?.consumptionWh).not.toBeNull(); // other products of that interval stored
    // Polling again does not duplicate the quarantine entries, it counts them.
    w.clock.advance(15 * 60_000);
    await poll();
    const again = await listQuarantine(w.db.db, SITE);
    expect(again.filter((x) => x.product === 'battery')).toHaveLength(q.filter((x) => x.product === 'battery').length);
    expect(again.some((x) => x.timesSeen === 2)).toBe(true);
    const cover = await productCoverage(w.db.db, SITE, 'battery', T0 - DAY);
    expect(cover.missingEndsMs).toEqual(Object.values(bad).sort((a, b) => a - b)); // visible as gaps, not hidden
  });

  it('reads settings, Storm Guard and grid status with a TTL and says when to stand aside', async () => {
    w = await makeWorld(backend, { fake: { modeSpellings: 'messy' } });
    await poll();
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), HOUR)).toEqual({ standAside: false, reason: null });
    w.fake.setSite(1001, { stormAlert: true, batteryMode: 'Full Backup' });
    w.clock.advance(5 * 60_000);
    const from = w.fake.apiRequests().length;
    await poll(); // within the TTL: no settings calls
    expect(apiPaths(from).filter((p) => p.includes('/config/'))).toEqual([]);
    w.clock.advance(15 * 60_000);
    await poll();
    expect(await standAsideReason(w.db.db, SITE, w.clock.nowMs(), HOUR)).toEqual({ standAside: true, reason: 'storm_guard' });
    expect((await getSiteState(w.db.db, SITE))!.batteryMode).toBe('full_backup');
    w.fake.setSite(1001, { stormAlert: false, gridState: 'Off Grid' });
    w.clock.advance(15 * 60_000);
    await poll();
    expect((await standAsideReason(w.db.db, SITE, w.clock.nowMs(), HOUR)).reason).toBe('off_grid');
    w.clock.advance(2 * HOUR);
    w.fake.setSite(1001, { gridState: 'On Grid' });
    expect((await standAsideReason(w.db.db, SITE, w.clock.nowMs(), HOUR)).reason).toBe('off_grid'); // not re-read yet
    expect((await standAsideReason(w.db.db, 'enphase-1002', w.clock.nowMs(), HOUR)).reason).toBe('state_stale'); // grid status 2 h old
    expect((await standAsideReason(w.db.db, 'enphase-1002', w.clock.nowMs(), 3 * HOUR)).standAside).toBe(false);
    expect((await standAsideReason(w.db.db, 'no-such-site', w.clock.nowMs(), HOUR)).reason).toBe('grid_unknown');

  });

  it('the per-account budget stops a poll before the plan limit is passed, and the usage is visible', async () => {
    w = await makeWorld(backend, { settings: { ENPHASE_CALLS_PER_MINUTE: 6 } }); // the sync takes 5 calls
    w.clock.advance(60_000); // a new minute
    const from = w.fake.apiRequests().length;
    // Each site's poll is counted whole before its first call (all or none): site 1001's 5 calls (3 telemetry +
    // storm_guard + grid_status) fit, site 1002's 5 do not fit in the 1 left, so none of them is sent or counted.
    const report = await poll();
    expect(report.stopped).toMatch(/budget/);
    expect(w.fake.apiRequests().length - from).toBe(5);
    const usage = await budgetUsage(w.db.db, ACCOUNT, { perMinute: 6, perMonth: 100_000 }, w.clock.nowMs());
    expect(usage.minuteCalls).toBe(5);
    expect(usage.monthCalls).toBe(5 + 5);
    await w.account.budget.reserve(w.clock.nowMs()); // the minute's last unit
    await expect(w.account.budget.reserve(w.clock.nowMs())).rejects.toBeInstanceOf(BudgetExhausted);
    w.clock.advance(60_000);
    await expect(w.account.budget.reserve(w.clock.nowMs())).resolves.toBeUndefined();
  });

  it('a site\'s calls reserved at once (the fleet\'s poll): all or none, never past the minute or the month', async () => {
    w = await makeWorld(backend, { settings: { ENPHASE_CALLS_PER_MINUTE: 10, ENPHASE_CALLS_PER_MONTH: 20 } }); // the sync takes 5 calls
    w.clock.advance(60_000);
    const now = w.clock.nowMs();
    const usage = () => budgetUsage(w.db.db, ACCOUNT, { perMinute: 10, perMonth: 20 }, now);
    await w.account.budget.reserve(now, 6);
    await expect(w.account.budget.reserve(now, 6)).rejects.toMatchObject({ name: 'BudgetExhausted', period: 'minute' });
    expect(await usage()).toMatchObject({ minuteCalls: 6, monthCalls: 11 }); // the refused 6 counted nowhere
    await w.account.budget.reserve(now, 4);
    expect(await usage()).toMatchObject({ minuteCalls: 10, monthCalls: 15 });
    w.clock.advance(60_000);
    await expect(w.account.budget.reserve(w.clock.nowMs(), 6)).rejects.toMatchObject({ name: 'BudgetExhausted', period: 'month' });
    expect((await budgetUsage(w.db.db, ACCOUNT, { perMinute: 10, perMonth: 20 }, w.clock.nowMs())).monthCalls).toBe(15);
    const client = await w.account.client.withCallsReserved(5); // the month's last 5, then the client spends them
    await client.gridStatus(1001);
    expect((await budgetUsage(w.db.db, ACCOUNT, { perMinute: 10, perMonth: 20 }, w.clock.nowMs())).monthCalls).toBe(20);
  });

  it('two processes taking the account\'s calls in blocks (fleet workers) never pass the minute limit together', async () => {
    w = await makeWorld(backend);
    w.clock.advance(60_000);
    const limits = { perMinute: 100, perMonth: 100_000 };
    const now = w.clock.nowMs();
    const workers = [new BlockBudget(new AccountBudget(w.db.db, ACCOUNT, limits), 20), new BlockBudget(new AccountBudget(w.db.db, ACCOUNT, limits), 20)];
    let granted = 0;
    for (let round = 0; round < 30; round++) {
      for (const b of workers) {
        try {
          await b.reserve(now, 6);
          granted += 6;
        } catch (e) {
          expect(e).toBeInstanceOf(BudgetExhausted);
        }
      }
    }
    const usage = await budgetUsage(w.db.db, ACCOUNT, limits, now);
    expect(usage.minuteCalls).toBeLessThanOrEqual(100);
    expect(granted).toBeLessThanOrEqual(usage.minuteCalls);
    expect(granted).toBeGreaterThanOrEqual(100 - 2 * 20); // at most a block per process is left unused
    // A new minute: the blocks start again.
    await workers[0]!.reserve(now + 60_000, 6);
  });

  it('a server 429 with a month period blocks the account until period_end', async () => {
    w = await makeWorld(backend, { fake: { perMonthLimit: 8 } });
    const report = await poll();
    expect(report.stopped).toMatch(/throttled \(month/);
    const usage = await budgetUsage(w.db.db, ACCOUNT, { perMinute: 1000, perMonth: 100_000 }, w.clock.nowMs());
    expect(usage.blockedUntilMs).toBe(Date.UTC(2024, 7, 1));
    const from = w.fake.apiRequests().length;
    const second = await poll();
    expect(second.stopped).toMatch(/budget/);
    expect(w.fake.apiRequests().length).toBe(from); // nothing sent while blocked
  });
});
