import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('ercot-arb CLI', () => {
  it('prints help with the sub-commands and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: ercot-arb/);
  });

  it('exits 2 on an unknown command and says so', async () => {
    const r = await runCli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
