/** `forecast evaluate`: walk-forward evaluation of the price forecasters. Implementation imported lazily. */
import type { RegisterCommands } from '../context.js';
import { commandGroup } from '../context.js';

interface EvaluateFlags {
  from: string;
  to: string;
  forecaster?: string[];
  data?: string;
  solver?: string;
  json?: boolean;
  horizonHours?: number;
  horizonToDam?: boolean;
  hurdle?: number;
  selectLookback?: number;
}

export const register: RegisterCommands = (program, ctx) => {
  commandGroup(program, 'forecast', 'price forecasters: walk-forward evaluation')
    .command('evaluate')
    .description('walk-forward: per test month, train on earlier data only, replay rolling with each forecaster, report capture and errors')
    .requiredOption('--from <date>', 'first test month (YYYY-MM or YYYY-MM-DD)')
    .requiredOption('--to <date>', 'last test month, inclusive (YYYY-MM or YYYY-MM-DD)')
    .option('--forecaster <name...>', 'forecasters to compare (default: every non-oracle one; oracle-15m, oracle-1h, lookahead-2h, lookahead-6h measure the information bound; sweeps: dam-fade:fraction=F,halfLifeHours=H[,prop=R,propUpTo=X], shape+NAME, shape1+NAME, "mean(A|B|…)")')
    .option('--data <dir>', 'directory with *rt*.csv[.gz] and *dam*.csv[.gz] (default: datasets/ercot/hubavg, else ../shared/data/ercot/hubavg)')
    .option('--solver <name>', 'optimizer solver', 'dp')
    .option('--horizon-hours <h>', 'rolling planning horizon, hours', (v) => Number.parseInt(v, 10), 24)
    .option('--no-horizon-to-dam', 'rolling: plan exactly --horizon-hours (default, as rolling: extended to the end of the latest published DAM day when that is later, ≤ 48 h)')
    .option('--hurdle <usdPerKwh>', 'rolling: planning-only extra cost per kWh discharged', Number.parseFloat, 0)
    .option('--select-lookback <months>', 'also report walk-forward-selected(N): per test month, the forecaster that did best over the N months before it', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the report as JSON')
    .action(async (flags: EvaluateFlags) => {
      const { evaluateForecasters } = await import('../../app/forecast/evaluate.js');
      const { formatEvaluation, formatPeriodLine } = await import('../../app/forecast/format-evaluation.js');
      const report = await evaluateForecasters({
        from: flags.from, to: flags.to, forecasters: flags.forecaster, dataDir: flags.data, solver: flags.solver, horizonHours: flags.horizonHours, horizonToPublishedDam: flags.horizonToDam !== false, hurdleUsdPerKwh: flags.hurdle, selectLookbackMonths: flags.selectLookback,
        onPeriod: (r, ms) => ctx.stderr.write(formatPeriodLine(r, ms)),
      });
      ctx.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatEvaluation(report));
    });
};
