/**
 * Child process of the input fuzzer (test/fuzz/inputs.test.ts): runs CLI cases one after another through the CLI's
 * public entry point (main) and reports each result over IPC. The parent kills this process when a case hangs and
 * starts a new one at the next case; a V8 crash ends it the same way. Usage (spawned with IPC):
 *   node --import tsx test/fuzz/runner.ts CASES.json FIRST_INDEX
 */
import { readFileSync } from 'node:fs';
import { runCli, type CliRun } from '../support/cli.js';

interface RunnerCase {
  argv: string[];
}

const [casesFile, first] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as RunnerCase[];

async function runOne(argv: string[]): Promise<CliRun> {
  process.exitCode = 0; // main() reads it; a previous case must not leak into the next
  try {
    return await runCli(argv);
  } catch (error) {
    // main() must never throw: report it as the stack trace a user would have seen
    return { code: 99, stdout: '', stderr: `uncaught: ${(error as Error).stack ?? String(error)}` };
  }
}

for (let i = Number(first); i < cases.length; i++) {
  process.send!({ kind: 'start', index: i });
  const result = await runOne(cases[i].argv);
  await new Promise<void>((resolve) => process.send!({ kind: 'done', index: i, ...result }, () => resolve()));
}
process.disconnect();
