/**
 * Test file order for `vitest run` (issue 8): the files known to take longest start first, so they do not begin
 * last and run alone on one core at the end of the suite.
 *
 * vitest's own order on a clean clone (no results cache, as in CI) is by file size, largest first: the kill tests
 * (`kill-pglite.test.ts`, `kill-postgres.test.ts`, a few lines each that call `kill-suite.ts`) started last and were
 * the suite's tail (measured: started at 536 s and 552 s of a 630 s run, ending it). The list below is the top of
 * the per-file CPU table (`ERCOT_ARB_SUITE_CPU=DIR npx vitest run`, docs/persistence.md "Suite time"), longest
 * first; every other file keeps vitest's order after them. A file missing from the list only starts later, nothing
 * is skipped: the list is a hint, so a stale entry costs time, never coverage.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first, by CPU seconds in a full run (children included). */
export const LONG_FILES = [
  'test/app/daemon/crash-safety-a.test.ts', // ~20 s CPU each half: > 50 SIGKILLed `run --once` children, one after the other
  'test/app/daemon/crash-safety-b.test.ts',
  'test/store/kill-pglite.test.ts', // 28–35 s (its five lines made vitest start it last)
  'test/cli/demo.test.ts', // 12 s, 30 s wall or more
  'test/store/kill-postgres.test.ts', // 11–14 s
  'test/web/review.browser.test.ts', // 10–13 s (Chromium)
  'test/app/daemon/sim-week.test.ts', // 9.5–11 s
  'test/app/telemetry/telemetry.test.ts',
  'test/cli/run.test.ts',
  'test/cli/dispatch.test.ts',
  'test/store/migrations.test.ts',
  'test/domain/optimizer/stress.test.ts',
  'test/domain/forecast/forecasters.test.ts',
  'test/adapters/ercot/fake-cli.test.ts',
  'test/adapters/jobs/graphile-prune.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = LONG_FILES.indexOf(relative(spec.project.config.root, spec.moduleId).split('\\').join('/'));
      return i === -1 ? LONG_FILES.length : i;
    };
    // Array.prototype.sort is stable: files off the list keep vitest's order.
    return base.map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map(({ spec }) => spec);
  }
}
