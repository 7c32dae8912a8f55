/** The replay use case: load a scenario, run the strategies, write per-interval CSVs. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InputError, InvalidScenario } from '../../domain/errors.js';
import { runReplay, type ReplayResult } from '../../domain/replay/replay.js';
import type { Planner } from '../../domain/ports/planner.js';
import { intervalsCsv } from '../../domain/report/replay-report.js';
import { loadScenario, type LoadedScenario } from './load-scenario.js';
import { loadPlanner } from './planner-loader.js';

export interface ReplayServiceOptions {
  /** Only the strategies with these names (or kinds). */
  strategies?: string[];
  solver?: string;
  planner?: Planner;
  outDir?: string;
  onProgress?: (strategy: string, done: number, total: number) => void;
}

export interface ReplayServiceResult extends ReplayResult {
  scenario: LoadedScenario;
  files: string[];
}

export async function replayScenario(file: string, options: ReplayServiceOptions = {}): Promise<ReplayServiceResult> {
  const started = performance.now();
  const scenario = await loadScenario(file);
  let strategies = scenario.strategies;
  if (options.strategies?.length) {
    const wanted = options.strategies;
    strategies = strategies.filter((s) => wanted.includes(s.name) || wanted.includes(s.kind));
    const unknown = wanted.filter((w) => !scenario.strategies.some((s) => s.name === w || s.kind === w));
    if (unknown.length) {
      throw new InvalidScenario(`no strategy named ${unknown.map((u) => `"${u}"`).join(', ')} in the scenario (it has ${scenario.strategies.map((s) => s.name).join(', ')})`, { file, field: 'strategies' });
    }
  }
  if (options.outDir) await requireDirectoryOrNothing(options.outDir);
  const planner = options.planner ?? (await loadPlanner(options.solver));
  const result = runReplay(scenario.data, strategies, planner, { clock: { nowMs: () => performance.now() }, onProgress: options.onProgress, notes: scenario.notes });
  result.report.timing.totalMs = performance.now() - started;
  const files: string[] = [];
  if (options.outDir) files.push(...(await writeOutDir(options.outDir, result, scenario)));
  return { ...result, scenario, files };
}

/** `--out` must name a directory or nothing yet (checked before the replay runs, not after). */
async function requireDirectoryOrNothing(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new InputError('exists and is not a directory (give a new or existing directory)', { file: dir, field: '--out' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Per-interval CSVs per strategy and report.json; a file system refusal (permissions, a file in the path) is bad input. */
async function writeOutDir(outDir: string, result: ReplayResult, scenario: LoadedScenario): Promise<string[]> {
  const files: string[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    for (const o of result.outcomes) {
      const path = join(outDir, `${o.run.name.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`);
      await writeFile(path, intervalsCsv(o.settlement, scenario.data.battery));
      files.push(path);
    }
    const reportPath = join(outDir, 'report.json');
    await writeFile(reportPath, `${JSON.stringify(result.report, null, 2)}\n`);
    files.push(reportPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new InputError(`cannot write the per-interval files: ${code}`, { file: outDir, field: '--out' });
  }
  return files;
}
