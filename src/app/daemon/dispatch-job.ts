/**
 * The dispatcher's jobs in the daemon:
 *   plan-dispatch            7,22,37,52 * * * *: `runDispatchCycle` for every site (after the telemetry poll at :03
 *                            and the real-time prices at :05, 8 minutes before the next interval starts): resolve
 *                            `sending` rows, refresh command status, plan, decide, apply, record the site status.
 *   command-status-refresh   every 5 minutes between cycles (minutes 4, 9, 14, …): resolve `sending` rows, refresh
 *                            open commands' status, and send planned rows whose send time has come: a channel without
 *                            a scheduled start (Texture) gets its command at the window's start minus the lead time,
 *                            i.e. at :14, :29, …, not at the next plan-dispatch cycle 7 minutes after the window began
 *                            (by then the re-plan had moved the window on, and such a site never got a command);
 *                            and it ends that channel's windows whose end has come (a `reset` one lead before the
 *                            end, unless a successor already holds the device), not the next cycle up to 8 min late.
 * Channels are built per site from its control_channel + control_settings (with the account part from the
 * environment) and kept while the site's configuration is unchanged, so a channel's own state (the simulator's
 * battery, tokens) lives as long as the daemon.
 */
import { createControlChannel } from '../../adapters/control/registry.js';
import { createSimulatorChannel } from '../../adapters/control/simulator.js';
import type { BatterySpec } from '../../domain/battery/battery.js';
import { createPlanner, DEFAULT_SOLVER } from '../../adapters/solvers/planner-factory.js';
import type { EnphaseClient } from '../../adapters/enphase/client.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import { listSites, type Site } from '../../store/sites-repo.js';
import type { Config } from '../config.js';
import { channelAccountConfig } from '../control-channels.js';
import { channelSiteRef, newCycleShared, runDispatchCycle } from '../dispatch/cycle.js';
import { refreshStatuses, resolveSending, SENDING_GRACE_MS } from '../dispatch/status.js';
import { endDueWindows, newOutcome, sendDueCommands } from '../dispatch/apply.js';
import { realSleep } from '../../adapters/ercot/rate-limiter.js';
import { getSiteDispatch } from '../../store/dispatch-repo.js';
import { dispatchOptionsFromConfig } from '../dispatch/options-from-config.js';
import { MINUTE_MS } from '../../domain/time/interval.js';
import type { Logger } from '../logger.js';
import type { JobDefinition } from '../scheduler/scheduler.js';
import type { DaemonMetrics } from './metrics.js';

export const DISPATCH_JOB = 'plan-dispatch';
export const COMMAND_REFRESH_JOB = 'command-status-refresh';

export interface DispatchJobDeps {
  db: Executor;
  cfg: Config;
  clock: Clock;
  logger: Logger;
  metrics?: DaemonMetrics;
  /** The Enphase v4 client of the account (enphase-basic sites talk through it); absent without a secret key. */
  enphaseClient?: () => EnphaseClient | undefined;
  /** Share one channel per site with other users (the Texture webhook route); default: siteChannels(cfg, clock). */
  channelFor?: (site: Site) => ControlChannel;
}

/** The channel config for a site: the account part from the environment, then the site's control_settings. */
export function siteChannelConfig(site: Site, cfg: Config): Record<string, unknown> {
  return { ...channelAccountConfig(site.controlChannel, cfg), ...(site.controlSettings ?? {}) };
}

/**
 * channelFor(site) for the dispatcher: one channel per site, rebuilt when the site's channel configuration changes,
 * so a channel's own state (tokens, the simulator's batteries) lives as long as the daemon. Simulator sites without
 * their own `sites` settings share one simulator whose battery per site is the site's own (demo mode).
 * A wrong channel name or configuration throws InvalidConfig naming the field: the dispatcher stands that site aside.
 */
