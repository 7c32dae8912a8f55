/** `ercot-arb reconcile report | run`: planned vs. actual per interval, once the late telemetry has arrived. */
import type { Command } from 'commander';
import { commandGroup, DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const reconcile = commandGroup(program, 'reconcile', 'planned vs. actual per interval: energy, SoC, grid, realised $, command outcome');
  reconcile.command('report')
    .description('one ERCOT delivery date of a site (92/96/100 intervals): planned vs. actual, totals, outcomes, revisions')
    .option('--site <id>', 'the site')
    .option('--date <date>', 'ERCOT delivery date, YYYY-MM-DD (America/Chicago)')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { reconcileReportCommand } = await import('../actions/reconcile.js');
      await reconcileReportCommand(ctx, options);
    });
  reconcile.command('run')
    .description('reconcile now (default: the last RECONCILE_LOOKBACK_HOURS of every site not disabled) and refresh calibration')
    .option('--site <id>', 'only this site')
    .option('--from <date>', 'first ERCOT delivery date, YYYY-MM-DD')
    .option('--to <date>', 'last delivery date, inclusive (default --from)')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { reconcileRunCommand } = await import('../actions/reconcile.js');
      await reconcileRunCommand(ctx, options);
    });
};
