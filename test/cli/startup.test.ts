/**
 * `--help` loads only what it needs: the command modules and commander, not the logger (pino) nor any command's
 * implementation. Checked by the modules Node reports loading (NODE_DEBUG=module), never by time.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliArgs } from '../support/entry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function loadedModules(args: string[]): { status: number | null; stdout: string; loaded: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'module', LOG_LEVEL: 'silent' }, timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, loaded: r.stderr };
}

describe('CLI start-up', () => {
  it('--help prints the commands without loading pino; a command that runs does load it', () => {
    const help = loadedModules(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: ercot-arb/);
    expect(help.loaded).toMatch(/commander/); // the debug output does list what was loaded
    expect(help.loaded).not.toMatch(/node_modules\/pino\//);
    expect(help.loaded).not.toMatch(/node_modules\/(kysely|@electric-sql|highs|undici|zod)\//);

    const run = loadedModules(['scenario', 'schema']);
    expect(run.status).toBe(0);
    expect(run.loaded).toMatch(/node_modules\/pino\//);
  }, 180_000);
});
