import { describe, expect, it } from 'vitest';
import { claimJobRun, finishJobRun, getJobRun, lastJobRun, listJobRuns } from '../../src/store/job-runs-repo.js';
import { backends, useDatabase } from './harness.js';

const AT = Date.UTC(2024, 7, 1, 17, 0);

describe.each(backends())('job_runs on $name', (backend) => {
  const db = useDatabase(backend);

  it('the first claim wins, the second gets null; finish is recorded once', async () => {
    const a = await claimJobRun(db().db, { jobName: 'ingest-rt15', scheduledForMs: AT, claimedBy: 'proc-a' });
    const b = await claimJobRun(db().db, { jobName: 'ingest-rt15', scheduledForMs: AT, claimedBy: 'proc-b' });
    expect(a).not.toBeNull();
    expect(b).toBeNull();
    expect(a!.claimedBy).toBe('proc-a');
    expect(a!.scheduledForMs).toBe(AT);
    expect(a!.startedAtMs).not.toBeNull();
    expect(await finishJobRun(db().db, a!.id, { outcome: 'succeeded', details: { rows: 96 }, finishedAtMs: AT + 5_000 })).toBe(true);
    expect(await finishJobRun(db().db, a!.id, { outcome: 'failed', error: 'late' })).toBe(false);
    const stored = await getJobRun(db().db, 'ingest-rt15', AT);
    expect(stored).toMatchObject({ outcome: 'succeeded', finishedAtMs: AT + 5_000, details: { rows: 96 }, error: null, claimedBy: 'proc-a' });
  });

  it('the same job at another time, and another job at the same time, are separate runs', async () => {
    expect(await claimJobRun(db().db, { jobName: 'plan', scheduledForMs: AT, claimedBy: 'x' })).not.toBeNull();
    expect(await claimJobRun(db().db, { jobName: 'plan', scheduledForMs: AT + 900_000, claimedBy: 'x' })).not.toBeNull();
    expect(await claimJobRun(db().db, { jobName: 'reconcile', scheduledForMs: AT, claimedBy: 'x' })).not.toBeNull();
    const runs = await listJobRuns(db().db, { jobName: 'plan' });
    expect(runs.map((r) => r.scheduledForMs)).toEqual([AT + 900_000, AT]);
    expect((await lastJobRun(db().db, 'plan'))?.scheduledForMs).toBe(AT + 900_000);
    expect(await lastJobRun(db().db, 'plan', 'succeeded')).toBeNull();
  });

  it('many concurrent claims of one run on the same database: exactly one wins', async () => {
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimJobRun(db().db, { jobName: 'concurrent', scheduledForMs: AT, claimedBy: `p${i}` })),
    );
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
  });

  it.runIf(backend.name === 'postgres')('two processes (separate pools) claiming the same run: exactly one wins', async () => {
    const other = await db().openAnother!();
    try {
      for (let round = 0; round < 20; round++) {
        const scheduledForMs = AT + round * 60_000;
        const [a, b] = await Promise.all([
          claimJobRun(db().db, { jobName: 'two-pools', scheduledForMs, claimedBy: 'engine-1' }),
          claimJobRun(other.db, { jobName: 'two-pools', scheduledForMs, claimedBy: 'engine-2' }),
        ]);
        expect([a, b].filter((c) => c !== null)).toHaveLength(1);
        const stored = await getJobRun(other.db, 'two-pools', scheduledForMs);
        expect(stored?.claimedBy).toBe((a ?? b)!.claimedBy);
      }
    } finally {
      await other.close();
    }
  });
});
