/**
 * Per-file CPU time of a test run, for finding the heavy files (docs/persistence.md, "Suite time"). Loaded as a
 * vitest setup file only when ERCOT_ARB_SUITE_CPU names a folder: after each file it appends one JSON line to
 * <folder>/cpu.jsonl with the CPU seconds the file used, its own (`self`) and that of the child processes it waited
 * for (`children`: the CLI and daemon children a test spawns).
 * - Files with a process of their own (pool forks, isolated): everything since the process started, start-up included.
 * - Files sharing a worker thread (the shared-process project): the thread's CPU from this file's set-up to its end;
 *   `children` is then the process's, over the same span (other threads' children may be counted too).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { afterAll, expect } from 'vitest';

const folder = process.env.ERCOT_ARB_SUITE_CPU;

/** utime + stime and cutime + cstime, in seconds, from /proc/<self or thread-self>/stat (100 ticks per second). */
function cpuSeconds(which: 'self' | 'thread-self'): { self: number; children: number } {
  const fields = readFileSync(`/proc/${which}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  const tick = (i: number) => Number(fields[i - 3]) / 100; // field numbers as in proc(5), counted from 1
  return { self: tick(14) + tick(15), children: tick(16) + tick(17) };
}

if (folder) {
  const shared = !isMainThread;
  const start = shared ? { self: cpuSeconds('thread-self').self, children: cpuSeconds('self').children } : { self: 0, children: 0 };
  afterAll(() => {
    const now = shared ? { self: cpuSeconds('thread-self').self, children: cpuSeconds('self').children } : cpuSeconds('self');
    const self = now.self - start.self;
    const children = now.children - start.children;
    const file = expect.getState().testPath ?? 'unknown';
    mkdirSync(folder, { recursive: true });
    appendFileSync(join(folder, 'cpu.jsonl'), `${JSON.stringify({ file, self, children, total: self + children, shared, pid: process.pid })}\n`);
  });
}
