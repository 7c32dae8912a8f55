/**
 * How a test starts one of our programs in a child process: `node dist/<file>.js` when the compiled output is up to
 * date (`npm test` builds first), else `node --import tsx <file>.ts`. tsx compiles every module of the child on the
 * fly: ~0.9 s more CPU per CLI start-up (`db status`: 1.6 s → 0.7 s), which added up over the suite's child processes.
 * "Up to date" means no file under src/ is newer than the newest compiled file in dist/src/, so a test never runs an
 * old build after an edit (it falls back to tsx then). ERCOT_ARB_TEST_TSX=1 always uses tsx.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function newestMtimeMs(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(path, ext));
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let fresh: boolean | undefined;

/** True when dist/src holds a build at least as new as every source file. */
export function distIsFresh(): boolean {
  if (fresh !== undefined) return fresh;
  if (process.env.ERCOT_ARB_TEST_TSX === '1' || !existsSync(join(ROOT, 'dist/src'))) return (fresh = false);
  return (fresh = newestMtimeMs(join(ROOT, 'dist/src'), '.js') >= newestMtimeMs(join(ROOT, 'src'), '.ts'));
}

/**
 * Node arguments that run the source file `file` (a path from the repository root, e.g. 'src/cli/main.ts'): the
 * compiled file when dist is fresh, else the source through tsx. Absolute paths, so any working directory will do.
 */
export function nodeArgs(file: string): string[] {
  const { execArgv, path } = builtOrSource(file);
  return [...execArgv, path];
}

/** The file to run or import for the source file `file`, and the Node options it needs (tsx for a source file). */
export function builtOrSource(file: string): { execArgv: string[]; path: string } {
  const built = join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
  return distIsFresh() && existsSync(built) ? { execArgv: [], path: built } : { execArgv: ['--import', 'tsx'], path: join(ROOT, file) };
}

/** The bundled CLI that bin/ercot-arb.js runs (scripts/bundle-cli.mjs), built by `npm run build` after tsc. */
export const CLI_BUNDLE = join(ROOT, 'dist/src/cli/main.bundle.mjs');

/**
 * Node arguments that run the CLI (`ercot-arb`) as users run it (the bundle), followed by its arguments; the sources
 * through tsx when the build is older than the sources.
 */
let bundleFresh: boolean | undefined;

export function cliArgs(...args: string[]): string[] {
  bundleFresh ??= distIsFresh() && existsSync(CLI_BUNDLE) && statSync(CLI_BUNDLE).mtimeMs >= newestMtimeMs(join(ROOT, 'src'), '.ts');
  return [...(bundleFresh ? [CLI_BUNDLE] : nodeArgs('src/cli/main.ts')), ...args];
}
