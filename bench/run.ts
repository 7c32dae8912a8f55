/**
 * Benchmark runner: `npm run bench [-- filter]` (compiled to dist/bench/run.js) or `npx tsx bench/run.ts [filter]`.
 * Runs every bench/*.bench.{ts,js} next to this file; each exports `run()` (or a default function).
 * Filter (optional substring): a bench file whose name contains it runs in full; a file that exports
 * `takesFilter = true` receives the filter to select its own cases (e.g. `plan-96`, `rolling`); other files are
 * skipped when a filter is given that does not match their name. One failing bench file does not stop the others.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type BenchFn = (arg?: string) => Promise<void> | void;
const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(here)
  .filter((f) => /\.bench\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
  .sort();

let failed = 0;
for (const file of files) {
  const stem = file.replace(/\.bench\.(ts|js)$/, '');
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { run?: BenchFn; default?: BenchFn; takesFilter?: boolean };
  const fn = mod.run ?? mod.default;
  if (!fn) {
    console.log(`(${file}: no run() export, skipped)`);
    continue;
  }
  try {
    if (!filter || stem.includes(filter)) await fn();
    else if (mod.takesFilter) await fn(filter);
  } catch (error) {
    failed++;
    console.error(`bench ${file} failed:`, error);
  }
}
if (failed) process.exitCode = 1;
