/**
 * The fleet's jobs. `fleet.tick` (one per slot, keyed) fans the 15-minute cycle out into one `site.cycle` job per site
 * keyed by site and slot, and re-enqueues the sites whose run failed or whose worker died (lease expired) under a new
 * key. `site.cycle` claims the site's run for the slot (exactly once per slot even if the engine delivers twice),
 * takes the site's rate-limit tokens, pulls the site's telemetry from Enphase (site-telemetry.ts), then runs the
 * site's dispatch cycle (status refresh, device state, plan, decide, apply; see src/app/dispatch/cycle.ts). Each site is its own job: a slow site holds one worker slot only.
 */
import { performance } from 'node:perf_hooks';
import type { JobHandler, JobQueue, JobSpec } from '../../domain/ports/job-queue.js';
import type { Site } from '../../store/sites-repo.js';
import { channelSiteRef, newCycleShared, runDispatchCycle, type CycleShared, type DispatchCycleDeps } from '../dispatch/cycle.js';
import { refreshStatuses, SENDING_GRACE_MS } from '../dispatch/status.js';
import { getSite } from '../../store/sites-repo.js';
import type { FleetTelemetry, SiteTelemetryOutcome } from './site-telemetry.js';
import { acquireTokens, takeToken, type RateLimit } from './rate-limit.js';
import { sitePollStateFromRow, sitePollStateSql, type SitePollState } from '../telemetry/poll-state.js';
import { flushPollWrite, type PendingPollWrite } from '../telemetry/ingest.js';
import { claimSiteRun, claimSiteRunWithRead, finishSiteRun, finishSiteRunSql, markFannedOut, sitesNeedingRun, sitesWithLiveCommands, slotOf } from './site-runs.js';

export const TICK = 'fleet.tick';
export const SITE_CYCLE = 'site.cycle';
/** Polls a site's open commands on its channel between cycles (its own cadence: every `statusEveryMs` while commands are live). */
export const SITE_STATUS = 'site.status';

export interface FleetJobDeps extends DispatchCycleDeps {
  queue: JobQueue;
  workerId: string;
  /** A dead worker's site run is taken over after this (default 2 min). */
  leaseMs?: number;
  now(): number;
  /** The cycle's "now" for a slot (default: the wall clock). Tests and benches pin it. */
  cycleNowMs?(slotMs: number): number;
  /** The rate limits a site's cycle takes one token from (per account, per API). */
  rateLimitsFor?(siteId: string): readonly RateLimit[];
  /** Called after each site run (counters for the worker's heartbeat). */
  onSiteDone?(siteId: string, ran: boolean): void;
  /** What the worker's site jobs of one slot share (prices per settlement point, fleet mode); see slotSharedCache. */
  shared?: SlotSharedCache;
  /** How often the sites with live commands get a `site.status` job between cycles (default 5 min; 0 = never). */
  statusEveryMs?: number;
  /** Pulls the site's telemetry from Enphase at the start of its cycle (site-telemetry.ts); absent = none. */
  telemetry?: FleetTelemetry;
  /** Called with each site's telemetry outcome (counters, tests). */
  onTelemetry?(siteId: string, outcome: SiteTelemetryOutcome): void;
  /** Called with the wall milliseconds of each stage of a site's cycle (the bench's split). */
  onStages?(stagesMs: SiteStagesMs): void;
}

/**
 * Per-worker reads shared by every site job of a slot: the price series of each settlement point (31 days of RT and
 * DAM, thousands of rows) and the fleet's dispatch mode are read once per slot and worker, not once per site. An
 * entry lives `ttlMs` (default 60 s) so prices published during the slot are picked up; a failed site drops it.
 */
export interface SlotSharedCache {
  get(slotMs: number, nowMs: number): Promise<CycleShared>;
  drop(): void;
}

export interface SiteStagesMs {
  telemetry: number;
  refresh: number;
  plan: number;
  decide: number;
  apply: number;
}

export function slotSharedCache(db: FleetJobDeps['db'], ttlMs = 60_000): SlotSharedCache {
  let entry: { slotMs: number; atMs: number; shared: Promise<CycleShared> } | null = null;
  return {
    get(slotMs, nowMs) {
      if (!entry || entry.slotMs !== slotMs || nowMs - entry.atMs > ttlMs) entry = { slotMs, atMs: nowMs, shared: newCycleShared(db) };
      return entry.shared;
    },
    drop() {
      entry = null;
    },
  };
}

export function tickJob(slotMs: number): JobSpec {
  return { kind: TICK, payload: { slotMs }, key: `${TICK}:${slotMs}`, maxAttempts: 5 };
}

export async function fanOut(deps: FleetJobDeps, slotMs: number): Promise<number> {
  const nowMs = deps.now();
  const need = await sitesNeedingRun(deps.db, slotMs, nowMs, deps.leaseMs ?? 120_000);
  const jobs = need.map(({ siteId, attempts }): JobSpec => ({
    kind: SITE_CYCLE, payload: { siteId, slotMs }, key: `${SITE_CYCLE}:${siteId}:${slotMs}${attempts ? `:retry${attempts}` : ''}`, maxAttempts: 3,
  }));
  await deps.queue.enqueue(jobs);
  await markFannedOut(deps.db, slotMs, nowMs);
  await fanOutStatusRefresh(deps, slotMs, nowMs);
  return jobs.length;
}

/**
 * Once per `statusEveryMs` across all processes (a one-token window in rate_counters), one `site.status` job per site
 * with live commands whose cycle for the slot is not running right now (the cycle refreshes its own statuses).
 */
