/** `ercot-arb prices status | ingest | backfill | forecasts | import | run-jobs`: ERCOT prices (and system forecasts) in the database. */
import type { Command } from 'commander';
import { commandGroup, DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

const POINTS = ['--points <list>', 'comma-separated settlement points (default: ERCOT_SETTLEMENT_POINTS)'] as const;
const PRODUCT = ['--product <name>', 'rt15 (NP6-905-CD), dam (NP4-190-CD) or sced (NP6-788-CD)', 'rt15'] as const;

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const prices = commandGroup(program, 'prices', 'ERCOT prices: status, ingest, backfill, import files, run the scheduled jobs');
  prices.command('status')
    .description('coverage and newest interval per product and settlement point, and missing intervals lately')
    .option('--days <n>', 'look for missing intervals over the last n days', '7')
    .option(...POINTS).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { pricesStatus } = await import('../actions/prices.js');
      await pricesStatus(ctx, options);
    });
  prices.command('ingest')
    .description('fetch prices from the ERCOT API (or its archive for old dates) for delivery dates and store them')
    .option(...PRODUCT)
    .option('--from <date>', 'first delivery date, YYYY-MM-DD (default today, Central)')
    .option('--to <date>', 'last delivery date, inclusive (default --from)')
    .option('--via <source>', 'api, archive or auto (by date)', 'auto')
    .option(...POINTS).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { pricesIngest } = await import('../actions/prices.js');
      await pricesIngest(ctx, options);
    });
  prices.command('backfill')
    .description('find missing intervals and fetch the delivery dates that hold them')
    .option(...PRODUCT)
    .option('--from <date>', 'first delivery date (default: --days before --to)')
    .option('--to <date>', 'last delivery date (default today)')
    .option('--days <n>', 'how far back when --from is absent', '7')
    .option(...POINTS).option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { pricesBackfill } = await import('../actions/prices.js');
      await pricesBackfill(ctx, options);
    });
  prices.command('forecasts')
    .description('fetch ERCOT system forecasts (seven-day load NP3-565-CD, wind NP4-732-CD, solar NP4-745-CD) posted on these days and store them with their posting time')
    .option('--from <date>', 'first posting date, YYYY-MM-DD Central (default today)')
    .option('--to <date>', 'last posting date, inclusive (default --from)')
    .option('--kinds <list>', 'load,wind,solar (default all three)')
    .option('--all-regions', 'also keep weather zones / load zones / solar regions (default: ERCOT-wide only)')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (options) => {
      const { pricesForecasts } = await import('../actions/prices.js');
      await pricesForecasts(ctx, options);
    });
  prices.command('import')
    .description('load a price file into the database, all or nothing (exit 2 listing the first errors)')
    .argument('<file>', 'the price file')
    .requiredOption('--format <format>', 'ercot-rtm-yearly, ercot-api or csv')
    .option('--point <name>', 'only this settlement point (required for csv)')
    .option('--market <market>', 'csv only: rt15 or dam (default rt15)')
    .option('--type <type>', 'ercot-api real-time files: keep only this settlement point type (e.g. LZ)')
    .option(...DATA_DIR_OPTION).option('--json', 'print JSON')
    .action(async (file: string, options) => {
      const { pricesImport } = await import('../actions/prices.js');
      await pricesImport(ctx, file, options);
    });
  prices.command('save-credentials')
    .description('store ERCOT_API_USERNAME/PASSWORD/SUBSCRIPTION_KEY from the environment, encrypted with ERCOT_ARB_SECRET_KEY')
    .option(...DATA_DIR_OPTION)
    .action(async (options) => {
      const { pricesSaveCredentials } = await import('../actions/prices.js');
      await pricesSaveCredentials(ctx, options);
    });
  prices.command('run-jobs')
    .description('run the scheduled price jobs (real-time every 15 min, day-ahead after 13:00 Central, SCED if enabled) in the foreground')
    .option(...POINTS).option(...DATA_DIR_OPTION)
    .action(async (options) => {
      const { pricesRunJobs } = await import('../actions/prices.js');
      await pricesRunJobs(ctx, options);
    });
};
