/**
 * `fake vpp` and `fake texture` as a person runs them: a child process (the built CLI, see test/support/entry.ts) that prints where it listens and the
 * environment to use; a channel configured from those printed values sends a command; SIGTERM stops it cleanly.
 * Bad options exit 2 with a message naming the option.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createControlChannel } from '../../src/adapters/control/registry.js';
import { systemClock } from '../../src/app/system-clock.js';
import { runCli } from '../support/cli.js';
import { cliArgs } from '../support/entry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the CLI in a child process and resolves with the printed exports once the banner is complete. */
function startFake(args: string[]): Promise<{ env: Record<string, string>; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, cliArgs(...args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (!out.includes('Ctrl-C to stop')) return;
      const env: Record<string, string> = {};
      for (const m of out.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
      resolve({ env, stop: async () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`fake exited early (${code}): ${err}`)));
  });
}

const soon = () => Math.ceil((Date.now() + 10 * 60_000) / 60_000) * 60_000;

describe('fake vpp / fake texture commands', () => {
  it('fake vpp serves the VPP API a channel can use with the printed settings, and stops on SIGTERM', async () => {
    const fake = await startFake(['fake', 'vpp', '--port', '0', '--sites', '1001,1002']);
    try {
      const e = fake.env;
      const ch = createControlChannel('enphase-vpp', {
        baseUrl: e.ENPHASE_VPP_BASE_URL, programId: e.ENPHASE_VPP_PROGRAM_ID, apiKey: e.ENPHASE_VPP_API_KEY, clientId: e.ENPHASE_VPP_CLIENT_ID, clientSecret: e.ENPHASE_VPP_CLIENT_SECRET,
      }, { clock: systemClock });
      const start = soon();
      const sent = await ch.send({ idempotencyKey: 'k', siteRef: '1002', mode: 'charge', powerKw: 2, targetReservePercent: 80, startMs: start, endMs: start + 30 * 60_000, supersede: true });
      expect((await ch.status('1002', sent.externalId)).status).toBe('scheduled');
    } finally {
      expect(await fake.stop()).toBe(0);
    }
  });

  it('fake texture serves the command API with the printed settings', async () => {
    const fake = await startFake(['fake', 'texture', '--port', '0', '--devices', 'dev-a']);
    try {
      const ch = createControlChannel('texture', { baseUrl: fake.env.TEXTURE_API_BASE_URL, apiKey: fake.env.TEXTURE_API_KEY }, { clock: systemClock });
      const start = soon();
      const sent = await ch.send({ idempotencyKey: 'k', siteRef: 'dev-a', mode: 'idle', powerKw: 0, targetReservePercent: 10, startMs: start, endMs: start + 60_000, supersede: true });
      expect(sent.status).toBe('accepted');
    } finally {
      expect(await fake.stop()).toBe(0);
    }
  });

  it('bad options exit 2 naming the option', async () => {
    const vpp = await runCli(['fake', 'vpp', '--port', '99999']);
    expect(vpp.code).toBe(2);
    expect(vpp.stderr).toMatch(/--port/);
    const texture = await runCli(['fake', 'texture', '--port', '0', '--webhook-url', 'http://127.0.0.1:9/x']);
    expect(texture.code).toBe(2);
    expect(texture.stderr).toMatch(/--webhook-secret/);
  });
});
