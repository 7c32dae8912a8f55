import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

// This file exercises the embedded default store (PGlite in a temp directory), whatever the environment says.
delete process.env.DATABASE_URL;

const smoke = fileURLToPath(new URL('../fixtures/scenarios/smoke.json', import.meta.url));

describe('replay runs are kept in the database', () => {
  it('stores one run per strategy with the scenario hash and lists them newest first', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'replay-store-'));
    const first = await runCli(['replay', smoke, '--json', '--strategy', 'perfect-foresight', 'threshold', '--data-dir', dataDir]);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(first.stderr).toMatch(/Saved 2 replay run\(s\) in .*pglite/);

    const listed = await runCli(['replay-runs', 'list', '--json', '--data-dir', dataDir]);
    expect(listed.code).toBe(0);
    const runs = JSON.parse(listed.stdout) as { strategy: string; scenarioName: string; scenarioHash: string; report: { strategy: { netValueUsd: number } } }[];
    expect(runs.map((r) => r.strategy).sort()).toEqual(['perfect-foresight', 'threshold']);
    expect(new Set(runs.map((r) => r.scenarioHash)).size).toBe(1);
    expect(runs[0].scenarioHash).toMatch(/^[0-9a-f]{64}$/);
    for (const run of runs) {
      expect(run.scenarioName).toBe(report.scenario);
      const fromReport = report.strategies.find((s: { name: string }) => s.name === run.strategy);
      expect(run.report.strategy.netValueUsd).toBe(fromReport.netValueUsd);
    }

    // A second replay adds rows; nothing earlier is lost.
    expect((await runCli(['replay', smoke, '--strategy', 'threshold', '--data-dir', dataDir])).code).toBe(0);
    const after = JSON.parse((await runCli(['replay-runs', 'list', '--json', '--data-dir', dataDir])).stdout) as unknown[];
    expect(after).toHaveLength(3);
    const onlyThreshold = JSON.parse((await runCli(['replay-runs', 'list', '--json', '--strategy', 'threshold', '--data-dir', dataDir])).stdout) as unknown[];
    expect(onlyThreshold).toHaveLength(2);
  }, 60_000);

  it('--no-store leaves the data directory untouched', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'replay-nostore-'));
    const r = await runCli(['replay', smoke, '--strategy', 'threshold', '--no-store', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Saved/);
    expect(readdirSync(dataDir)).toEqual([]);
  }, 60_000);
});
