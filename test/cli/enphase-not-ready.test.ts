/**
 * `sites sync` and `telemetry poll|backfill` when the Enphase account cannot be used: not connected, out of calls,
 * needing re-authorisation. Each says what is wrong and exits 2 (never "internal error", never 0), and a refused
 * account sends nothing and uses no budget. Through the CLI entry point, the fake Enphase server and a real store.
 * (The budget cases use the month limit: the CLI reads the system clock, and a minute could turn mid-test.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEnphase, type FakeEnphase } from '../../src/adapters/fakes/enphase/server.js';
import { runCli } from '../support/cli.js';

let fake: FakeEnphase;
let dir: string;
const saved: Record<string, string | undefined> = {};

function setEnv(vars: Record<string, string>) {
  for (const [k, v] of Object.entries(vars)) {
    if (!(k in saved)) saved[k] = process.env[k];
    process.env[k] = v;
  }
}

beforeAll(async () => {
  fake = await startFakeEnphase();
  dir = mkdtempSync(join(tmpdir(), 'enphase-not-ready-'));
  setEnv({
    ENPHASE_API_BASE_URL: fake.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: fake.apiKey,
    ENPHASE_REDIRECT_URI: 'http://127.0.0.1:9/cb', ERCOT_ARB_SECRET_KEY: 'cli test key', ERCOT_ARB_DATA_DIR: dir, LOG_LEVEL: 'silent',
    ENPHASE_CALLS_PER_MINUTE: '100', ENPHASE_CALLS_PER_MONTH: '100',
  });
  saved.DATABASE_URL = process.env.DATABASE_URL;
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

async function monthCalls(): Promise<number> {
  const s = await runCli(['telemetry', 'status', '--json']);
  expect(s.code).toBe(0);
  return JSON.parse(s.stdout).accounts[0].usage.monthCalls as number;
}

function refused(r: { code: number; stderr: string }, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(2);
}

// One story in order (each step needs the state the previous left); each CLI run opens the store, hence the time.
describe('Enphase commands on an account that cannot be used: each exits 2 saying what is wrong', () => {
  it('no account connected: sync, poll and backfill refuse without sending anything', async () => {
    refused(await runCli(['sites', 'sync']), /no Enphase account "default" is connected \(run `ercot-arb enphase connect`\)/);
    refused(await runCli(['sites', 'sync', '--account', 'other']), /no Enphase account "other" is connected \(run `ercot-arb enphase connect --account other`\)/);
    refused(await runCli(['telemetry', 'poll']), /no Enphase account is connected/);
    refused(await runCli(['telemetry', 'backfill']), /no Enphase account is connected/);
    expect(fake.apiRequests()).toHaveLength(0);
  }, 180_000);

  it('out of calls: sync and poll stop at the budget and say until when', async () => {
    const connect = await runCli(['enphase', 'connect', '--code', fake.oauth.issueCode()]);
    expect(connect.code).toBe(0);

    setEnv({ ENPHASE_CALLS_PER_MONTH: '3' }); // the sync needs 5: systems, then summary + battery_settings per system
    refused(await runCli(['sites', 'sync']), /Enphase account "default": Enphase call budget for this month is used up until .*nothing more was sent/);
    expect(fake.apiRequests()).toHaveLength(3);
    setEnv({ ENPHASE_CALLS_PER_MONTH: '100' });
    const sync = await runCli(['sites', 'sync']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/(created|updated) enphase-1001 .*\n.*enphase-1002/); // the refused sync may have stored the first system

    setEnv({ ENPHASE_CALLS_PER_MONTH: String((await monthCalls()) + 2) }); // the poll needs 8
    const poll = await runCli(['telemetry', 'poll']);
    refused(poll, /Enphase call budget for this month is used up/);
    expect(poll.stdout).toMatch(/stopped: Enphase call budget/); // the report of what was done is still printed
    setEnv({ ENPHASE_CALLS_PER_MONTH: '100' });
  }, 180_000);

  it('needing re-authorisation: refused before any call, the budget untouched', async () => {
    fake.oauth.revokeAll();
    refused(await runCli(['telemetry', 'poll']), /needs re-authorisation/);
    const calls = await monthCalls();
    const sent = fake.apiRequests().length;
    refused(await runCli(['sites', 'sync']), /Enphase account "default" needs re-authorisation \(refresh token refused.*\); nothing was sent \(run `ercot-arb enphase connect`\)/);
    refused(await runCli(['telemetry', 'poll']), /needs re-authorisation/);
    refused(await runCli(['telemetry', 'backfill', '--account', 'default']), /needs re-authorisation/);
    expect(fake.apiRequests()).toHaveLength(sent);
    expect(await monthCalls()).toBe(calls);
  }, 180_000);
});