export function siteChannels(cfg: Config, clock: Clock, enphaseClient?: () => EnphaseClient | undefined): (site: Site) => ControlChannel {
  const cache = new Map<string, { key: string; channel: ControlChannel }>();
  const simulated = new Map<string, BatterySpec>();
  let demo: ControlChannel | undefined;
  return (site) => {
    if (site.controlChannel === 'simulator' && site.controlSettings?.sites === undefined) {
      simulated.set(channelSiteRef(site), site.battery);
      demo ??= createSimulatorChannel({ clock, batteryFor: (ref) => simulated.get(ref) });
      return demo;
    }
    const config = siteChannelConfig(site, cfg);
    const key = `${site.controlChannel}|${JSON.stringify(config)}`;
    const hit = cache.get(site.siteId);
    if (hit?.key === key) return hit.channel;
    const channel = createControlChannel(site.controlChannel, config, { clock, enphaseClient: site.controlChannel === 'enphase-basic' ? enphaseClient?.() : undefined });
    cache.set(site.siteId, { key, channel });
    return channel;
  };
}

export function dispatchJobs(d: DispatchJobDeps): JobDefinition[] {
  const channelFor = d.channelFor ?? siteChannels(d.cfg, d.clock, d.enphaseClient);
  let planner: Awaited<ReturnType<typeof createPlanner>> | undefined;
  const options = dispatchOptionsFromConfig(d.cfg);
  return [
    {
      name: DISPATCH_JOB,
      cron: '7,22,37,52 * * * *',
      catchUp: 'latest',
      async run(ctx) {
        planner ??= await createPlanner(DEFAULT_SOLVER);
        const sites = (await listSites(d.db)).filter((s) => s.status !== 'disabled').map((s) => s.siteId);
        const results = [];
        const nowMs = d.clock.nowMs();
        // Read once for the whole run, as one runDispatchCycle over every site would: the prices and the forecast per
        // settlement point and the fleet mode. (Per site, each call re-read 31 days of prices and re-trained the
        // forecaster: most of the plan stage at 1,000 sites.)
        const shared = await newCycleShared(d.db);
        // Site by site so a shutdown stops between sites, never inside one site's apply step.
        for (const siteId of sites) {
          if (ctx.signal.aborted) break;
          const r = await runDispatchCycle({ db: d.db, planner, channelFor, logger: ctx.logger, options }, { nowMs, siteIds: [siteId], shared });
          results.push(...r.sites);
        }
        for (const s of results) {
          if (s.planId) d.metrics?.recordSolve(DEFAULT_SOLVER, s.timingsMs.plan / 1000);
          d.metrics?.recordDispatchStages(s.timingsMs);
          if (s.status === 'paused_manual_change') d.metrics?.recordControlConflict('manual_change');
        }
        return {
          skipped: results.length === 0,
          details: { sites: results.length, sent: results.reduce((n, s) => n + s.sent, 0), statuses: results.map((s) => ({ siteId: s.siteId, status: s.status, reason: s.reason })), stoppedEarly: ctx.signal.aborted },
        };
      },
    },
    {
      name: COMMAND_REFRESH_JOB,
      cron: '4,9,14,19,24,29,34,39,44,49,54,59 * * * *',
      catchUp: 'latest',
      async run(ctx) {
        const problems: string[] = [];
        let sites = 0;
        let sent = 0;
        let ended = 0;
        for (const site of (await listSites(d.db)).filter((s) => s.status === 'active')) {
          if (ctx.signal.aborted) break;
          try {
            const refresh = { db: d.db, channel: await channelFor(site), siteId: site.siteId, siteRef: channelSiteRef(site), nowMs: d.clock.nowMs(), sendingGraceMs: SENDING_GRACE_MS };
            problems.push(...(await resolveSending(refresh)).problems, ...(await refreshStatuses(refresh)).problems);
            const sd = await getSiteDispatch(d.db, site.siteId);
            const out = newOutcome(sd?.throttledUntilMs ?? null);
            const leadMs = Math.max(MINUTE_MS, options.leadMs ?? MINUTE_MS, refresh.channel.capabilities().minLeadMs);
            const apply = { ...refresh, leadMs, maxAttempts: 3, sleep: realSleep, throttledUntilMs: out.throttledUntilMs };
            await sendDueCommands(apply, out);
            ended += await endDueWindows(apply, out);
            problems.push(...out.problems);
            sent += out.sent;
            sites++;
          } catch (error) {
            problems.push(`${site.siteId}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        return { skipped: sites === 0, details: { sites, sent, ended, problems } };
      },
    },
  ];
}
