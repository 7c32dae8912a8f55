/**
 * Per-file CPU time of a test run, for finding the heavy files (docs/persistence.md, "Suite time"). Loaded as a
 * vitest setup file only when ERCOT_ARB_SUITE_CPU names a folder: after each file it appends one JSON line with the
 * CPU the file's worker process used (user and system, its own and that of the child processes it waited for: the CLI
 * and daemon children a test spawns) since the worker started. Workers are one process per file (pool forks,
 * isolate), so the figure is the file's.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

const folder = process.env.ERCOT_ARB_SUITE_CPU;

function cpuSeconds(): { self: number; children: number } {
  // /proc/self/stat fields 14-17: utime, stime, cutime, cstime in clock ticks (100 per second on Linux).
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  const tick = (i: number) => Number(fields[i - 3]) / 100;
  return { self: tick(14) + tick(15), children: tick(16) + tick(17) };
}

if (folder) {
  afterAll(() => {
    const { self, children } = cpuSeconds();
    const file = expect.getState().testPath ?? 'unknown';
    appendFileSync(join(folder, 'cpu.jsonl'), `${JSON.stringify({ file, self, children, total: self + children, pid: process.pid })}\n`);
  });
}
