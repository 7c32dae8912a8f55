import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // ERCOT_ARB_SUITE_CPU=<folder>: one line of CPU seconds per test file in <folder>/cpu.jsonl (test/support/cpu-probe.ts).
    setupFiles: process.env.ERCOT_ARB_SUITE_CPU ? ['test/support/cpu-probe.ts'] : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many test files wait on child processes, sockets and the database rather than the CPU: on a 2-core machine
    // vitest's default (cores − 1 = one worker) left a core idle. Four workers measured fastest (docs/persistence.md).
    maxWorkers: 4,
    minWorkers: 1,
  },
});
