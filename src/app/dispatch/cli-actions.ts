/** The dispatch CLI actions: plans show/approve/replay, sites mode/resume, commands list. */
import { InputError } from '../../domain/errors.js';
import type { PlannedWindow } from '../../domain/dispatch/plan-windows.js';
import { localClock } from '../../domain/dispatch/window-reasons.js';
import { ercotDateOf } from '../../domain/time/ercot-calendar.js';
import type { CliContext } from '../../cli/context.js';
import { listCommands, type CommandState } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import {
  effectiveDispatchMode,
  getFleetDispatchMode,
  getPlanByVersion,
  getSiteDispatch,
  insertApproval,
  latestVersionedPlan,
  listApprovals,
  patchSiteDispatch,
  setFleetDispatchMode,
} from '../../store/dispatch-repo.js';
import { getSite, listSites, type Site } from '../../store/sites-repo.js';
import { openStore } from '../../store/open.js';
import { config } from '../config.js';

const STATES: readonly CommandState[] = ['planned', 'awaiting_approval', 'sending', 'accepted', 'scheduled', 'active', 'completed', 'reverted_early', 'superseded', 'cancelled', 'expired', 'failed', 'rejected', 'overridden', 'lost'];

export class DispatchUsageError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'DispatchUsageError';
  }
}

async function requireSite(db: Executor, siteId: string): Promise<Site> {
  const site = await getSite(db, siteId);
  if (!site) throw new DispatchUsageError(`no site "${siteId}" (see \`sites status\`)`);
  return site;
}

async function withStore<T>(flags: { dataDir?: string }, fn: (db: Executor) => Promise<T>): Promise<T> {
  const store = await openStore(config(), { dataDir: flags.dataDir });
  try {
    return await fn(store.db);
  } finally {
    await store.close();
  }
}

function when(ms: number): string {
  return `${ercotDateOf(ms)} ${localClock(ms)}`;
}

export async function plansShow(ctx: CliContext, flags: { site?: string; json?: boolean; dataDir?: string }): Promise<void> {
  await withStore(flags, async (db) => {
    const siteIds = flags.site ? [(await requireSite(db, flags.site)).siteId] : (await listSites(db)).map((s) => s.siteId);
    const out = [];
    for (const siteId of siteIds) {
      const plan = await latestVersionedPlan(db, siteId);
      const sd = await getSiteDispatch(db, siteId);
      out.push({ siteId, mode: await effectiveDispatchMode(db, siteId), status: sd?.status ?? 'idle', reason: sd?.reason ?? null, plan, approvals: (await listApprovals(db, siteId, 3)) });
    }
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify({ fleetMode: await getFleetDispatchMode(db), sites: out }, null, 2)}\n`);
      return;
    }
    if (!out.length) ctx.stdout.write('no sites configured\n');
    for (const s of out) {
      ctx.stdout.write(`${s.siteId}  mode ${s.mode}  status ${s.status}${s.reason ? `: ${s.reason}` : ''}\n`);
      if (!s.plan) {
        ctx.stdout.write('  no plan yet (the dispatch job makes one each cycle)\n');
        continue;
      }
      const approved = s.approvals.some((a) => a.planVersion === s.plan!.planVersion);
      ctx.stdout.write(`  plan v${s.plan.planVersion} (${s.plan.planId}) made ${new Date(s.plan.createdAtMs).toISOString()}, ${s.plan.solver}, objective $${(s.plan.objectiveUsd ?? NaN).toFixed(2)}${approved ? ', approved' : ''}\n`);
      const windows = (s.plan.windows as PlannedWindow[] | null) ?? [];
      if (!windows.length) ctx.stdout.write('  no command windows (the battery stays in its base mode)\n');
      for (const w of windows) ctx.stdout.write(`  ${when(w.startMs)} → ${localClock(w.endMs)}  ${w.reason}\n`);
    }
  });
}

export async function plansApprove(ctx: CliContext, flags: { site?: string; fleet?: boolean; planVersion: string; by?: string; note?: string; dataDir?: string }): Promise<void> {
  const version = Number.parseInt(flags.planVersion, 10);
  if (!Number.isInteger(version) || version < 1) throw new DispatchUsageError(`--plan-version must be a positive whole number (got "${flags.planVersion}")`);
  if (Boolean(flags.site) === Boolean(flags.fleet)) throw new DispatchUsageError('give exactly one of --site ID or --fleet');
  const by = flags.by ?? process.env.USER ?? 'unknown';
  await withStore(flags, async (db) => {
    const siteIds = flags.site ? [(await requireSite(db, flags.site)).siteId] : await reviewSites(db);
    let approved = 0;
    for (const siteId of siteIds) {
      if (!(await getPlanByVersion(db, siteId, version))) {
        if (flags.site) throw new DispatchUsageError(`site ${siteId} has no plan version ${version} (see \`plans show --site ${siteId}\`)`);
        continue;
      }
      await insertApproval(db, { scope: flags.fleet ? 'fleet' : 'site', siteId, planVersion: version, approvedBy: by, note: flags.note ?? null });
      approved++;
      ctx.stdout.write(`approved plan v${version} of ${siteId} (by ${by})\n`);
    }
    if (!approved) ctx.stdout.write(`no site in review mode has plan version ${version}\n`);
  });
}

