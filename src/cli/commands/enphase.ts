/** `ercot-arb enphase connect`, `sites sync|status`, `telemetry status|poll|backfill|run-jobs`: Enphase accounts and telemetry. */
import type { Command } from 'commander';
import { commandGroup, DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

const ACCOUNT = ['--account <name>', 'Enphase account name (default: ENPHASE_ACCOUNT or "default")'] as const;

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const enphase = commandGroup(program, 'enphase', 'Enphase accounts (OAuth)');
  enphase.command('connect')
    .description('authorise the application for an Enphase account: prints the authorize URL, takes the code, stores the tokens encrypted')
    .option('--code <code>', 'the authorization code (or the whole redirected URL); otherwise read from stdin')
    .option('--listen', 'wait for the redirect on ENPHASE_REDIRECT_URI (a loopback address) instead of reading stdin')
    .option('--timeout <seconds>', 'how long --listen waits', '300')
    .option(...ACCOUNT).option(...DATA_DIR_OPTION)
    .action(async (options) => {
      const { enphaseConnect } = await import('../actions/enphase.js');
      await enphaseConnect(ctx, options);
    });

  const sites = commandGroup(program, 'sites', 'sites (home battery systems)');
  sites.command('sync')
    .description("list the Enphase account's systems and create/update sites (battery capacity, power, reserve)")
    .option(...ACCOUNT).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { sitesSync } = await import('../actions/enphase.js');
      await sitesSync(ctx, options);
    });
  sites.command('status')
    .description('sites with their state (active / needs re-authorisation), battery mode and newest telemetry')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { sitesStatus } = await import('../actions/enphase.js');
      await sitesStatus(ctx, options);
    });

  const telemetry = commandGroup(program, 'telemetry', 'Enphase telemetry: status, poll, backfill, scheduled jobs');
  telemetry.command('status')
    .description('per site: newest interval, staleness, gaps, quarantined intervals, SoC as of when; per account: calls used this minute/month')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { telemetryStatusCommand } = await import('../actions/enphase.js');
      await telemetryStatusCommand(ctx, options);
    });
  telemetry.command('poll')
    .description('one poll now: one request per product per site (trailing window), settings by TTL')
    .option(...ACCOUNT).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { telemetryPoll } = await import('../actions/enphase.js');
      await telemetryPoll(ctx, options);
    });
  telemetry.command('backfill')
    .description('fill gaps oldest first, one day per request, within ENPHASE_BACKFILL_DAYS and ENPHASE_BACKFILL_MAX_REQUESTS')
    .option(...ACCOUNT).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { telemetryBackfill } = await import('../actions/enphase.js');
      await telemetryBackfill(ctx, options);
    });
  telemetry.command('run-jobs')
    .description('run the scheduled Enphase jobs (poll every ENPHASE_POLL_MINUTES, hourly backfill) in the foreground')
    .option(...DATA_DIR_OPTION)
    .action(async (options) => {
      const { telemetryRunJobs } = await import('../actions/enphase.js');
      await telemetryRunJobs(ctx, options);
    });
};
