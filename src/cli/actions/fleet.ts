/** The fleet CLI actions: fleet worker | status, sites import, db prune. */
import type { CliContext } from '../context.js';
import { InputError } from '../../domain/errors.js';
import { CONTROL_CHANNEL_NAMES } from '../../adapters/control/registry.js';
import { openStore } from '../../store/open.js';
import { GraphileJobQueue } from '../../adapters/jobs/graphile.js';
import { config } from '../../app/config.js';
import { DEFAULT_RETENTION, parseAge, pruneOlderThan } from '../../app/fleet/retention.js';
import { queueFor, runFleetWorkerProcess } from '../../app/fleet/run-worker.js';
import { importSites, readSitesFile } from '../../app/fleet/sites-import.js';
import { slotOf } from '../../app/fleet/site-runs.js';
import { fleetStatus } from '../../app/fleet/status.js';
import { forkFleetWorkers } from '../../app/fleet/fork-workers.js';

interface WorkerFlags { workers?: string; concurrency?: string; lease?: string; simulate?: boolean; simNow?: string; dataDir?: string }

function positive(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError('expected a positive whole number', { field });
  return n;
}

/** `fleet worker --workers N`: N worker processes on this machine (N > 1 forks N children and waits for them). */
export async function fleetWorker(ctx: CliContext, flags: WorkerFlags): Promise<void> {
  const cfg = config();
  const workers = positive(flags.workers, '--workers', 1);
  const concurrency = positive(flags.concurrency, '--concurrency', 4);
  const simAt = flags.simulate ? (flags.simNow ? Date.parse(flags.simNow) : Date.now()) : undefined;
  if (simAt !== undefined && Number.isNaN(simAt)) throw new InputError('expected an ISO 8601 instant', { field: '--sim-now' });
  const leaseMs = flags.lease ? parseAge(flags.lease) : undefined;
  if (!cfg.DATABASE_URL && workers > 1) throw new InputError('more than one worker process needs PostgreSQL (set DATABASE_URL); the embedded store is one process', { field: '--workers' });
  await (await openStore(cfg, { dataDir: flags.dataDir })).close(); // migrate once before the workers start
  if (workers === 1) {
    const r = await runFleetWorkerProcess({ databaseUrl: cfg.DATABASE_URL, dataDir: flags.dataDir ?? cfg.ERCOT_ARB_DATA_DIR, concurrency, leaseMs, simulateAtMs: simAt });
    ctx.stdout.write(`fleet worker stopped after ${r.ran} site runs\n`);
    return;
  }
  const forked = forkFleetWorkers(workers, { FLEET_CONCURRENCY: String(concurrency), FLEET_LEASE_MS: leaseMs ? String(leaseMs) : '', FLEET_SIM_NOW_MS: simAt !== undefined ? String(simAt) : '' });
  const stopAll = (): void => void forked.stop();
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
  await forked.exited;
  ctx.stdout.write(`fleet: ${workers} worker processes stopped\n`);
}

export async function fleetStatusAction(ctx: CliContext, flags: { json?: boolean; dataDir?: string }): Promise<void> {
  const cfg = config();
  const store = await openStore(cfg, { dataDir: flags.dataDir });
  const queue = queueFor(store, cfg.DATABASE_URL);
  try {
    const nowMs = Date.now();
    const s = await fleetStatus(store.db, () => queue.pending(), { nowMs, slotMs: slotOf(nowMs) });
    if (flags.json) return void ctx.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    const lines = [
      `slot ${new Date(s.slotMs).toISOString()}: ${s.runs.done} sites done, ${s.runs.running} running, ${s.runs.failed} failed, ${s.runs.notStarted} not started`,
      `workers: ${s.workers.filter((w) => w.live).length} live of ${s.workers.length}`,
      ...s.workers.map((w) => `  ${w.workerId} concurrency ${w.concurrency}, ${w.jobsDone} site runs, heartbeat ${Math.round(w.heartbeatAgeMs / 1000)} s ago${w.live ? '' : ' (not live)'}`),
      `queue: ${Object.entries(s.queue).map(([k, n]) => `${k} ${n}`).join(', ') || 'empty'}`,
      `lag site.cycle (slot start -> done): p50 ${fmt(s.lagMs['site.cycle']?.p50)} max ${fmt(s.lagMs['site.cycle']?.max)}`,
      `behind schedule: ${s.behindSchedule.length ? s.behindSchedule.join(', ') : 'none'}`,
    ];
    ctx.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await queue.stop();
    await store.close();
  }
}

const fmt = (ms: number | null | undefined): string => (ms == null ? '-' : `${(ms / 1000).toFixed(1)} s`);

export async function sitesImport(ctx: CliContext, file: string, flags: { dryRun?: boolean; dataDir?: string }): Promise<void> {
  const rows = readSitesFile(file, CONTROL_CHANNEL_NAMES());
  if (flags.dryRun) return void ctx.stdout.write(`${file}: ${rows.length} sites valid (dry run, nothing written)\n`);
  const store = await openStore(config(), { dataDir: flags.dataDir });
  try {
    const n = await importSites(store.db, rows);
    ctx.stdout.write(`${file}: ${n} sites imported\n`);
  } finally {
    await store.close();
  }
}

export async function dbPrune(ctx: CliContext, flags: { olderThan?: string; dryRun?: boolean; json?: boolean; dataDir?: string }): Promise<void> {
  const ageMs = parseAge(flags.olderThan ?? DEFAULT_RETENTION);
  const store = await openStore(config(), { dataDir: flags.dataDir });
  try {
    const out = await pruneOlderThan(store.db, Date.now() - ageMs, { dryRun: flags.dryRun });
    const queue = queueFor(store, config().DATABASE_URL);
    if (queue instanceof GraphileJobQueue) {
      try {
        out.jobs_failed = await queue.prune({ dryRun: flags.dryRun });
      } finally {
        await queue.stop();
      }
    }
    if (flags.json) return void ctx.stdout.write(`${JSON.stringify(out)}\n`);
    ctx.stdout.write(`${flags.dryRun ? 'would delete' : 'deleted'}: ${Object.entries(out).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
  } finally {
    await store.close();
  }
}
