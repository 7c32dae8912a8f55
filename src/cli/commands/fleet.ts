/** Fleet scale-out: `fleet worker | status`, `sites import FILE`, `db prune`. Implementations: src/cli/actions/fleet.ts. */
import type { RegisterCommands } from '../context.js';
import { commandGroup, DATA_DIR_OPTION } from '../context.js';

const actions = () => import('../actions/fleet.js');

export const register: RegisterCommands = (program, ctx) => {
  const fleet = commandGroup(program, 'fleet', 'fleet scale-out: worker processes over PostgreSQL, status');
  fleet.command('worker')
    .description('run per-site cycle jobs (graphile-worker on DATABASE_URL, in process on the embedded store); workers join and leave freely')
    .option('--workers <n>', 'worker processes on this machine (PostgreSQL only for more than 1)', '1')
    .option('--concurrency <n>', 'site jobs at a time per process', '4')
    .option('--lease <age>', "a dead worker's site run is taken over after this (e.g. 2m)")
    .option('--simulate', 'run every site on the simulator channel (demo, bench)')
    .option('--sim-now <iso>', 'with --simulate: the pinned clock')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await actions()).fleetWorker(ctx, flags));
  fleet.command('status')
    .description('live workers, queue depth per job kind, this slot\'s site runs and lag, sites behind schedule')
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await actions()).fleetStatusAction(ctx, flags));

  commandGroup(program, 'sites', 'sites (home battery systems)')
    .command('import')
    .description('add or update sites from CSV or JSON (site_id, channel, settlement_point, capacity_kwh, max_charge_kw, max_discharge_kw, reserve_percent, mode, ...); all or nothing')
    .argument('<file>', 'a .csv (header row) or .json (array) file')
    .option('--dry-run', 'validate only')
    .option(...DATA_DIR_OPTION)
    .action(async (file: string, flags) => (await actions()).sitesImport(ctx, file, flags));

  commandGroup(program, 'db', 'database schema')
    .command('prune')
    .description('retention: delete site runs, rate counters, job runs, telemetry and superseded plans older than the age')
    .option('--older-than <age>', 'e.g. 30d, 36h, 8w', '30d')
    .option('--dry-run', 'count only')
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await actions()).dbPrune(ctx, flags));
};
