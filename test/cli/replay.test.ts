import { mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const smoke = join(fixtures, 'scenarios/smoke.json');

/** A copy of the fixture scenario and its price files in a temp dir, edited by the callbacks. */
function edited(options: { scenario?: (s: Record<string, any>) => void; realTime?: (text: string) => string; dayAhead?: (text: string) => string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  cpSync(join(fixtures, 'prices'), join(dir, 'prices'), { recursive: true });
  if (options.realTime) {
    const p = join(dir, 'prices/rtm-aug-2024-excerpt.csv');
    writeFileSync(p, options.realTime(readFileSync(p, 'utf8')));
  }
  if (options.dayAhead) {
    const p = join(dir, 'prices/dam-houston-aug-2024-excerpt.csv');
    writeFileSync(p, options.dayAhead(readFileSync(p, 'utf8')));
  }
  const s = JSON.parse(readFileSync(smoke, 'utf8').replaceAll('../prices/', './prices/'));
  options.scenario?.(s);
  const file = join(dir, 'scenario.json');
  writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
  return file;
}

function expectBadInput(run: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.stdout).toBe('');
}

describe('ercot-arb replay', () => {
  it('prints a readable report', async () => {
    const r = await runCli(['replay', smoke, '--no-store']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/perfect-foresight\s+\$\d+\.\d\d/);
    expect(r.stdout).toMatch(/rolling .*%/);
    expect(r.stdout).toMatch(/Violations: none/);
    expect(r.stdout).toMatch(/max 4855\.55 \$\/MWh \(2024-08-20T19:30:00-05:00\)/);
  }, 30_000);

  it('--json gives every figure; --strategy limits the table; --out writes per-interval CSVs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'replay-out-'));
    const r = await runCli(['replay', smoke, '--json', '--strategy', 'threshold', '--out', out, '--no-store']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.strategies).toHaveLength(1);
    const t = report.strategies[0];
    for (const key of ['netValueUsd', 'grossValueUsd', 'degradationCostUsd', 'chargedKwh', 'dischargedKwh', 'cycles', 'captureRate', 'finalSocPercent']) expect(typeof t[key]).toBe('number');
    expect(report.violations).toEqual([]);
    expect(report.timing).toMatchObject({ solves: 0 });
    expect(readdirSync(out).sort()).toEqual(['report.json', 'threshold.csv']);
    const csv = readFileSync(join(out, 'threshold.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 192);
    expect(csv[0]).toMatch(/^interval_start,price_usd_per_mwh,/);
  }, 30_000);
});

describe('ercot-arb replay: bad input exits 2 naming file, line/field and interval', () => {
  it('a missing column', async () => {
    const file = edited({ realTime: (t) => t.replace('Settlement Point Price', 'Price') });
    expectBadInput(await runCli(['replay', file]), /rtm-aug-2024-excerpt\.csv:1, field Settlement Point Price: missing column "Settlement Point Price"/);
  });

  it('a non-numeric price', async () => {
    const file = edited({ realTime: (t) => t.replace(/(08\/19\/2024,18,2,N,HB_HOUSTON,HU,)[^\n]+/, '$1#N/A') });
    expectBadInput(await runCli(['replay', file]), /rtm-aug-2024-excerpt\.csv:\d+, field Settlement Point Price, interval 2024-08-19T17:15:00-05:00: not a number: "#N\/A"/);
  });

  it('a gap (a missing row) inside the period', async () => {
    const file = edited({ realTime: (t) => t.replace(/08\/20\/2024,10,3,N,HB_HOUSTON,HU,[^\n]+\n/, '') });
    expectBadInput(await runCli(['replay', file]), /rtm-aug-2024-excerpt\.csv.*2024-08-20 has 95 rows, expected 96/);
  });

  it('a duplicate interval', async () => {
    const file = edited({ realTime: (t) => `${t}08/20/2024,10,3,N,HB_HOUSTON,HU,33\n` });
    expectBadInput(await runCli(['replay', file]), /rtm-aug-2024-excerpt\.csv.*interval 2024-08-20T09:30:00-05:00: duplicate interval/);
  });

  it('a DST day with the wrong number of rows', async () => {
    const file = edited({
      scenario: (s) => {
        s.prices.dayAhead = { file: './prices/dam-houston-dst-days.csv', format: 'ercot-api' };
      },
    });
    writeFileSync(join(file, '../prices/dam-houston-dst-days.csv'), readFileSync(join(fixtures, 'prices/dam-houston-dst-days.csv'), 'utf8').replace(/2024-11-03,02:00,HB_HOUSTON,14\.11,True\n/, ''));
    expectBadInput(await runCli(['replay', file]), /dam-houston-dst-days\.csv:\d+, field deliveryDate, interval 2024-11-03T00:00:00-05:00: delivery date 2024-11-03 has 24 rows, expected 25 \(a 25-hour DST day\)/);
  });

  it('a start after its end', async () => {
    const file = edited({ scenario: (s) => { s.start = '2024-08-21T00:00:00-05:00'; s.end = '2024-08-19T00:00:00-05:00'; } });
    expectBadInput(await runCli(['replay', file]), /scenario\.json, field start: start .* is not before end/);
  });

  it('a battery with negative capacity names the field and its line', async () => {
    const file = edited({ scenario: (s) => { s.battery.capacityKwh = -13.5; } });
    expectBadInput(await runCli(['replay', file]), /scenario\.json:\d+, field battery\.capacityKwh: .*\(line \d+, column \d+\)/);
  });

  it('an unknown key (strict schema) and an unknown strategy', async () => {
    const file = edited({ scenario: (s) => { s.battery.capacityKWh = 10; s.strategies = ['rolling', 'magic']; } });
    const r = await runCli(['replay', file, '--no-store']);
    expectBadInput(r, /field battery\.capacityKWh/);
    expect(r.stderr).toMatch(/strategies\.1/);
  });

  it('a price file that does not exist', async () => {
    const file = edited({ scenario: (s) => { s.prices.realTime.file = './prices/nope.csv'; } });
    expectBadInput(await runCli(['replay', file]), /scenario\.json: cannot read price file .*nope\.csv: no such file/);
  });

  it('a scenario that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    writeFileSync(join(dir, 'bad.json'), '{\n  "name": "x",\n  oops\n}\n');
    expectBadInput(await runCli(['replay', join(dir, 'bad.json')]), /bad\.json:3: not valid JSON/);
  });
});

describe('ercot-arb scenario', () => {
  it('schema prints the JSON Schema generated from the zod schema', async () => {
    const r = await runCli(['scenario', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'start', 'end', 'settlementPoint', 'prices', 'battery', 'site', 'tariff', 'strategies']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'start', 'end', 'settlementPoint', 'prices', 'battery']));
  });

  it('validate checks a scenario and its files', async () => {
    const ok = await runCli(['scenario', 'validate', smoke]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok \(192 intervals/);
    const bad = await runCli(['scenario', 'validate', edited({ scenario: (s) => { s.battery.roundTripEfficiency = 1.5; } })]);
    expectBadInput(bad, /field battery\.roundTripEfficiency/);
  });
});

describe('scenarios/scenario.schema.json', () => {
  it('is the schema the CLI generates (regenerate with `npx ercot-arb scenario schema > scenarios/scenario.schema.json`)', async () => {
    const r = await runCli(['scenario', 'schema']);
    const committed = readFileSync(fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url)), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(r.stdout));
  });

  it('every bundled scenario validates', async () => {
    const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json') && x !== 'scenario.schema.json')) {
      const r = await runCli(['scenario', 'validate', join(dir, f)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  }, 60_000);
});

describe('ercot-arb replay --solver', () => {
  it('an unknown solver is bad input', async () => {
    const r = await runCli(['replay', smoke, '--solver', 'simplex9000']);
    expectBadInput(r, /unknown solver "simplex9000"/);
  });
});
