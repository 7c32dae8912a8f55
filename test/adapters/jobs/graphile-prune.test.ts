/**
 * Retention of graphile-worker's own rows (`db prune` on PostgreSQL): a job that failed permanently stays in the
 * engine's table until pruned; prune deletes it (dry run only counts), pending jobs are kept. PostgreSQL only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GraphileJobQueue } from '../../../src/adapters/jobs/graphile.js';
import { DATABASE_URL, dropSchema, uniqueSchema } from '../../store/harness.js';

const schema = `${uniqueSchema('gprune')}_jobs`;

describe.skipIf(!DATABASE_URL)('graphile-worker retention', () => {
  afterAll(async () => {
    if (DATABASE_URL) await dropSchema(DATABASE_URL, schema);
  });

  it('prunes permanently failed jobs and keeps pending ones', async () => {
    const queue = new GraphileJobQueue({ connectionString: DATABASE_URL!, schema, pollIntervalMs: 100 });
    try {
      let failures = 0;
      await queue.start({
        doomed: async () => {
          failures++;
          throw new Error('always fails');
        },
      }, { concurrency: 1 });
      await queue.enqueue([{ kind: 'doomed', payload: {}, key: 'd1', maxAttempts: 1 }, { kind: 'later', payload: {}, key: 'l1', runAtMs: Date.now() + 3_600_000 }]);
      for (let i = 0; i < 100 && failures === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(failures).toBe(1);
      await new Promise((r) => setTimeout(r, 300)); // the failure is recorded (failJob) after the handler threw
      expect(await queue.prune({ dryRun: true })).toBe(1);
      expect(await queue.prune()).toBe(1);
      expect(await queue.prune()).toBe(0);
      expect(await queue.pending()).toEqual({ later: 1 });
    } finally {
      await queue.stop();
    }
  }, 30_000);
});
