/** `ercot-arb fake ercot --port N --data DIR`: the fake ERCOT Public API on loopback, for demos and manual tests. */
import type { Command } from 'commander';
import { commandGroup, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const fake = commandGroup(program, 'fake', 'local fake servers speaking the ERCOT / Enphase protocols');
  fake.command('ercot')
    .description('serve the ERCOT Public API (token, NP6-905-CD, NP4-190-CD, NP6-788-CD, archive; system forecasts with --forecast-days) from CSV files on 127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--data <dir>', 'directory of ERCOT CSV files, .csv or .csv.gz (rtm-spp-15min, dam-spp-hourly, sced-lmp-5min layouts; others are skipped)')
    .option('--token-lifetime <seconds>', 'id_token lifetime', '3600')
    .option('--rate-limit <n>', 'requests per minute before 429 (0 = off)', '30')
    .option('--query-from <date>', 'query endpoints hold delivery dates from here (older: archive only)')
    .option('--forecast-days <n>', 'serve made-up system forecasts (load NP3-565-CD, wind NP4-732-CD, solar NP4-745-CD) posted hourly over the last n days', '0')
    .action(async (options: { port: string; data?: string; tokenLifetime: string; rateLimit: string; queryFrom?: string; forecastDays?: string }) => {
      const { runFakeErcot } = await import('../actions/fake-ercot.js');
      await runFakeErcot(ctx, options);
    });
};
