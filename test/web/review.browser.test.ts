/**
 * The review pages in a real browser (Debian Chromium via playwright-core, no browser download) against the app on
 * 127.0.0.1 over a PGlite store filled by a simulated dispatch run. Skipped, saying why, when /usr/bin/chromium is
 * absent (CI installs it: .ci/run). Saves the screenshots in docs/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { listCommands } from '../../src/store/commands-repo.js';
import { patchSiteDispatch } from '../../src/store/dispatch-repo.js';
import { listReviewActions } from '../../src/store/review-actions-repo.js';
import { dayPlanSchema, fleetSchema } from '../../src/web/schemas.js';
import { backends, useDatabase } from '../store/harness.js';
import { PASSWORD, startWebWorld, type WebWorld } from './world.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/web/review.browser.test.ts: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);
const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

describe.skipIf(!hasChromium)('review pages in Chromium', () => {
  const db = useDatabase(backends()[0]);
  let web: WebWorld;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    web = await startWebWorld(db().db, ['S1', 'S2'], (d) => patchSiteDispatch(d, 'S1', { mode: 'review' }));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  async function login(p: Page): Promise<void> {
    await p.goto(`${web.baseUrl}/login`);
    await p.fill('input[name=user]', 'dana');
    await p.fill('input[name=password]', PASSWORD);
    await p.click('button[type=submit]');
    await p.waitForURL(/\/fleet$/);
  }

  it('refuses pages without a session, and a wrong password', async () => {
    await page.goto(`${web.baseUrl}/fleet`);
    expect(page.url()).toContain('/login');
    await page.fill('input[name=user]', 'dana');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).toContain('Wrong password');
  });

  it('fleet overview lists both sites with mode, status and the next command; its JSON twin passes its schema', async () => {
    await login(page);
    const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/S1[\s\S]*review[\s\S]*awaiting approval/);
    expect(rows[1]).toMatch(/S2[\s\S]*auto[\s\S]*dispatching[\s\S]*discharge 19:00–20:00/);
    await page.screenshot({ path: `${SHOTS}fleet.png`, fullPage: true });
    const json = fleetSchema.parse(JSON.parse(await (await page.request.get(`${web.baseUrl}/api/fleet?sort=site&dir=desc`)).text()));
    expect(json.sites.map((s) => s.siteId)).toEqual(['S2', 'S1']);
    await page.goto(`${web.baseUrl}/fleet?status=dispatching`);
    expect(await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-site')))).toEqual(['S2']);
  });

  it('the day plan chart has one interval per 15 min: 96, and 92/100 on the DST days', async () => {
    await page.goto(`${web.baseUrl}/sites/S2`);
    expect(await page.locator('figure.chart svg rect.interval').count()).toBe(96);
    expect(await page.locator('figure.chart svg path').count()).toBeGreaterThan(5);
    expect(await page.textContent('main')).toContain('Expected value');
    await page.screenshot({ path: `${SHOTS}site-day-plan.png`, fullPage: false });
    const json = dayPlanSchema.parse(JSON.parse(await (await page.request.get(`${web.baseUrl}/api/sites/S2?date=2026-07-01`)).text()));
    expect(json.intervals).toHaveLength(96);
    expect(json.windows.some((w) => w.mode === 'discharge')).toBe(true);
    await page.goto(`${web.baseUrl}/sites/S2?date=2026-03-08`);
    expect(await page.locator('figure.chart svg rect.interval').count()).toBe(92);
    await page.goto(`${web.baseUrl}/sites/S2?date=2026-11-01`);
    expect(await page.locator('figure.chart svg rect.interval').count()).toBe(100);
  });

  it('a bad date or site id is a 400/404 page naming the problem', async () => {
    const bad = await page.goto(`${web.baseUrl}/sites/S2?date=2026-02-30`);
    expect(bad?.status()).toBe(400);
    expect(await page.textContent('[role=alert]')).toContain('2026-02-30');
    const missing = await page.goto(`${web.baseUrl}/sites/NOPE`);
    expect(missing?.status()).toBe(404);
    expect(await page.textContent('[role=alert]')).toContain('no site "NOPE"');
  });

  it('approve (review mode): nothing is sent before, the next cycle sends after, recorded with who', async () => {
    expect(web.world.channel.sendCount('S1')).toBe(0);
    const before = await web.world.cycle();
    expect(before.sites.find((s) => s.siteId === 'S1')?.sent).toBe(0);
    await page.goto(`${web.baseUrl}/sites/S1`);
    await page.click('form[action$="/approve"] button');
    expect(await page.textContent('[role=status]')).toMatch(/Approved plan v\d+ of S1/);
    const after = await web.world.cycle();
    expect(after.sites.find((s) => s.siteId === 'S1')?.sent).toBe(1);
    expect(web.world.channel.sendCount('S1')).toBe(1);
    expect((await listReviewActions(db().db, 'S1'))[0]).toMatchObject({ action: 'approve', actedBy: 'dana' });
  });

  it('hold: the next cycle sends nothing and ends the pending command; resume lets it dispatch again', async () => {
    const sent = web.world.channel.sendCount('S2');
    expect(sent).toBe(1);
    await page.goto(`${web.baseUrl}/sites/S2`);
    await page.fill('form[action$="/hold"] input[name=note]', 'market check');
    await page.click('form[action$="/hold"] button');
    expect(await page.textContent('[role=status]')).toContain('Held S2');
    const r = await web.world.cycle();
    expect(r.sites.find((s) => s.siteId === 'S2')).toMatchObject({ status: 'standing_aside', sent: 0 });
    expect(web.world.channel.sendCount('S2')).toBe(sent);
    const open = (await listCommands(db().db, 'S2')).filter((c) => ['planned', 'awaiting_approval', 'sending', 'accepted', 'scheduled', 'active'].includes(c.state));
    expect(open).toEqual([]);
    await page.click('form[action$="/resume"] button');
    expect(await page.textContent('[role=status]')).toContain('Resumed S2');
    expect((await listReviewActions(db().db, 'S2')).map((a) => a.action)).toEqual(['resume', 'hold']);
  });

  it('override a window to idle (skip): the next cycle does not send it; clearing the override lets it go out', async () => {
    const sent = web.world.channel.sendCount('S2');
    await page.goto(`${web.baseUrl}/sites/S2`);
    const form = page.locator('td form[action$="/override"]').first();
    await form.locator('select[name=mode]').selectOption('idle');
    await form.locator('button').click();
    expect(await page.textContent('[role=status]')).toMatch(/overridden to idle/);
    const skipped = await web.world.cycle();
    expect(skipped.sites.find((s) => s.siteId === 'S2')?.sent).toBe(0);
    expect(web.world.channel.sendCount('S2')).toBe(sent);
    await page.goto(`${web.baseUrl}/sites/S2`);
    const again = page.locator('td form[action$="/override"]').first();
    await again.locator('select[name=mode]').selectOption('clear');
    await again.locator('button').click();
    const cleared = await web.world.cycle();
    expect(cleared.sites.find((s) => s.siteId === 'S2')?.sent).toBe(1);
    expect((await listReviewActions(db().db, 'S2')).slice(0, 2).map((a) => a.action)).toEqual(['clear_override', 'override']);
  });

  it('an action without a session, or without the CSRF token, is refused and changes nothing', async () => {
    const anon = await fetch(`${web.baseUrl}/sites/S2/hold`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'note=x', redirect: 'manual' });
    expect(anon.status).toBe(401);
    const noCsrf = await page.request.post(`${web.baseUrl}/sites/S2/hold`, { form: { note: 'x' }, maxRedirects: 0 });
    expect(noCsrf.status()).toBe(403);
    const wrongCsrf = await page.request.post(`${web.baseUrl}/sites/S2/hold`, { form: { note: 'x', _csrf: 'forged' }, maxRedirects: 0 });
    expect(wrongCsrf.status()).toBe(403);
    expect((await listReviewActions(db().db, 'S2')).map((a) => a.action)).toEqual(['clear_override', 'override', 'resume', 'hold']);
  });

  it('override a window\'s mode to charge: the next cycle sends exactly that on the channel, replacing the planned discharge; shown with who; limits refused', async () => {
    const t19 = Date.UTC(2026, 7 - 1, 2, 0); // 19:00 CDT
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${web.baseUrl}/sites/S2`);
    const form = page.locator(`form[action$="/override"]:has(input[name=windowStartMs][value="${t19}"])`).first();
    await form.locator('select[name=mode]').selectOption('charge');
    await form.locator('input[name=powerKw]').fill('3');
    await form.locator('button').click();
    expect(await page.textContent('[role=status]')).toContain('overridden to charge 3.0 kW');
    const before = web.world.channel.accepted.length;
    const r = await web.world.cycle();
    expect(r.sites.find((s) => s.siteId === 'S2')?.sent).toBe(1);
    const sent = web.world.channel.accepted.slice(before);
    expect(sent.map((c) => [c.siteRef, c.mode, c.powerKw, c.startMs, c.endMs, c.targetReservePercent])).toEqual([['S2', 'charge', 3, t19, t19 + 3_600_000, 100]]);
    const cmds = await listCommands(db().db, 'S2');
    expect(cmds.filter((c) => c.mode === 'discharge' && c.windowStartMs === t19 && ['accepted', 'scheduled', 'active'].includes(c.state))).toEqual([]);
    await page.goto(`${web.baseUrl}/sites/S2`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('⚑ override: charge by dana');
    expect(main).toMatch(/Overrides in force[^;]*override by dana: charge 3\.0 kW 19:00–20:00/);
    expect((await listReviewActions(db().db, 'S2'))[0]).toMatchObject({ action: 'override', actedBy: 'dana', detail: 'charge 3.0 kW', windowStartMs: t19 });
    await page.getByRole('heading', { name: 'Window overrides', exact: true }).evaluate((e) => (e as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: `${SHOTS}site-actions.png` });
    const any = page.locator('form.override-any');
    await any.locator('select[name=mode]').selectOption('discharge');
    await any.locator('input[name=powerKw]').fill('9');
    await any.locator('button').click();
    expect(await page.textContent('[role=alert]')).toContain("outside the battery's discharge limit (0 < kW ≤ 5)");
  });

  it('reconciliation and replays pages render (screenshots)', async () => {
    await page.goto(`${web.baseUrl}/sites/S2/reconciliation`);
    expect(await page.textContent('main')).toContain('Planned vs actual');
    expect(await page.locator('main table').last().locator('tbody tr').count()).toBe(96);
    await page.screenshot({ path: `${SHOTS}reconciliation.png` });
    await page.goto(`${web.baseUrl}/replays`);
    await page.click('tbody a');
    expect(await page.textContent('main')).toContain('perfect-foresight');
    expect(await page.locator('figure.chart svg').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}replay-run.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.baseUrl}/sites/S2`);
    await page.screenshot({ path: `${SHOTS}site-phone.png` });
  });
});
