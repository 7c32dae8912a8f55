/** `replay FILE` and `scenario schema | validate FILE`. Implementations are imported lazily. */
import type { RegisterCommands } from '../context.js';
import { commandGroup, DATA_DIR_OPTION } from '../context.js';

interface ReplayFlags {
  json?: boolean;
  out?: string;
  strategy?: string[];
  solver?: string;
  store?: boolean;
  dataDir?: string;
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('replay')
    .description('replay a scenario file over real ERCOT prices and report what each strategy earns')
    .argument('<file>', 'scenario file (JSON; see scenarios/README.md)')
    .option('--json', 'print the report as JSON')
    .option('--out <dir>', 'also write per-interval CSV per strategy (and report.json) to this directory')
    .option('--strategy <name...>', 'only these strategies (names or kinds from the scenario)')
    .option('--solver <name>', 'optimizer solver (default: the optimizer\'s own choice)')
    .option('--no-store', 'do not keep the report in the database (table replay_runs)')
    .option(...DATA_DIR_OPTION)
    .action(async (file: string, flags: ReplayFlags) => {
      const { replayScenario } = await import('../../app/replay/replay-service.js');
      const { formatReport } = await import('../../domain/report/replay-report.js');
      const progress = await progressReporter(ctx.stderr);
      try {
        const result = await replayScenario(file, { strategies: flags.strategy, solver: flags.solver, outDir: flags.out, onProgress: progress.update });
        progress.stop();
        ctx.stdout.write(flags.json ? `${JSON.stringify(result.report, null, 2)}\n` : formatReport(result.report));
        if (flags.out && !flags.json) ctx.stdout.write(`Wrote ${result.files.join(', ')}\n`);
        if (flags.store !== false) {
          const { saveReplayRuns } = await import('../../app/replay/save-replay-runs.js');
          const saved = await saveReplayRuns(result.report, result.scenario.contentHash, { dataDir: flags.dataDir });
          const note = `Saved ${saved.runs.length} replay run(s) in ${saved.location} (scenario hash ${result.scenario.contentHash.slice(0, 12)}; list them with \`ercot-arb replay-runs list\`)\n`;
          (flags.json ? ctx.stderr : ctx.stdout).write(note);
        }
      } finally {
        progress.stop();
      }
    });

  commandGroup(program, 'replay-runs', 'replay reports kept in the database')
    .command('list')
    .description('list stored replay runs, newest first')
    .option('--scenario <name>', 'only this scenario (its "name")')
    .option('--strategy <name>', 'only this strategy')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (flags: { scenario?: string; strategy?: string; limit: number; json?: boolean; dataDir?: string }) => {
      const { recentReplayRuns } = await import('../../app/replay/save-replay-runs.js');
      const runs = await recentReplayRuns({ scenarioName: flags.scenario, strategy: flags.strategy, limit: flags.limit }, { dataDir: flags.dataDir });
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) ctx.stdout.write('no replay runs stored yet (run `ercot-arb replay FILE`)\n');
      for (const r of runs) {
        const s = (r.report as { strategy?: { netValueUsd?: number; captureRate?: number | null } }).strategy ?? {};
        const capture = typeof s.captureRate === 'number' ? `${(s.captureRate * 100).toFixed(1)}%` : '–';
        ctx.stdout.write(`${new Date(r.createdAtMs).toISOString()}  ${r.scenarioName}  ${r.strategy}  net $${(s.netValueUsd ?? NaN).toFixed(2)}  capture ${capture}  hash ${r.scenarioHash.slice(0, 12)}  id ${r.replayRunId}\n`);
      }
    });

  const scenario = commandGroup(program, 'scenario', 'scenario files: JSON Schema and validation');
  scenario
    .command('schema')
    .description('print the JSON Schema of scenario files (generated from the zod schema)')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../../adapters/files/scenario-schema.js');
      ctx.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });
  scenario
    .command('validate')
    .description('check a scenario file and the price/load files it references')
    .argument('<file>', 'scenario file')
    .action(async (file: string) => {
      const { loadScenario } = await import('../../app/replay/load-scenario.js');
      const s = await loadScenario(file);
      ctx.stdout.write(`${file}: ok (${s.data.n} intervals, strategies: ${s.strategies.map((x) => x.name).join(', ')}${s.data.dayAhead ? '' : '; no day-ahead prices'})\n`);
    });
};

/** A progress bar on stderr, only on a terminal and only once a replay has run for more than a second. */
async function progressReporter(stderr: NodeJS.WritableStream & { isTTY?: boolean }): Promise<{ update?: (name: string, done: number, total: number) => void; stop: () => void }> {
  if (!stderr.isTTY) return { stop: () => {} };
  const mod = await import('cli-progress');
  const { SingleBar, Presets } = mod.default ?? mod;
  const started = Date.now();
  let bar: InstanceType<typeof SingleBar> | undefined;
  return {
    update: (name, done, total) => {
      if (!bar && Date.now() - started > 1000) {
        bar = new SingleBar({ stream: stderr, format: 'replay [{bar}] {percentage}% | {strategy} | {value}/{total} intervals', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
        bar.start(total, done, { strategy: name });
      }
      bar?.update(done, { strategy: name });
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
