/** `replay FILE` and `scenario schema | validate FILE`. Implementations are imported lazily. */
import type { RegisterCommands } from '../context.js';
import { commandGroup } from '../context.js';

interface ReplayFlags {
  json?: boolean;
  out?: string;
  strategy?: string[];
  solver?: string;
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
    .action(async (file: string, flags: ReplayFlags) => {
      const { replayScenario } = await import('../../app/replay/replay-service.js');
      const { formatReport } = await import('../../domain/report/replay-report.js');
      const progress = await progressReporter(ctx.stderr);
      try {
        const result = await replayScenario(file, { strategies: flags.strategy, solver: flags.solver, outDir: flags.out, onProgress: progress.update });
        progress.stop();
        ctx.stdout.write(flags.json ? `${JSON.stringify(result.report, null, 2)}\n` : formatReport(result.report));
        if (flags.out && !flags.json) ctx.stdout.write(`Wrote ${result.files.join(', ')}\n`);
      } finally {
        progress.stop();
      }
    });

  const scenario = commandGroup(program, 'scenario', 'scenario files: JSON Schema and validation');
  scenario
    .command('schema')
    .description('print the JSON Schema of scenario files (generated from the zod schema)')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../../domain/replay/scenario-schema.js');
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
