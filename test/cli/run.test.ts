/**
 * `ercot-arb run` and `reconcile` through the CLI on an embedded store in a temporary folder: one cycle with
 * --once --now (and again: nothing runs twice), bad options (exit 2), and the real process: HTTP probes on a port
 * the OS picked, then SIGTERM → a clean exit.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { upsertSite } from '../../src/store/sites-repo.js';
import { testSite } from '../store/fixtures.js';
import { runCli } from '../support/cli.js';
import { cliArgs } from '../support/entry.js';

const saved = { url: process.env.DATABASE_URL, dir: process.env.ERCOT_ARB_DATA_DIR, key: process.env.ERCOT_ARB_SECRET_KEY };
const dirs: string[] = [];

function restore(name: 'DATABASE_URL' | 'ERCOT_ARB_DATA_DIR' | 'ERCOT_ARB_SECRET_KEY', value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('ercot-arb run / reconcile (embedded store)', () => {
  let dataDir = '';
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ercot-arb-cli-run-'));
    dirs.push(dataDir);
    delete process.env.DATABASE_URL;
    delete process.env.ERCOT_ARB_SECRET_KEY;
    process.env.ERCOT_ARB_DATA_DIR = dataDir;
  });
  afterEach(() => {
    restore('DATABASE_URL', saved.url);
    restore('ERCOT_ARB_DATA_DIR', saved.dir);
    restore('ERCOT_ARB_SECRET_KEY', saved.key);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('run --once --now runs each due job once; the same cycle again claims nothing; reconcile report on a DST day', async () => {
    const first = await runCli(['run', '--once', '--now', '2024-11-03T18:07:00Z', '--json']);
    expect(first.code).toBe(0);
    // Without credentials the price and telemetry jobs cannot run; they are named with the reason.
    expect(first.stderr).toMatch(/not running ercot-\*: ERCOT credentials missing/);
    const due = [['command-status-refresh', '2024-11-03T18:04:00Z'], ['plan-dispatch', '2024-11-03T18:07:00Z'], ['reconcile', '2024-11-03T17:55:00Z']];
    const sorted = (text: string) => (JSON.parse(text) as { job: string }[]).sort((a, b) => a.job.localeCompare(b.job));
    // No sites yet: every due job runs and has nothing to do.
    expect(sorted(first.stdout)).toEqual(due.map(([job, at]) => ({ job, scheduledForMs: Date.parse(at), outcome: 'skipped' })));
    const second = await runCli(['run', '--once', '--now', '2024-11-03T18:07:00Z', '--json']);
    expect(sorted(second.stdout)).toEqual(due.map(([job, at]) => ({ job, scheduledForMs: Date.parse(at), outcome: 'claimed-elsewhere' })));

    const store = await openStore({ ERCOT_ARB_DATA_DIR: dataDir });
    await upsertSite(store.db, testSite('s1'));
    await store.close();
    const report = await runCli(['reconcile', 'report', '--site', 's1', '--date', '2024-11-03', '--json']);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ siteId: 's1', date: '2024-11-03', intervals: 100, reconciled: 0 });
    const spring = await runCli(['reconcile', 'report', '--site', 's1', '--date', '2024-03-10']);
    expect(spring.stdout).toContain('site s1, 2024-03-10 (92 intervals)');
    const run = await runCli(['reconcile', 'run', '--site', 's1', '--from', '2024-11-03']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('reconciled 2024-11-03 to 2024-11-03');
  }, 120_000);

  it('bad options: exit 2 with a message, no stack trace', async () => {
    const noOnce = await runCli(['run', '--now', '2024-11-03T18:07:00Z']);
    expect(noOnce.code).toBe(2);
    expect(noOnce.stderr).toContain('--now only goes with --once');
    const badNow = await runCli(['run', '--once', '--now', '2024-11-03 18:07']);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain('--now');
    const badPort = await runCli(['run', '--port', '70000']);
    expect(badPort.code).toBe(2);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    try {
      const taken = await runCli(['run', '--port', String((holder.address() as AddressInfo).port)]);
      expect(taken.code).toBe(2);
      expect(taken.stderr).toContain('EADDRINUSE');
    } finally {
      holder.close();
    }
    const noSite = await runCli(['reconcile', 'report', '--site', 'nope', '--date', '2024-11-03']);
    expect(noSite.code).toBe(2);
    expect(noSite.stderr).toContain('no site "nope"');
    const badDate = await runCli(['reconcile', 'report', '--site', 'nope', '--date', '2024-13-40']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--date');
    expect(`${noOnce.stderr}${badNow.stderr}${noSite.stderr}${badDate.stderr}`).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('the daemon process serves its probes on a port the OS picked and exits cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ERCOT_ARB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, cliArgs('run', '--port', '0'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', () => {
          const m = /; port (\d+)\n/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`daemon exited early (${code}): ${out}`)));
      });
      expect(port).toBeGreaterThan(0);
      expect(await (await fetch(`http://127.0.0.1:${port}/livez`)).text()).toBe('ok\n');
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('# TYPE ercot_arb_job_runs_total counter');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped on SIGTERM');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
