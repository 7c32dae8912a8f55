/**
 * `--help` loads only what it needs: the command modules and commander, not the logger (pino) nor any command's
 * implementation. Checked by the modules Node reports loading (NODE_DEBUG=module), never by time. The CLI runs as
 * users run it, from the bundle (scripts/bundle-cli.mjs), where most packages are inlined; the packages left outside
 * it (pino, the WebAssembly solvers and PGlite, node-cron, graphile-worker, pg) must still load only when used.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliArgs } from '../support/entry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function loadedModules(args: string[]): { status: number | null; stdout: string; loaded: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG: 'module', LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL; // the embedded store, in a temp folder
  const r = spawnSync(process.execPath, cliArgs(...args), {
    cwd: ROOT, encoding: 'utf8', env, timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, loaded: r.stderr };
}

describe('CLI start-up', () => {
  it('--help prints the commands without loading pino; a command that logs does load it', () => {
    const help = loadedModules(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: ercot-arb/);
    expect(help.loaded).toMatch(/MODULE \d+: load built-in module node:/); // the debug output does list what was loaded
    expect(help.loaded).not.toMatch(/node_modules\/pino\//);
    expect(help.loaded).not.toMatch(/node_modules\/(kysely|@electric-sql|highs|glpk\.js|node-cron|graphile-worker|pg|undici|zod)\//);

    // A command that logs loads pino (on its first logger); one that does not log never does.
    const quiet = loadedModules(['scenario', 'schema']);
    expect(quiet.status).toBe(0);
    expect(quiet.loaded).not.toMatch(/node_modules\/pino\//);
    const dataDir = mkdtempSync(join(tmpdir(), 'ercot-arb-startup-'));
    try {
      const logs = loadedModules(['prices', 'status', '--data-dir', dataDir]);
      expect(logs.status).toBe(0);
      expect(logs.loaded).toMatch(/node_modules\/pino\//);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
