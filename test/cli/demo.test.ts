/**
 * `ercot-arb demo` as a newcomer runs it (the real process, embedded store in a temporary folder): real prices arrive
 * on the simulated clock, plans form, commands go out to the simulated batteries exactly once and within the device
 * limits, and the review pages and /metrics answer while it runs; SIGTERM ends it cleanly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { listCommands } from '../../src/store/commands-repo.js';
import { loadConfig } from '../../src/app/config.js';
import { cliArgs } from '../support/entry.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ercot-arb demo', () => {
  it('prices flow, plans form, commands go out once and within limits; pages and metrics are served', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ercot-arb-demo-'));
    dirs.push(dataDir);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    delete env.LOG_LEVEL; // the demo's own default: its step lines, not the jobs' info logs
    const child = spawn(process.execPath, cliArgs('demo', '--port', '0', '--speed', '0', '--steps', '16', '--sites', '2', '--data-dir', dataDir), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (/demo finished/.test(out)) (clearInterval(timer), resolve());
          if (child.exitCode !== null) (clearInterval(timer), reject(new Error(`demo exited early: ${out}\n${err}`)));
        }, 100);
      });
      const port = Number(/review pages: http:\/\/127\.0\.0\.1:(\d+)\/fleet/.exec(out)![1]);
      const stepLines = out.split('\n').filter((l) => / Central {2}last RT /.test(l));
      expect(stepLines).toHaveLength(16);
      expect(err).not.toMatch(/"level":30|job run finished/);
      const reached = Number(/demo finished: (\d+) commands reached/.exec(out)![1]);
      expect(reached).toBeGreaterThan(0);

      const fleet = (await (await fetch(`http://127.0.0.1:${port}/api/fleet`)).json()) as { sites: { siteId: string }[] };
      expect(fleet.sites.map((s) => s.siteId).sort()).toEqual(['enphase-1001', 'enphase-1002']);
      const page = await fetch(`http://127.0.0.1:${port}/sites/enphase-1001?date=2024-08-19`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<svg/);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/ercot_arb_job_runs_total\{[^}]*job="plan-dispatch"[^}]*outcome="succeeded"/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    // The store after the demo: every command the batteries received has exactly one row, sent ≥ 1 minute ahead, ≤ 4 h.
    const store = await openStore(loadConfig({}), { dataDir });
    try {
      const sent = (await listCommands(store.db, null)).filter((c) => c.sentAtMs !== null);
      expect(sent.length).toBe(Number(/demo finished: (\d+)/.exec(out)![1]));
      expect(new Set(sent.map((c) => c.idempotencyKey)).size).toBe(sent.length);
      for (const c of sent) {
        expect(c.windowStartMs - c.sentAtMs!).toBeGreaterThanOrEqual(60_000);
        expect(c.windowEndMs - c.windowStartMs).toBeLessThanOrEqual(4 * 3_600_000);
        expect(c.targetReservePercent).toBeGreaterThanOrEqual(20);
      }
    } finally {
      await store.close();
    }
  }, 240_000);
});