async function reviewSites(db: Executor): Promise<string[]> {
  const out: string[] = [];
  for (const s of await listSites(db)) if ((await effectiveDispatchMode(db, s.siteId)) === 'review') out.push(s.siteId);
  return out;
}

export async function plansReplay(ctx: CliContext, planId: string, flags: { json?: boolean; dataDir?: string }): Promise<void> {
  const { replayStoredPlan } = await import('./plan-and-store.js');
  const { createPlanner } = await import('../../adapters/solvers/planner-factory.js');
  if (!/^[0-9a-f-]{36}$/i.test(planId)) throw new DispatchUsageError(`"${planId}" is not a plan id (a UUID; see \`plans show --json\`)`);
  const { NotFound } = await import('../../store/errors.js');
  const result = await withStore(flags, (db) => replayStoredPlan(db, planId, (solver) => createPlanner(solver as never))).catch((e: unknown) => {
    throw e instanceof NotFound ? new DispatchUsageError(e.message) : e;
  });
  if (flags.json) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    ctx.stdout.write(`plan ${result.planId} (site ${result.siteId}, v${result.planVersion ?? '–'}, solver ${result.solver}): ${result.identical ? `identical, ${result.comparedValues} values bit for bit` : 'DIFFERENT'}\n`);
    for (const d of result.differences) ctx.stdout.write(`  ${d}\n`);
  }
  if (!result.identical) process.exitCode = 1;
}

export async function sitesMode(ctx: CliContext, mode: string, flags: { site?: string; fleet?: boolean; dataDir?: string }): Promise<void> {
  if (Boolean(flags.site) === Boolean(flags.fleet)) throw new DispatchUsageError('give exactly one of --site ID or --fleet');
  const allowed = flags.fleet ? ['auto', 'review'] : ['auto', 'review', 'default'];
  if (!allowed.includes(mode)) throw new DispatchUsageError(`mode must be ${allowed.join(' | ')} (got "${mode}")`);
  await withStore(flags, async (db) => {
    if (flags.fleet) {
      await setFleetDispatchMode(db, mode as 'auto' | 'review');
      ctx.stdout.write(`fleet default dispatch mode: ${mode}\n`);
      return;
    }
    const site = await requireSite(db, flags.site!);
    await patchSiteDispatch(db, site.siteId, { mode: mode === 'default' ? null : (mode as 'auto' | 'review') });
    ctx.stdout.write(`${site.siteId}: dispatch mode ${mode === 'default' ? `follows the fleet default (${await getFleetDispatchMode(db)})` : mode}\n`);
  });
}

export async function sitesResume(ctx: CliContext, flags: { site: string; dataDir?: string }): Promise<void> {
  await withStore(flags, async (db) => {
    const site = await requireSite(db, flags.site);
    const sd = await getSiteDispatch(db, site.siteId);
    await patchSiteDispatch(db, site.siteId, { status: 'idle', reason: 'resumed by a person; the next cycle decides again', pausedAtMs: null, suspectReads: 0, expectedProfile: null });
    ctx.stdout.write(`${site.siteId}: resumed${sd?.status === 'paused_manual_change' ? ' (was paused after a manual change)' : ''}\n`);
  });
}

export async function commandsList(ctx: CliContext, flags: { site?: string; state?: string[]; limit: number; json?: boolean; dataDir?: string }): Promise<void> {
  for (const s of flags.state ?? []) if (!STATES.includes(s as CommandState)) throw new DispatchUsageError(`unknown state "${s}" (one of ${STATES.join(', ')})`);
  await withStore(flags, async (db) => {
    if (flags.site) await requireSite(db, flags.site);
    const all = await listCommands(db, flags.site ?? null, { states: flags.state as CommandState[] | undefined });
    const rows = all.slice(Math.max(0, all.length - flags.limit));
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (!rows.length) ctx.stdout.write('no commands\n');
    for (const c of rows) {
      const target = c.targetReservePercent === null ? '' : ` to ${Math.round(c.targetReservePercent)} %`;
      ctx.stdout.write(`${c.siteId}  ${when(c.windowStartMs)} → ${localClock(c.windowEndMs)}  ${c.state.padEnd(17)} ${c.mode} ${c.powerKw ?? '–'} kW${target}  v${c.planVersion ?? '–'}  ${c.externalId ?? ''}${c.error ? `  [${c.error}]` : ''}\n`);
    }
  });
}
