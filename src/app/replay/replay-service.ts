/** The replay use case: load a scenario, run the strategies, write per-interval CSVs. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidScenario } from '../../domain/errors.js';
import { runReplay, type ReplayResult } from '../../domain/replay/replay.js';
import type { Planner } from '../../domain/replay/replay-data.js';
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
  const planner = options.planner ?? (await loadPlanner(options.solver));
  const result = runReplay(scenario.data, strategies, planner, { clock: { nowMs: () => performance.now() }, onProgress: options.onProgress, notes: scenario.notes });
  result.report.timing.totalMs = performance.now() - started;
  const files: string[] = [];
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    for (const o of result.outcomes) {
      const path = join(options.outDir, `${o.run.name.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`);
      await writeFile(path, intervalsCsv(o.settlement, scenario.data.battery));
      files.push(path);
    }
    const reportPath = join(options.outDir, 'report.json');
    await writeFile(reportPath, `${JSON.stringify(result.report, null, 2)}\n`);
    files.push(reportPath);
  }
  return { ...result, scenario, files };
}
