/** `ercot-arb fake enphase --port N`: the fake Enphase server (OAuth + v4 monitoring paths) for people and demos. */
import type { Command } from 'commander';
import { commandGroup, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const fake = commandGroup(program, 'fake', 'local fake servers speaking the real protocols (for tests and demos)');
  fake.command('enphase')
    .description('start a fake Enphase API (OAuth, systems, summary, telemetry, battery settings, Storm Guard, grid status) on loopback')
    .option('--port <n>', 'port (0 = any free port)', '8790')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--per-minute <n>', 'answer 429 (real body) beyond n calls per minute')
    .option('--per-month <n>', 'answer 429 beyond n calls per month')
    .option('--late-hours <h>', 'hold back the newest h hours of telemetry …')
    .option('--release-after <seconds>', '… and release them in one batch after this many seconds', '120')
    .option('--messy-modes', 'spell battery modes the inconsistent ways Enphase examples do')
    .option('--soc-strings', 'report SoC as "97%" strings')
    .option('--refresh-grace <seconds>', 'accept a used refresh token for this long after rotation', '0')
    .action(async (options) => {
      const { runFakeEnphase } = await import('../actions/fake-enphase.js');
      await runFakeEnphase(ctx, options);
    });
};
