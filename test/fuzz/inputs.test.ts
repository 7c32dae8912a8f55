/**
 * Input fuzzer (fixed seed): mutated scenario JSON, price CSVs and CLI arguments, each run through the CLI in a
 * child process with a per-case timeout. Every case must exit 2 with a short message naming the file and the
 * field, line or interval, or exit 0 with a report whose money figures are all numbers; never a stack trace, a
 * hang, a crash or exit 1. FUZZ_CASES=400 (default 110) runs more random cases; FUZZ_SEED picks another seed.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCases, type FuzzCase } from './cases.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20241103);
const RANDOM_CASES = Number(process.env.FUZZ_CASES ?? 80);
/** Generous: a case is a 1-day replay (a few hundred ms); only a hang gets near this. */
const CASE_TIMEOUT_MS = Number(process.env.FUZZ_CASE_TIMEOUT_MS ?? 20_000);

const pricesDir = fileURLToPath(new URL('../fixtures/prices/', import.meta.url));
const runnerPath = fileURLToPath(new URL('./runner.ts', import.meta.url));

interface Outcome {
  code: number | 'hang' | 'crash';
  stdout: string;
  stderr: string;
}

/** Runs every case in a child process; a case that hangs or crashes it is recorded, and a new child continues. */
async function runAll(cases: FuzzCase[], dir: string): Promise<Outcome[]> {
  const casesFile = join(dir, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases.map((c) => ({ argv: c.argv }))));
  const outcomes: Outcome[] = [];
  while (outcomes.length < cases.length) {
    const first = outcomes.length;
    await new Promise<void>((resolve) => {
      const child = fork(runnerPath, [casesFile, String(first)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, ERCOT_ARB_DEBUG: '' } });
      let current = first;
      let childStderr = '';
      let timer: NodeJS.Timeout | undefined;
      let hung = false;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, CASE_TIMEOUT_MS);
      };
      child.stderr!.on('data', (c) => (childStderr = (childStderr + c).slice(-4000)));
      child.on('message', (m: { kind: string; index: number; code: number; stdout: string; stderr: string }) => {
        if (m.kind === 'start') {
          current = m.index;
          arm();
        } else {
          outcomes[m.index] = { code: m.code, stdout: m.stdout, stderr: m.stderr };
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        if (outcomes.length <= current && current < cases.length) outcomes[current] = { code: hung ? 'hang' : 'crash', stdout: '', stderr: childStderr };
        resolve();
      });
    });
  }
  return outcomes;
}

/** Why an outcome breaks the contract, or null when it keeps it. */
function problem(c: FuzzCase, o: Outcome, baseReport: any): string | null {
  if (o.code === 'hang') return `hang (over ${CASE_TIMEOUT_MS} ms)`;
  if (o.code === 'crash') return `the process crashed: ${o.stderr.slice(-300)}`;
  if (/\n\s+at /.test(o.stderr) || /\n\s+at /.test(o.stdout)) return `stack trace: ${o.stderr.slice(0, 300)}`;
  if (o.code !== 0 && o.code !== 2) return `exit ${o.code}: ${o.stderr.slice(0, 300)}`;
  if (o.code === 2) {
    if (c.expect === 'same') return `refused an input that means the same as the base: ${o.stderr.slice(0, 300)}`;
    const first = o.stderr.split('\n')[0];
    if (!first.startsWith('error: ')) return `message does not start with "error: ": ${first.slice(0, 200)}`;
    if (first.length > 400 || o.stderr.length > 3000) return `message too long (${first.length} chars first line, ${o.stderr.length} in all): ${first.slice(0, 200)}…`;
    if (!c.files.some((f) => first.includes(f))) return `message names none of ${c.files.join(', ')}: ${first}`;
    if (!c.wholeFile && !/:\d+[,:]|field |interval |line \d/.test(first)) return `message names no field, line or interval: ${first}`;
    return null;
  }
  if (c.expect === 'bad') return `accepted an input that must be refused: ${o.stdout.slice(0, 200)}`;
  if (c.argv.includes('--json')) {
    let report: any;
    try {
      report = JSON.parse(o.stdout);
    } catch {
      return `--json output is not JSON: ${o.stdout.slice(0, 200)}`;
    }
    for (const s of report.strategies) {
      for (const key of ['netValueUsd', 'grossValueUsd', 'degradationCostUsd', 'chargedKwh', 'dischargedKwh', 'cycles', 'finalSocPercent']) {
        if (typeof s[key] !== 'number' || !Number.isFinite(s[key])) return `strategy ${s.name}: ${key} is ${JSON.stringify(s[key])}`;
      }
      if (s.captureRate !== null && !Number.isFinite(s.captureRate)) return `strategy ${s.name}: captureRate is ${s.captureRate}`;
    }
    if (c.expect === 'same') {
      const figures = (r: any) => r.strategies.map((s: any) => [s.name, s.netValueUsd.toFixed(6), s.dischargedKwh.toFixed(6)]);
      if (JSON.stringify(figures(report)) !== JSON.stringify(figures(baseReport))) return `report differs from the base: ${JSON.stringify(figures(report))}`;
    }
  }
  return null;
}

describe(`input fuzzer (seed ${SEED}, ${RANDOM_CASES} random cases + fixed ones)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ercot-arb-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every case exits 0 with numbers or 2 with a short message naming file and place; no trace, hang, crash or exit 1', async () => {
    const { base, cases } = buildCases(dir, pricesDir, SEED, RANDOM_CASES);
    const [baseOutcome, ...outcomes] = await runAll([base, ...cases], dir);
    expect(baseOutcome.stderr).toBe('');
    expect(baseOutcome.code).toBe(0);
    const baseReport = JSON.parse(baseOutcome.stdout);
    expect(baseReport.strategies.map((s: any) => s.name)).toEqual(['perfect-foresight', 'rolling', 'day-ahead', 'threshold']);
    const failures = cases.flatMap((c, i) => {
      const p = problem(c, outcomes[i], baseReport);
      return p ? [`${c.name}: ${p}`] : [];
    });
    const refused = outcomes.filter((o) => o.code === 2).length;
    expect(refused).toBeGreaterThan(cases.length / 4); // the fuzzer really reaches the validation
    expect(outcomes.length - refused).toBeGreaterThan(5); // and some mutations are still good input
    expect(failures).toEqual([]);
  }, 900_000);
});
