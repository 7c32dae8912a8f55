import { configDefaults, defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first-sequencer.js';

/**
 * Test files that share worker processes (isolate: false): the pure domain tests and the adapter tests against the
 * loopback fakes. None of them changes process.env or other process-wide state, and a new process per file cost more
 * than the tests themselves: measured `npx vitest run test/domain` 44.9 s CPU isolated vs 17.8 s shared (the shared
 * worker keeps its loaded modules and V8's compiled code), `test/adapters` 25.8 s vs 5.5 s (docs/persistence.md,
 * "Suite time"). Everything else (the CLI tests change process.env; the app tests start daemons, servers and timers)
 * keeps a process per file.
 */
const SHARED_PROCESS = ['test/domain/**/*.test.ts', 'test/adapters/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // ERCOT_ARB_SUITE_CPU=<folder>: one line of CPU seconds per test file in <folder>/cpu.jsonl (test/support/cpu-probe.ts).
    setupFiles: process.env.ERCOT_ARB_SUITE_CPU ? ['test/support/cpu-probe.ts'] : [],
    // The longest files start first (a checked-in list; test/support/longest-first-sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many test files wait on child processes, sockets and the database rather than the CPU: on a 2-core machine
    // vitest's default (cores − 1 = one worker) left a core idle. Four workers measured fastest (docs/persistence.md).
    maxWorkers: 4,
    minWorkers: 1,
    // The pool's options are the root's: only the shared-process project below runs on threads.
    poolOptions: { threads: { isolate: false, maxThreads: 2 } },
    projects: [
      { extends: true, test: { name: 'shared-process', include: SHARED_PROCESS, pool: 'threads' } },
      { extends: true, test: { name: 'own-process', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SHARED_PROCESS] } },
    ],
  },
});
