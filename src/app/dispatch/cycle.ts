/**
 * One dispatch cycle, the daemon's `dispatch` job: for each site, resolve commands left in `sending`, refresh the
 * status of open commands, read the device state, plan on the freshest prices and telemetry (stored with a new plan
 * version), decide, apply, and record the site's dispatch status. Failures are isolated per site: a site that fails
 * stands aside with a status naming the cause and the others go on. A plan that fails verification never yields a
 * command (decide gets no plan and stands aside).
 */
import { performance } from 'node:perf_hooks';
import type { RawBuilder } from 'kysely';
import { decide, type DecideOptions, type Decision, type ExistingCommand } from '../../domain/dispatch/decide.js';
import type { ChannelMode, ControlChannel } from '../../domain/ports/control-channel.js';
import type { Planner } from '../../domain/ports/planner.js';
import { HOUR_MS, MINUTE_MS } from '../../domain/time/interval.js';
import { OPEN_COMMAND_STATES, type Command } from '../../store/commands-repo.js';
import type { Executor } from '../../store/database.js';
import { approvalState, getFleetDispatchMode, patchSiteDispatch, type DispatchMode, type SiteDispatch } from '../../store/dispatch-repo.js';
import { getSite, listSites, setSiteStatus, type Site } from '../../store/sites-repo.js';
import type { Logger } from '../logger.js';
import { applyDecision, newOutcome, type ApplyOutcome } from './apply.js';
import { checkSettings, readDeviceState, type DeviceStateOptions } from './device-state.js';
import { planSite, type PlannedSite } from './plan-and-store.js';
import type { CyclePriceCache, PlanningOptions } from './plan-site.js';
import { knowledgeCommandWindow, type SiteKnowledge } from './plan-knowledge.js';
import { cachedSiteCommands, type SiteCommands } from './site-commands.js';
import { loadSiteContext } from './site-context.js';
import type { PendingPollWrite } from '../telemetry/ingest.js';
import type { WindowOverride } from '../../domain/dispatch/window-overrides.js';
import { refreshStatuses, resolveSending, SENDING_GRACE_MS } from './status.js';

export interface DispatchOptions extends DecideOptions, PlanningOptions, Partial<DeviceStateOptions> {
  /** In-cycle attempts for a transient send error (default 3). */
  maxSendAttempts?: number;
  /** A `sending` row younger than this is not resolved yet (default SENDING_GRACE_MS, 90 s). */
  sendingGraceMs?: number;
  /** Failed/rejected/overridden commands this recent block the same window from being re-sent (default 6 h). */
  refusedLookbackMs?: number;
}

export interface DispatchCycleDeps {
  db: Executor;
  planner: Planner;
  /** The site's control channel (the daemon wires the registry in). Throws for an unknown channel. */
  channelFor(site: Site): ControlChannel | Promise<ControlChannel>;
  logger?: Logger;
  /** Backoff wait between in-cycle retries (tests inject a no-op). Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  options?: DispatchOptions;
}

export interface SiteCycleResult {
  siteId: string;
  status: string;
  reason: string;
  planId: string | null;
  planVersion: number | null;
  created: number;
  sent: number;
  stopped: number;
  problems: string[];
  /** Wall-clock milliseconds per stage. */
  timingsMs: { refresh: number; plan: number; decide: number; apply: number };
  /** The run's `alsoOnRecord` statement ran with the site's status record (false when the site failed before it). */
  alsoWritten: boolean;
}

export interface DispatchCycleResult {
  nowMs: number;
  sites: SiteCycleResult[];
}

const DEVICE_DEFAULTS: DeviceStateOptions = { manualChangeReads: 2, settingsMaxAgeMs: 30 * MINUTE_MS, optOutStandAsideMs: 24 * HOUR_MS, siteStateMaxAgeMs: HOUR_MS };

/** The channel's id for a site: control_settings.siteRef, else the Enphase system id, else the site id. */
export function channelSiteRef(site: Site): string {
  const ref = site.controlSettings?.siteRef;
  return typeof ref === 'string' && ref ? ref : (site.enphaseSystemId ?? site.siteId);
}

/**
 * One dispatch cycle over the given sites (default: every site not disabled). `concurrency` sites run at a time
 * (default 1; on PostgreSQL a value up to the pool size overlaps store round trips; sites are independent).
 */