export async function fanOutStatusRefresh(deps: FleetJobDeps, slotMs: number, nowMs: number): Promise<number> {
  const everyMs = deps.statusEveryMs ?? 5 * 60_000;
  if (everyMs <= 0) return 0;
  const turn = await takeToken(deps.db, { bucket: 'fleet:status-refresh', windowMs: everyMs, limit: 1 }, nowMs);
  if (!turn.ok) return 0;
  const sites = await sitesWithLiveCommands(deps.db, slotMs);
  const windowMs = Math.floor(nowMs / everyMs) * everyMs;
  await deps.queue.enqueue(sites.map((siteId): JobSpec => ({ kind: SITE_STATUS, payload: { siteId }, key: `${SITE_STATUS}:${siteId}:${windowMs}`, maxAttempts: 2 })));
  return sites.length;
}

/** Polls the site's open commands and moves them along (no planning, no sends, no `sending` resolution: that needs the cycle's claim). */
export async function runSiteStatus(deps: FleetJobDeps, siteId: string): Promise<number> {
  const site = await getSite(deps.db, siteId);
  if (!site) return 0;
  const channel = await deps.channelFor(site);
  const nowMs = deps.cycleNowMs?.(slotOf(deps.now())) ?? deps.now();
  const out = await refreshStatuses({ db: deps.db, channel, siteId, siteRef: channelSiteRef(site), nowMs, sendingGraceMs: deps.options?.sendingGraceMs ?? SENDING_GRACE_MS });
  if (out.problems.length) deps.logger?.warn({ siteId, problems: out.problems.slice(0, 3) }, 'site status refresh had problems');
  return out.moved;
}

export async function runSiteSlot(deps: FleetJobDeps, siteId: string, slotMs: number): Promise<boolean> {
  const claim = { siteId, slotMs, workerId: deps.workerId, nowMs: deps.now(), leaseMs: deps.leaseMs ?? 120_000 };
  // With telemetry, the claim also reads what the site's poll starts from (one statement, not two).
  let read: SitePollState | undefined;
  let pollWrite: PendingPollWrite | undefined;
  let claimed: boolean;
  if (deps.telemetry) {
    const r = await claimSiteRunWithRead(deps.db, claim, sitePollStateSql(siteId));
    claimed = r.claimed;
    read = sitePollStateFromRow(r.row);
  } else {
    claimed = await claimSiteRun(deps.db, claim);
  }
  if (!claimed) {
    deps.onSiteDone?.(siteId, false);
    return false;
  }
  try {
    const limits = deps.rateLimitsFor?.(siteId) ?? [];
    if (limits.length) await acquireTokens(deps.db, limits, deps.now, deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))));
    const nowMs = deps.cycleNowMs?.(slotMs) ?? deps.now();
    // Telemetry first (never throws): refused or failed, the cycle plans on the stored readings or stands aside. What
    // the poll read is written in the statement that reads the site's context (one statement fewer); should that
    // read not run, it is written on its own below.
    const t0 = performance.now();
    let outcome: SiteTelemetryOutcome | undefined;
    if (deps.telemetry) outcome = await deps.telemetry.poll(siteId, nowMs, read, (w) => void (pollWrite = w));
    const telemetryMs = performance.now() - t0;
    const shared = await deps.shared?.get(slotMs, deps.now());
    // The run ends in the same statement as the site's status record (one round trip and one commit fewer).
    const result = await runDispatchCycle(deps, {
      nowMs, siteIds: [siteId], shared, alsoOnRecord: () => finishSiteRunSql({ siteId, slotMs, workerId: deps.workerId, nowMs: deps.now() }),
      pollWrites: pollWrite ? new Map([[siteId, pollWrite]]) : undefined,
    });
    await settlePoll(deps, siteId, pollWrite, outcome);
    if (result.sites.some((s) => s.planId === null)) deps.shared?.drop(); // e.g. no prices yet: read again next time
    if (result.sites[0]) deps.onStages?.({ telemetry: telemetryMs, ...result.sites[0].timingsMs });
    if (!result.sites[0]?.alsoWritten) await finishSiteRun(deps.db, { siteId, slotMs, workerId: deps.workerId, nowMs: deps.now() });
  } catch (e) {
    deps.shared?.drop();
    await settlePoll(deps, siteId, pollWrite, undefined).catch(() => undefined);
    await finishSiteRun(deps.db, { siteId, slotMs, workerId: deps.workerId, nowMs: deps.now(), error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
  deps.onSiteDone?.(siteId, true);
  return true;
}

/** Writes the poll on its own if the site's context read did not, and reports the outcome with what was stored. */
async function settlePoll(deps: FleetJobDeps, siteId: string, write: PendingPollWrite | undefined, outcome: SiteTelemetryOutcome | undefined): Promise<void> {
  if (write) await flushPollWrite(deps.db, write);
  if (outcome?.kind === 'polled' && write?.results) outcome.stored = write.results.reduce((n, x) => n + x.stored, 0);
  if (outcome) deps.onTelemetry?.(siteId, outcome);
}

export function fleetHandlers(deps: FleetJobDeps): Record<string, JobHandler> {
  return {
    [TICK]: async (p) => void (await fanOut(deps, Number(p.slotMs))),
    [SITE_CYCLE]: async (p) => void (await runSiteSlot(deps, String(p.siteId), Number(p.slotMs))),
    [SITE_STATUS]: async (p) => void (await runSiteStatus(deps, String(p.siteId))),
  };
}

/** The default per-site limits: one token per cycle from the channel's API bucket per minute (configurable). */
export function channelRateLimits(site: Pick<Site, 'controlChannel' | 'enphaseSystemId'>, perMinute: number): RateLimit[] {
  return [{ bucket: `${site.controlChannel}:minute`, windowMs: 60_000, limit: perMinute }];
}
