/**
 * Program files that are started as their own processes (a fleet worker, the store-creation child, the demo's fakes),
 * found from any module: the compiled CLI runs from one bundle (dist/src/cli/main.bundle.mjs, scripts/bundle-cli.mjs),
 * where `import.meta.url` is the bundle's, so a path relative to the calling module would point into dist/src/cli/.
 * Paths are given from src/ (e.g. 'app/fleet/worker-main'); the result is the compiled .js next to the running code,
 * or the .ts source under tsx, with the Node options it needs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `src` folder the running code belongs to: dist/src for compiled code (bundled or not), src under tsx. */
function srcRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  while (dir !== dirname(dir)) {
    if (dir.endsWith('/src') || dir.endsWith('\\src')) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no src folder above ${fileURLToPath(fromUrl)}`);
}

export interface ProgramFile {
  path: string;
  execArgv: string[];
  exists: boolean;
}

export function programFile(fromSrc: string): ProgramFile {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  const path = join(srcRoot(import.meta.url), `${fromSrc}.${fromSource ? 'ts' : 'js'}`);
  return { path, execArgv: fromSource ? ['--import', 'tsx'] : [], exists: existsSync(path) };
}