export interface DispatchRun {
  nowMs: number;
  siteIds?: readonly string[];
  concurrency?: number;
  shared?: CycleShared;
  /** A data-modifying statement to run in the same statement as a site's status record (the fleet ends its site run there). */
  alsoOnRecord?: (siteId: string) => RawBuilder<unknown>;
  /**
   * Telemetry polls not written yet, by site: each is written in the statement that reads its site's context (the
   * fleet's poll). The caller writes on its own (`flushPollWrite`) any that is still unsettled after the run.
   */
  pollWrites?: ReadonlyMap<string, PendingPollWrite>;
}

export async function runDispatchCycle(deps: DispatchCycleDeps, run: DispatchRun): Promise<DispatchCycleResult> {
  const sites = run.siteIds?.length ? run.siteIds : (await listSites(deps.db)).filter((s) => s.status !== 'disabled').map((s) => s.siteId);
  const results: SiteCycleResult[] = new Array(sites.length);
  const shared: CycleShared = run.shared ?? (await newCycleShared(deps.db));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sites.length) {
      const i = next++;
      results[i] = await runSiteIsolated(deps, sites[i], run.nowMs, shared, run.alsoOnRecord, run.pollWrites?.get(sites[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(run.concurrency ?? 1, sites.length)) }, worker));
  return { nowMs: run.nowMs, sites: results };
}

/** Read once per cycle, shared by its sites (the fleet worker keeps one per slot across its site jobs). */
export interface CycleShared {
  prices: CyclePriceCache;
  fleetMode: DispatchMode;
}

export async function newCycleShared(db: Executor): Promise<CycleShared> {
  return { prices: new Map(), fleetMode: await getFleetDispatchMode(db) };
}

async function runSiteIsolated(deps: DispatchCycleDeps, siteId: string, nowMs: number, shared: CycleShared, also?: DispatchRun['alsoOnRecord'], pollWrite?: PendingPollWrite): Promise<SiteCycleResult> {
  const result: SiteCycleResult = { siteId, status: 'standing_aside', reason: '', planId: null, planVersion: null, created: 0, sent: 0, stopped: 0, problems: [], timingsMs: { refresh: 0, plan: 0, decide: 0, apply: 0 }, alsoWritten: false };
  // The channel's replies to this cycle's sends, written with the site's status record (apply.ts, deferredWrites).
  const deferred: RawBuilder<unknown>[] = [];
  try {
    await runSite(deps, siteId, nowMs, result, shared, also, deferred, pollWrite);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    result.status = 'standing_aside';
    result.reason = `standing aside: ${message}`;
    result.problems.push(message);
    deps.logger?.warn({ siteId, err: message }, 'dispatch cycle failed for a site; it stands aside');
    // Replies not written yet are written here; should this fail too, the rows stay `sending` and are resolved by findSent.
    const pending = deferred.splice(0);
    await patchSiteDispatch(deps.db, siteId, { status: 'standing_aside', reason: result.reason }, pending).catch(() => undefined);
  }
  return result;
}

