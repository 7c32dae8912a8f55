/** `ercot-arb serve [--port N] [--host H]`: the trader review web application (docs/web.md). */
import type { Command } from 'commander';
import { DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  program.command('serve')
    .description('serve the trader review pages (fleet, day plans, approve/hold, reconciliation, replays) over the store')
    .option('--port <n>', 'port (0 = any free port)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--hash-password', 'read a password on stdin, print its scrypt hash for ERCOT_ARB_WEB_PASSWORD_HASH, and exit')
    .option(...DATA_DIR_OPTION)
    .action(async (options: { port: string; host: string; hashPassword?: boolean; dataDir?: string }) => {
      const { runServe } = await import('../actions/serve.js');
      await runServe(ctx, options);
    });
};
