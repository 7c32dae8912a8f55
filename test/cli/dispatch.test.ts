import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { runCli } from '../support/cli.js';
import { makeWorld } from '../app/dispatch/fixture.js';

// This file exercises the embedded default store (PGlite in a temp directory), whatever the environment says.
delete process.env.DATABASE_URL;

describe('dispatch CLI: plans, approvals, modes, commands', () => {
  it('sites mode, plans show, plans approve, commands list, plans replay', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-cli-'));
    const store = await openStore({ ERCOT_ARB_DATA_DIR: dataDir });
    try {
      const w = await makeWorld(store.db);
      await w.cycle(); // auto: sends the 19:00 discharge
    } finally {
      await store.close();
    }
    const show = await runCli(['plans', 'show', '--data-dir', dataDir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/S1 {2}mode auto {2}status dispatching/);
    expect(show.stdout).toMatch(/plan v1 .*dp/);
    expect(show.stdout).toMatch(/2026-07-01 19:00 → 20:00 {2}discharge 5 kW/);

    const json = JSON.parse((await runCli(['plans', 'show', '--json', '--site', 'S1', '--data-dir', dataDir])).stdout);
    const planId = json.sites[0].plan.planId as string;
    const replay = await runCli(['plans', 'replay', planId, '--data-dir', dataDir]);
    expect(replay.stdout).toMatch(/identical, \d+ values bit for bit/);
    expect(replay.code).toBe(0);

    const list = await runCli(['commands', 'list', '--site', 'S1', '--state', 'scheduled', '--data-dir', dataDir]);
    expect(list.stdout).toMatch(/S1 {2}2026-07-01 19:00 → 20:00 {2}scheduled +discharge 5 kW to 32 % {2}v1 {2}sim-1/);

    expect((await runCli(['sites', 'mode', 'review', '--site', 'S1', '--data-dir', dataDir])).stdout).toMatch(/S1: dispatch mode review/);
    const approve = await runCli(['plans', 'approve', '--site', 'S1', '--plan-version', '1', '--by', 'dana', '--data-dir', dataDir]);
    expect(approve.stdout).toMatch(/approved plan v1 of S1 \(by dana\)/);
    const after = JSON.parse((await runCli(['plans', 'show', '--json', '--data-dir', dataDir])).stdout);
    expect(after.sites[0]).toMatchObject({ mode: 'review', approvals: [{ approvedBy: 'dana', planVersion: 1, scope: 'site' }] });
    expect((await runCli(['sites', 'mode', 'review', '--fleet', '--data-dir', dataDir])).stdout).toMatch(/fleet default dispatch mode: review/);
  }, 120_000);

  it('mistakes are exit code 2 with a one-line message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-cli-bad-'));
    const noSite = await runCli(['sites', 'mode', 'auto', '--site', 'nope', '--data-dir', dataDir]);
    expect(noSite.code).toBe(2);
    expect(noSite.stderr).toMatch(/no site "nope"/);
    const badMode = await runCli(['sites', 'mode', 'sometimes', '--fleet', '--data-dir', dataDir]);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/mode must be auto \| review/);
    const both = await runCli(['plans', 'approve', '--plan-version', '1', '--data-dir', dataDir]);
    expect(both.code).toBe(2);
    const state = await runCli(['commands', 'list', '--state', 'sent', '--data-dir', dataDir]);
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/unknown state "sent"/);
    const plan = await runCli(['plans', 'replay', '00000000-0000-0000-0000-000000000000', '--data-dir', dataDir]);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toMatch(/not found/);
  }, 60_000);
});
