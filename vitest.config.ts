import { configDefaults, defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first-sequencer.js';

/**
 * Test files that share worker threads (isolate: false): the pure domain tests, the adapter tests against the
 * loopback fakes, the store's repository tests and the app tests that run in this process. None of them changes
 * process.env or other process-wide state, and a new process per file cost more than the tests themselves (each one
 * loads vitest, kysely, PGlite and our modules again): measured `npx vitest run test/domain` 44.9 s CPU isolated vs
 * 17.8 s shared, `test/adapters` 25.8 s vs 5.5 s, the eight store repository files 32.9 s vs 23.8 s, the 22 app files
 * below 93.8 s vs 50.2 s (docs/persistence.md, "Suite time"). A process per file stays for the files that change
 * process.env (test/cli, store-lock), start child processes or Chromium as their main work (the crash and kill tests,
 * sim-week, fleet-workers, store-create-child, the fuzz and browser tests): they gain little, and in a process of
 * their own they run beside the shared threads.
 */
const SHARED_PROCESS = [
  'test/domain/**/*.test.ts',
  'test/adapters/**/*.test.ts',
  'test/store/{harness,job-runs-repo,migrations,pglite-parsers,plans-commands,prices-repo,sites-credentials,telemetry-repo}.test.ts',
  'test/app/daemon/{daemon,dispatch-job,http,texture-timing,texture-webhook}.test.ts',
  'test/app/{dispatch,ingest,reconcile,scheduler,telemetry}/*.test.ts',
  'test/app/fleet/in-process.test.ts',
  'test/web/{app,changes}.test.ts',
];

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
