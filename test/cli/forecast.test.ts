/** `forecast evaluate` on the bundled HB_HUBAVG data (datasets/ercot/hubavg), one month, one cheap forecaster. */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';

const hubavg = fileURLToPath(new URL('../../datasets/ercot/hubavg/', import.meta.url));

describe('ercot-arb forecast evaluate', () => {
  it('reports per month, per quarter and pooled capture vs perfect foresight and day-ahead, with error metrics', async () => {
    const run = await runCli(['forecast', 'evaluate', '--from', '2024-12', '--to', '2024-12', '--forecaster', 'dam', '--data', hubavg, '--json']);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.months.map((m: { label: string }) => m.label)).toEqual(['2024-12']);
    expect(r.quarters.map((m: { label: string }) => m.label)).toEqual(['2024-Q4']);
    const m = r.months[0];
    expect(m.perfectForesightUsd).toBeGreaterThan(1);
    expect(m.dayAheadCapture).toBeGreaterThan(0);
    expect(m.dayAheadCapture).toBeLessThan(1.0001);
    const dam = m.strategies[0];
    expect(dam.name).toBe('dam');
    expect(dam.capture).toBeCloseTo(dam.adjustedNetValueUsd / m.perfectForesightUsd, 12);
    expect(dam.vsDayAhead).toBeCloseTo(dam.capture - m.dayAheadCapture, 12);
    expect(dam.errors.decisions).toBeGreaterThan(600);
    expect(dam.errors.maeUsdPerMwh).toBeGreaterThan(0);
    expect(r.pooled.strategies[0].capture).toBeCloseTo(dam.capture, 12);
    expect(run.stderr).toContain('2024-12: perfect foresight');
  }, 120_000);

  it('an unknown forecaster or a malformed month is bad input (exit 2)', async () => {
    const a = await runCli(['forecast', 'evaluate', '--from', '2024-12', '--to', '2024-12', '--forecaster', 'crystal-ball', '--data', hubavg]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('unknown forecaster "crystal-ball"');
    const b = await runCli(['forecast', 'evaluate', '--from', 'Dec 2024', '--to', '2024-12', '--data', hubavg]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--from');
    const c = await runCli(['forecast', 'evaluate', '--from', '2024-12', '--to', '2024-12', '--select-lookback', '0', '--data', hubavg]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--select-lookback');
  });
});