async function runSite(deps: DispatchCycleDeps, siteId: string, nowMs: number, result: SiteCycleResult, shared: CycleShared, also: DispatchRun['alsoOnRecord'] | undefined, deferred: RawBuilder<unknown>[], pollWrite?: PendingPollWrite): Promise<void> {
  const o = deps.options ?? {};
  const db = deps.db;
  const devOpts = { ...DEVICE_DEFAULTS, ...o };
  let t = performance.now(); // the refresh stage includes the site's one read
  // One read of everything the site's cycle needs (site, dispatch row, SoC, commands, calibration, history, overrides),
  // with the site's telemetry poll written in the same statement when there is one.
  const known = await loadSiteContext(db, siteId, nowMs, { optOutMs: devOpts.optOutStandAsideMs }, pollWrite);
  if (!known) throw new Error(`site ${siteId} is not configured`);
  const site = known.site;
  const commands = cachedSiteCommands(db, siteId, known.commands, known.commandsFromMs);
  let channel: ControlChannel;
  try {
    channel = await deps.channelFor(site);
  } catch (e) {
    throw new Error(`control channel "${site.controlChannel}" unavailable: ${e instanceof Error ? e.message : String(e)}`);
  }
  const siteRef = channelSiteRef(site);
  const caps = channel.capabilities();
  const sd = known.dispatch;
  const throttled = sd?.throttledUntilMs != null && nowMs < sd.throttledUntilMs;
  if (!throttled) {
    const refreshCtx = { db, channel, siteId, siteRef, nowMs, sendingGraceMs: o.sendingGraceMs ?? SENDING_GRACE_MS, commands };
    result.problems.push(...(await resolveSending(refreshCtx)).problems, ...(await refreshStatuses(refreshCtx)).problems);
  }
  const state = await readDeviceState(db, site, channel, siteRef, sd, nowMs, devOpts, { soc: known.soc, siteState: known.siteState, commands });
  result.timingsMs.refresh = performance.now() - (t as number);
  t = performance.now();
  const socAsOfMs = state.device.socAsOfMs;
  const knowledge: Partial<SiteKnowledge> = { homeHistory: known.homeHistory, calibration: known.calibration };
  if (socAsOfMs != null) knowledge.commands = await commands.list(knowledgeCommandWindow(socAsOfMs, nowMs));
  // The plan row is written with the site's next write (its first command row, or the status record).
  const planned: PlannedSite = await planSite(db, deps.planner, site, caps, state.socPercent, socAsOfMs, nowMs, o, shared.prices, knowledge, { latestPlanVersion: known.latestPlanVersion, writes: deferred });
  result.planId = planned.plan?.planId ?? null;
  result.planVersion = planned.plan?.planVersion ?? null;
  result.timingsMs.plan = performance.now() - t;
  t = performance.now();
  const decision = await decideSite(db, site, caps, planned, state.device, nowMs, o, sd?.mode ?? shared.fleetMode, commands, known.overrides);
  result.timingsMs.decide = performance.now() - t;
  t = performance.now();
  const leadMs = Math.max(o.leadMs ?? MINUTE_MS, caps.minLeadMs);
  const out = newOutcome(throttled ? sd!.throttledUntilMs : null);
  const ctx = { db, channel, siteId, siteRef, nowMs, leadMs, maxAttempts: o.maxSendAttempts ?? 3, sleep: deps.sleep ?? realSleep, throttledUntilMs: out.throttledUntilMs, commands, deferredWrites: deferred };
  await applyDecision(ctx, decision, { planId: planned.plan?.planId ?? '', channel: site.controlChannel }, out);
  // Read back after writes only where a command acts on receipt (it changes the device's settings at once); a command
  // with its own start (≥ 1 min later) has changed nothing yet, and a second read in the same cycle would count one
  // odd reading twice against the manual-change rule.
  if (out.writes > 0 && !out.authFailed && !caps.scheduledStart) await readBack(db, site, channel, siteRef, nowMs, devOpts, sd, state.patch, decision, commands);
  result.timingsMs.apply = performance.now() - t;
  await recordStatus(db, site, decision, out, state.patch, state.notes, result, also?.(siteId), deferred);
}

async function decideSite(db: Executor, site: Site, caps: ReturnType<ControlChannel['capabilities']>, planned: PlannedSite, device: Parameters<typeof decide>[0]['device'], nowMs: number, o: DispatchOptions, mode: DispatchMode, commands: SiteCommands, overrides: WindowOverride[]): Promise<Decision> {
  const open = await commands.list({ states: OPEN_COMMAND_STATES });
  const refused = await commands.list({ states: ['failed', 'rejected', 'overridden'], startMs: nowMs });
  const lookback = o.refusedLookbackMs ?? 6 * HOUR_MS;
  const approval = planned.plan && mode === 'review' ? await approvalState(db, site.siteId, planned.plan.planVersion) : { currentPlanApproved: false, approvedWindows: [] };
  return decide({
    nowMs,
    siteId: site.siteId,
    battery: site.battery,
    siteReservePercent: site.reservePercent,
    capabilities: caps,
    plan: planned.plan,
    planProblem: planned.problem ?? undefined,
    existing: open.map(toExisting),
    refused: refused.filter((c) => (c.finishedAtMs ?? nowMs) >= nowMs - lookback).map(toExisting),
    device,
    approval: { mode, currentPlanApproved: approval.currentPlanApproved, approvedWindows: approval.approvedWindows as never[] },
    overrides,
    options: o,
  });
}

