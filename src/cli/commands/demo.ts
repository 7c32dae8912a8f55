/** `ercot-arb demo`: the whole live loop on one machine without any account. */
import type { Command } from 'commander';
import { DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  program.command('demo')
    .description('the live loop without any account: fake ERCOT, Enphase, Enphase VPP and Texture servers on 127.0.0.1 (real bundled prices on a simulated clock, simulated batteries), the daemon fetches, plans, sends and reconciles through the real clients; review pages and /metrics served')
    .option('--port <n>', 'HTTP port for the review pages and /metrics (0 = any free port)', '8787')
    .option('--sites <n>', 'simulated batteries', '3')
    .option('--speed <ms>', 'wall-clock milliseconds to wait between simulated 15-minute steps', '1000')
    .option('--steps <n>', '15-minute steps to run (default: two days, 192)')
    .option('--exit', 'exit when the steps are done instead of keeping the pages up')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => {
      const { runDemo } = await import('../actions/demo.js');
      await runDemo(ctx, flags);
    });
};
