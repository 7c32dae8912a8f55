/** `ercot-arb db migrate | status`: the schema of the configured database (DATABASE_URL, else PGlite in the data dir). */
import type { Command } from 'commander';
import { commandGroup, DATA_DIR_OPTION, type CliContext, type RegisterCommands } from '../context.js';

interface DbOptions {
  dataDir?: string;
  json?: boolean;
}

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const db = commandGroup(program, 'db', 'database schema: migrate, status (DATABASE_URL, else PGlite in ERCOT_ARB_DATA_DIR)');
  db.command('migrate')
    .description('apply pending migrations (refuses a database migrated by a newer ercot-arb)')
    .option(...DATA_DIR_OPTION)
    .option('--json', 'print the result as JSON')
    .action(async (options: DbOptions) => {
      const { dbMigrate } = await import('../actions/db.js');
      await dbMigrate(ctx, options);
    });
  db.command('status')
    .description('list applied and pending migrations')
    .option(...DATA_DIR_OPTION)
    .option('--json', 'print the status as JSON')
    .action(async (options: DbOptions) => {
      const { dbStatus } = await import('../actions/db.js');
      await dbStatus(ctx, options);
    });
};
