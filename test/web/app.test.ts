/**
 * The review app over HTTP without a browser (runs everywhere, PGlite and PostgreSQL): sessions and cookie flags,
 * CSRF refusal, public-read configuration, parameter validation, and the JSON twins against their schemas.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileSite } from '../../src/app/reconcile/reconcile-site.js';
import { listReconciliationResults } from '../../src/store/reconcile-repo.js';
import { getSite } from '../../src/store/sites-repo.js';
import { upsertPrices } from '../../src/store/prices-repo.js';
import { upsertTelemetry } from '../../src/store/telemetry-repo.js';
import { POINT } from '../app/dispatch/fixture.js';
import { createReviewApp } from '../../src/web/app.js';
import { hashSecret, verifySecret } from '../../src/web/auth.js';
import { dayPlanSchema, fleetSchema, reconciliationSchema, replayListSchema, replayRunSchema } from '../../src/web/schemas.js';
import { backends, useDatabase } from '../store/harness.js';
import { latestVersionedPlan } from '../../src/store/dispatch-repo.js';
import { getPlan } from '../../src/store/plans-repo.js';
import { ercotDateOf, ercotDay } from '../../src/domain/time/ercot-calendar.js';
import { PASSWORD, startWebWorld, type WebWorld } from './world.js';

describe('secret hashing', () => {
  it('verifies the right secret only, and the hash does not contain it', () => {
    const h = hashSecret('s3cret-token');
    expect(h).toMatch(/^scrypt\$16384\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(h).not.toContain('s3cret');
    expect(verifySecret('s3cret-token', h)).toBe(true);
    expect(verifySecret('s3cret-tokeN', h)).toBe(false);
  });
});

describe.each(backends())('review app over HTTP on $name', (backend) => {
  const db = useDatabase(backend);
  let web: WebWorld;
  beforeAll(async () => {
    web = await startWebWorld(db().db, ['S1']);
  }, 120_000);
  afterAll(async () => web?.close());

  async function login(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const res = await fetch(`${web.baseUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user: 'lee', password: PASSWORD }).toString(), redirect: 'manual' });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    const cookie = setCookie.split(';')[0];
    const page = await (await fetch(`${web.baseUrl}/sites/S1`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    return { cookie, csrf, setCookie };
  }

  it('without a session the pages redirect to the login and the API is 401', async () => {
    const page = await fetch(`${web.baseUrl}/fleet`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Ffleet');
    const api = await fetch(`${web.baseUrl}/api/fleet`);
    expect(api.status).toBe(401);
  });

  it('a login sets a Secure, HttpOnly, SameSite=Strict session cookie; the JSON twins pass their schemas', async () => {
    const { cookie, setCookie } = await login();
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Secure/);
    const fleet = fleetSchema.parse(await (await fetch(`${web.baseUrl}/api/fleet`, { headers: { cookie } })).json());
    expect(fleet.sites.map((s) => s.siteId)).toEqual(['S1']);
    expect(fleet.sites[0].nextCommand).toMatchObject({ mode: 'discharge', state: 'scheduled' });
    // Expected $ today: the newest plan's intervals of the ERCOT day, (discharge − charge) kW × 0.25 h × price.
    const newest = (await latestVersionedPlan(db().db, 'S1'))!;
    const day = ercotDay(ercotDateOf(web.world.clock.nowMs()));
    const expectedToday = (await getPlan(db().db, newest.planId))!.intervals.filter((i) => i.intervalStartMs >= day.startMs && i.intervalStartMs < day.endMs)
      .reduce((sum, i) => sum + ((i.dischargeKw - i.chargeKw) * (i.priceUsdPerMwh ?? 0)) / 4000, 0);
    expect(Math.abs(expectedToday)).toBeGreaterThan(0.01);
    expect(fleet.sites[0].expectedTodayUsd).toBeCloseTo(expectedToday, 9);
    const fallBack = dayPlanSchema.parse(await (await fetch(`${web.baseUrl}/api/sites/S1?date=2026-11-01`, { headers: { cookie } })).json());
    expect(fallBack.intervals).toHaveLength(100);
    expect(fallBack.hours).toBe(25);
    const list = replayListSchema.parse(await (await fetch(`${web.baseUrl}/api/replays`, { headers: { cookie } })).json());
    const run = replayRunSchema.parse(await (await fetch(`${web.baseUrl}/api/replays/${list.runs[0].runId}`, { headers: { cookie } })).json());
    expect(run.strategies[0]).toMatchObject({ strategy: 'perfect-foresight', netValueUsd: 12.5 });
  });

  it('bad parameters are 400/404 naming the problem, never a stack trace', async () => {
    const { cookie } = await login();
    const badDate = await fetch(`${web.baseUrl}/api/sites/S1?date=2026-13-01`, { headers: { cookie } });
    expect(badDate.status).toBe(400);
    expect(((await badDate.json()) as { error: string }).error).toContain('2026-13-01');
    const badForm = await fetch(`${web.baseUrl}/api/sites/S1?date=yesterday`, { headers: { cookie } });
    expect(badForm.status).toBe(400);
    expect(((await badForm.json()) as { error: string }).error).toContain('YYYY-MM-DD');
    const noVersion = await fetch(`${web.baseUrl}/sites/S1?version=999`, { headers: { cookie } });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.text()).toContain('no plan version 999');
    const badRun = await fetch(`${web.baseUrl}/api/replays/xyz`, { headers: { cookie } });
    expect(badRun.status).toBe(400);
    const badSort = await fetch(`${web.baseUrl}/fleet?sort=evil`, { headers: { cookie } });
    expect(badSort.status).toBe(400);
    expect(await badSort.text()).not.toMatch(/at \w+ \(/);
  });

  it('a hold without the CSRF token is refused; with it the site is paused and the action recorded', async () => {
    const { cookie, csrf } = await login();
    const post = (body: Record<string, string>) => fetch(`${web.baseUrl}/sites/S1/hold`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString(), redirect: 'manual' });
    expect((await post({ note: 'x' })).status).toBe(403);
    expect((await getSite(db().db, 'S1'))?.status).toBe('active');
    expect((await post({ note: 'x', _csrf: csrf })).status).toBe(303);
    expect((await getSite(db().db, 'S1'))?.status).toBe('paused');
  });

  it('sessions live in the store: a restarted (or second) app knows them, only their hash is stored, logout and expiry end them', async () => {
    const { cookie, csrf } = await login();
    const id = decodeURIComponent(cookie.split('=')[1]);
    const stored = await db().db.selectFrom('review_sessions').selectAll().execute();
    expect(stored.some((r) => r.session_hash === createHash('sha256').update(id).digest('hex') && r.user_name === 'lee')).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(id);
    const open = async (nowMs: () => number) => {
      const server = createServer(createReviewApp({ db: db().db, secretHash: hashSecret(PASSWORD), nowMs }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    };
    const second = await open(() => web.world.clock.nowMs());
    const later = await open(() => web.world.clock.nowMs() + 12 * 3_600_000 + 1);
    try {
      expect((await fetch(`${second.base}/api/fleet`, { headers: { cookie } })).status).toBe(200);
      expect((await fetch(`${later.base}/api/fleet`, { headers: { cookie } })).status).toBe(401);
      const out = await fetch(`${second.base}/logout`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString(), redirect: 'manual' });
      expect(out.status).toBe(303);
      expect((await fetch(`${web.baseUrl}/api/fleet`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await second.close();
      await later.close();
    }
  });

  it('public read opens the pages without a session, but not the actions', async () => {
    const server = createServer(createReviewApp({ db: db().db, secretHash: hashSecret(PASSWORD), publicRead: true, nowMs: () => web.world.clock.nowMs() }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/api/fleet`)).status).toBe(200);
      const act = await fetch(`${base}/sites/S1/resume`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
      expect(act.status).toBe(401);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  // Last: it moves the world's clock on. Cost: 6 dispatch cycles + one reconciler run (~2 s CPU).
  it('reconciliation page: the real reconciler over a short simulated run; the page shows its rows per interval, the $ and each command outcome', async () => {
    const { cookie, csrf } = await login();
    const resumed = await fetch(`${web.baseUrl}/sites/S1/resume`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString(), redirect: 'manual' });
    expect(resumed.status).toBe(303); // the hold test above paused S1
    const w = web.world;
    const from = Date.UTC(2026, 6, 2, 0); // 19:00 CDT, the discharge window
    // The meter, as the Enphase ingest would write it: each interval's AC energy from the simulated battery's SoC
    // change (one-way efficiency √0.81 = 0.9), on the interval's end; and the settled real-time prices.
    let socKwh = w.channel.reading('S1').socKwh;
    for (let k = 0; k <= 4; k++) {
      w.clock.set(from + k * 15 * 60_000);
      await w.cycle(); // writes the SoC as telemetry; the energies are added below (same interval end)
      if (k > 0) {
        const now = w.channel.reading('S1');
        const dcKwh = socKwh - now.socKwh;
        socKwh = now.socKwh;
        await upsertTelemetry(db().db, [{ siteId: 'S1', intervalEndMs: w.clock.nowMs(), socPercent: now.socPercent, dischargeWh: Math.max(0, dcKwh) * 0.9 * 1000, chargeWh: Math.max(0, -dcKwh) / 0.9 * 1000, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
      }
    }
    await upsertPrices(db().db, [0, 1, 2, 3].map((k) => ({ market: 'rt15' as const, settlementPoint: POINT, intervalStartMs: from + k * 15 * 60_000, intervalMinutes: 15, priceUsdPerMwh: 180, source: 'test', fetchedAtMs: from })));
    const nowMs = w.clock.nowMs();
    await reconcileSite(db().db, 'S1', { fromMs: from, toMs: from + 60 * 60_000, nowMs });
    const rows = await listReconciliationResults(db().db, 'S1', from, from + 60 * 60_000);
    expect(rows.length).toBe(4);
    const v = reconciliationSchema.parse(await (await fetch(`${web.baseUrl}/api/sites/S1/reconciliation?date=2026-07-01`, { headers: { cookie } })).json());
    expect(v.source).toBe('reconciliations');
    expect(v.intervals.map((i) => [i.startMs, i.plannedSocPercent, i.actualSocPercent, i.plannedDischargeKwh, i.actualDischargeKwh, i.realisedUsd, i.commandOutcome])).toEqual(
      rows.map((r) => [r.intervalStartMs, r.plannedSocPercent, r.actualSocPercent, r.plannedDischargeKwh, r.actualDischargeKwh, r.realisedUsd, r.commandOutcome]));
    let realised = 0;
    let planned = 0;
    for (const r of rows) {
      realised += r.realisedUsd ?? 0;
      planned += r.plannedUsd ?? 0;
    }
    expect(v.realisedUsd).toBeCloseTo(realised, 9);
    expect(v.expectedUsd).toBeCloseTo(planned, 9);
    // the simulated battery discharged 19:00-20:00 at 5 kW: 1.25 kWh per interval of the 4, at $180/MWh
    const peak = rows.filter((r) => r.intervalStartMs >= from);
    for (const r of peak) expect(r.actualDischargeKwh ?? 0).toBeGreaterThan(0.5);
    expect(peak.map((r) => r.commandOutcome)).not.toContain(null);
    const html = await (await fetch(`${web.baseUrl}/sites/S1/reconciliation?date=2026-07-01`, { headers: { cookie } })).text();
    const bodyRows = [...html.matchAll(/<tr><td>(\d\d:\d\d)<\/td>(.*?)<\/tr>/g)].filter((m) => m[2].includes('class="n"'));
    expect(bodyRows.map((m) => m[1])).toEqual(['19:00', '19:15', '19:30', '19:45']);
    for (const [k, m] of bodyRows.entries()) {
      expect(m[2]).toContain(`<td>${rows[k].commandOutcome ?? '–'}</td>`);
      if (rows[k].realisedUsd !== null) expect(m[2]).toContain(`$${Math.abs(rows[k].realisedUsd!).toFixed(2)}`);
    }
  });
});

