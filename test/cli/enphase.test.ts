import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEnphase, type FakeEnphase } from '../../src/adapters/fakes/enphase/server.js';
import { runCli } from '../support/cli.js';

let fake: FakeEnphase;
let dir: string;
const saved: Record<string, string | undefined> = {};

function setEnv(vars: Record<string, string>) {
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
}

beforeAll(async () => {
  fake = await startFakeEnphase();
  dir = mkdtempSync(join(tmpdir(), 'enphase-cli-'));
  setEnv({
    ENPHASE_API_BASE_URL: fake.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: fake.apiKey,
    ENPHASE_REDIRECT_URI: 'http://127.0.0.1:9/cb', ERCOT_ARB_SECRET_KEY: 'cli test key', ERCOT_ARB_DATA_DIR: dir, LOG_LEVEL: 'silent',
    ENPHASE_CALLS_PER_MINUTE: '100', ENPHASE_CALLS_PER_MONTH: '10000',
  });
  delete process.env.DATABASE_URL;
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('enphase / sites / telemetry commands against the fake', () => {
  it('connect, sync, poll and show status', async () => {
    const bad = await runCli(['enphase', 'connect', '--code', 'not a code!']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/authorization code/);

    const code = fake.oauth.issueCode();
    const connect = await runCli(['enphase', 'connect', '--code', `http://127.0.0.1:9/cb?code=${code}`]);
    expect(connect.stderr).toBe('');
    expect(connect.code).toBe(0);
    expect(connect.stdout).toContain(`${fake.url}/oauth/authorize?response_type=code&client_id=fake-client`);
    expect(connect.stdout).toMatch(/connected; tokens stored encrypted/);

    const sync = await runCli(['sites', 'sync']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/created enphase-1001 .*battery 13\.5 kWh, reserve 20 %/);
    expect(sync.stdout).toMatch(/created enphase-1002 .*no battery/);

    const poll = await runCli(['telemetry', 'poll']);
    expect(poll.code).toBe(0);
    expect(poll.stdout).toMatch(/enphase-1001: 5 request\(s\)/); // 3 products + storm_guard + grid_status (settings fresh from sync)

    const status = await runCli(['telemetry', 'status', '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.accounts[0].usage.minuteCalls + s.accounts[0].usage.monthCalls).toBeGreaterThan(0);
    const site = s.sites.find((x: { siteId: string }) => x.siteId === 'enphase-1001');
    expect(site.products.map((p: { gaps: number }) => p.gaps)).toEqual([0, 0, 0]);
    expect(site.soc.stale).toBe(false);

    const text = await runCli(['telemetry', 'status']);
    expect(text.stdout).toMatch(/account default: active; calls this minute \d+\/100, this month \d+\/10000/);
    expect(text.stdout).toMatch(/SoC \d+ % as of /);

    fake.oauth.revokeAll();
    const refused = await runCli(['telemetry', 'poll']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs re-authorisation/);
    const sites = await runCli(['sites', 'status']);
    expect(sites.stdout).toMatch(/NEEDS RE-AUTHORISATION/);
    expect(sites.stdout).toMatch(/enphase-1001 .*needs_reauth/);
  });

  it('connect --listen catches the redirect from the authorize page', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const redirect = `http://127.0.0.1:${port}/enphase/callback`;
    process.env.ENPHASE_REDIRECT_URI = redirect;
    try {
      const running = runCli(['enphase', 'connect', '--listen', '--timeout', '20', '--account', 'second']);
      let res: Response | undefined;
      for (let i = 0; i < 100 && !res; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await fetch(`${fake.url}/oauth/authorize?response_type=code&client_id=fake-client&redirect_uri=${encodeURIComponent(redirect)}`).catch(() => undefined);
      }
      expect(res?.status).toBe(200);
      expect(await res!.text()).toMatch(/connected/);
      const done = await running;
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(/Enphase account second connected/);
    } finally {
      process.env.ENPHASE_REDIRECT_URI = 'http://127.0.0.1:9/cb';
    }
  });
});
