/** `ercot-arb run`: the daemon (every job on its schedule, HTTP probes and metrics), or `--once` for cron. */
import type { Command } from 'commander';
import { DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  program.command('run')
    .description('run every job on its schedule in the foreground (claimed in job_runs; missed runs caught up), with /livez /readyz /metrics')
    .option('--once', 'run one cycle of every due job, print what happened and exit (1 if a job failed)')
    .option('--now <iso>', 'with --once: pretend it is this instant (ISO 8601 with offset or Z)')
    .option('--port <n>', 'HTTP port (default ERCOT_ARB_HTTP_PORT or 9464; 0 = any free port, printed)')
    .option('--host <addr>', 'HTTP bind address (default ERCOT_ARB_HTTP_HOST or 127.0.0.1)')
    .option('--instance-id <id>', 'who claims the job runs (default host:pid)')
    .option('--workers <n>', 'PostgreSQL only: N fleet worker processes run every site\'s cycle (claimed per site and slot, shared with other machines\' workers)')
    .option(...DATA_DIR_OPTION).option('--json', 'with --once: print JSON')
    .action(async (options) => {
      const { runCommand } = await import('../actions/run.js');
      await runCommand(ctx, options);
    });
};
