/**
 * /livez, /readyz, /metrics (parsed as Prometheus text) and mounted routes, on a loopback port chosen by the OS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/app/logger.js';
import { Daemon } from '../../../src/app/daemon/daemon.js';
import { readRawBody, sendText } from '../../../src/app/daemon/http-server.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { insertCommand } from '../../../src/store/commands-repo.js';
import { insertPlan, latestPlan } from '../../../src/store/plans-repo.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { backends, type TestDatabase } from '../../store/harness.js';
import { testSite } from '../../store/fixtures.js';

/** `name{labels} value` lines → { 'name{labels}': value } (comments skipped); labels kept in their printed order. */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe.each(backends())('daemon HTTP on $name', (backend) => {
  let opened: TestDatabase;
  let daemon: Daemon;
  let base = '';
  const clock = new FixedClock(Date.parse('2024-08-20T18:07:00Z'));

  beforeAll(async () => {
    opened = await backend.open();
    daemon = new Daemon({
      db: opened.db, schema: opened.schema, clock, logger: silentLogger(), instanceId: 'http',
      jobs: [
        { name: 'ok-job', cron: '5,20,35,50 * * * *', run: async () => ({ details: {} }) },
        { name: 'bad-job', cron: '0 * * * *', run: async () => { throw new Error('no prices today'); } },
      ],
      notRegistered: [{ job: 'plan-dispatch', reason: 'not in this build' }],
    });
    daemon.http.route('POST', '/hooks/echo', async (req, res) => sendText(res, 200, `got ${(await readRawBody(req)).toString('utf8')}`));
    daemon.http.route('GET', '/review/*', (_req, res, url) => sendText(res, 200, `review ${url.pathname}`));
    base = `http://127.0.0.1:${await daemon.listen(0)}`;
  });
  afterAll(async () => {
    await daemon.shutdown();
    await opened.dispose();
  });

  it('/livez and /readyz', async () => {
    const live = await fetch(`${base}/livez`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('ok\n');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: 'ok', migrations: { pending: [], unknown: [] }, jobs: ['ok-job', 'bad-job'], notRegistered: [{ job: 'plan-dispatch' }] });
  });

  it('/metrics: job runs by outcome, lag, commands by state, plan age, API requests and throttles, conflicts, solve times', async () => {
    await daemon.tick(); // ok-job 18:05 succeeded, bad-job 18:00 failed
    await upsertSite(opened.db, testSite('s1'));
    await insertCommand(opened.db, { siteId: 's1', idempotencyKey: 'k1', channel: 'simulator', mode: 'charge', windowStartMs: clock.nowMs(), windowEndMs: clock.nowMs() + 900_000 });
    await insertCommand(opened.db, { siteId: 's1', idempotencyKey: 'k2', channel: 'simulator', mode: 'discharge', windowStartMs: clock.nowMs(), windowEndMs: clock.nowMs() + 900_000 });
    await insertPlan(opened.db, { siteId: 's1', horizonStartMs: clock.nowMs(), horizonEndMs: clock.nowMs() + 900_000, solver: 'dp', status: 'optimal', objectiveUsd: 0, inputs: {}, intervals: [] });
    daemon.metrics.recordApiRequest('enphase', 200);
    daemon.metrics.recordApiRequest('enphase', 429);
    daemon.metrics.addRequestSource({ api: 'ercot', stats: () => ({ requests: 7, throttled: 2 }) });
    daemon.metrics.recordControlConflict('manual_reserve_change');
    daemon.metrics.recordSolve('dp', 0.002);
    const planCreated = (await latestPlan(opened.db, 's1'))!.createdAtMs;
    clock.set(planCreated + 90_000);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const m = parseProm(await res.text());
    expect(m.get('ercot_arb_job_runs_total{job="ok-job",outcome="succeeded"}')).toBe(1);
    expect(m.get('ercot_arb_job_runs_total{job="bad-job",outcome="failed"}')).toBe(1);
    // Lag: now − 18:05 (the last good slot); the failed job has none.
    expect(m.get('ercot_arb_job_lag_seconds{job="ok-job"}')).toBe((clock.nowMs() - Date.parse('2024-08-20T18:05:00Z')) / 1000);
    expect(m.has('ercot_arb_job_lag_seconds{job="bad-job"}')).toBe(false);
    expect(m.get('ercot_arb_commands{state="planned"}')).toBe(2);
    expect(m.get('ercot_arb_plan_age_seconds{site="s1"}')).toBe(90);
    expect(m.get('ercot_arb_api_requests_total{api="enphase"}')).toBe(2);
    expect(m.get('ercot_arb_api_throttles_total{api="enphase"}')).toBe(1);
    expect(m.get('ercot_arb_api_requests_total{api="ercot"}')).toBe(7);
    expect(m.get('ercot_arb_api_throttles_total{api="ercot"}')).toBe(2);
    expect(m.get('ercot_arb_control_conflicts_total{kind="manual_reserve_change"}')).toBe(1);
    expect(m.get('ercot_arb_solve_seconds_count{solver="dp"}')).toBe(1);
    expect(m.get('ercot_arb_solve_seconds_bucket{le="0.005",solver="dp"}')).toBe(1);
    expect(m.get('ercot_arb_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Scraped twice, the ERCOT counters do not double.
    const again = parseProm(await (await fetch(`${base}/metrics`)).text());
    expect(again.get('ercot_arb_api_requests_total{api="ercot"}')).toBe(7);
  });

  it('mounted routes: raw body, prefix routes, 404 and 405', async () => {
    const echo = await fetch(`${base}/hooks/echo`, { method: 'POST', body: '{"a":1}' });
    expect(await echo.text()).toBe('got {"a":1}');
    expect(await (await fetch(`${base}/review/plans/42`)).text()).toBe('review /review/plans/42');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const wrong = await fetch(`${base}/hooks/echo`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('/readyz is 503 while migrations are pending', async () => {
    const bare = await backend.open({ migrate: false });
    const d = new Daemon({ db: bare.db, schema: bare.schema, clock, logger: silentLogger(), jobs: [] });
    try {
      const url = `http://127.0.0.1:${await d.listen(0)}`;
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      const body = await res.json() as { ready: boolean; migrations: { pending: string[] } };
      expect(body.ready).toBe(false);
      expect(body.migrations.pending).toContain('0004_reconcile');
      expect((await fetch(`${url}/livez`)).status).toBe(200);
    } finally {
      await d.shutdown();
      await bare.dispose();
    }
  });
});