export function toExisting(c: Command): ExistingCommand {
  return {
    commandId: c.commandId,
    state: c.state,
    mode: c.mode as ChannelMode,
    powerKw: c.powerKw ?? 0,
    targetReservePercent: c.targetReservePercent ?? 0,
    startMs: c.windowStartMs,
    endMs: c.windowEndMs,
    planVersion: c.planVersion,
  };
}

/** Reads the device back after writes: a person's change shows up here first. */
async function readBack(db: Executor, site: Site, channel: ControlChannel, siteRef: string, nowMs: number, o: DeviceStateOptions, sd: SiteDispatch | null, patch: Record<string, unknown>, decision: Decision, commands: SiteCommands): Promise<void> {
  const merged = { ...(sd ?? { siteId: site.siteId, mode: null, status: 'idle', reason: null, expectedProfile: null, suspectReads: 0, throttledUntilMs: null, pausedAtMs: null, updatedAtMs: nowMs }), ...(patch as object) };
  const device = { socAsOfMs: nowMs, manualChange: null as string | null };
  await checkSettings(db, site, channel, siteRef, merged as never, nowMs, o, device, patch, decision.notes, commands);
  if (device.manualChange) decision.status = { kind: 'paused_manual_change', reason: `paused: a person changed the battery (${device.manualChange}); resume with \`sites resume\`` };
}

async function recordStatus(db: Executor, site: Site, decision: Decision, out: ApplyOutcome, patch: Record<string, unknown>, notes: string[], result: SiteCycleResult, also: RawBuilder<unknown> | undefined, deferred: RawBuilder<unknown>[]): Promise<void> {
  let { kind, reason } = decision.status;
  if (out.authFailed) {
    kind = 'needs_reauth';
    reason = `needs re-authorisation: ${out.problems.find((p) => /auth|401|403/i.test(p)) ?? out.problems[0] ?? 'the channel refused our credentials'}`;
    await setSiteStatus(db, site.siteId, 'needs_reauth');
  } else if (out.problems.length) {
    reason = `${reason}; ${out.problems[out.problems.length - 1]}`;
  }
  const pending = deferred.splice(0);
  await patchSiteDispatch(db, site.siteId, { ...patch, status: kind, reason, throttledUntilMs: out.throttledUntilMs }, also ? [also, ...pending] : pending);
  result.alsoWritten = also !== undefined;
  result.status = kind;
  result.reason = reason;
  result.created = decision.create.length;
  result.sent = out.sent;
  result.stopped = decision.stop.length + decision.end.length;
  result.problems.push(...out.problems, ...decision.notes, ...notes);
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The status-refresh job on its own (no planning, no sends): resolves rows left in `sending` and polls open
 * commands, per site, isolated. For a daemon that refreshes more often than it re-plans.
 */
export async function refreshDispatchStatuses(deps: Pick<DispatchCycleDeps, 'db' | 'channelFor' | 'logger' | 'options'>, run: { nowMs: number; siteIds?: readonly string[] }): Promise<{ siteId: string; resolved: number; lost: number; moved: number; problems: string[] }[]> {
  const sites = run.siteIds?.length ? run.siteIds : (await listSites(deps.db)).filter((s) => s.status !== 'disabled').map((s) => s.siteId);
  const out = [];
  for (const siteId of sites) {
    try {
      const site = await getSite(deps.db, siteId);
      if (!site) throw new Error(`site ${siteId} is not configured`);
      const channel = await deps.channelFor(site);
      const ctx = { db: deps.db, channel, siteId, siteRef: channelSiteRef(site), nowMs: run.nowMs, sendingGraceMs: deps.options?.sendingGraceMs ?? SENDING_GRACE_MS };
      const a = await resolveSending(ctx);
      const b = await refreshStatuses(ctx);
      out.push({ siteId, resolved: a.resolved, lost: a.lost, moved: b.moved, problems: [...a.problems, ...b.problems] });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      deps.logger?.warn({ siteId, err: message }, 'command status refresh failed for a site');
      out.push({ siteId, resolved: 0, lost: 0, moved: 0, problems: [message] });
    }
  }
  return out;
}
