/**
 * Telemetry inside a fleet site's cycle: before planning, the site's newest readings are pulled from Enphase through
 * the daemon's own poll of one site (`pollSite`, src/app/telemetry/poller.ts: one request per product, the settings
 * by TTL, ingest and quarantine as usual). The account's call budget is the database's (enphase_api_usage, per minute
 * and per month, shared by every process); the site's calls are reserved at once before the first call (from the
 * worker's block of the minute, BlockBudget, or in one statement), and
 * a site the budget refuses, or whose calls are throttled or fail, is not retried and does not wait: its cycle goes
 * on with what is stored, so the dispatcher plans on the last good reading or stands aside by the usual staleness
 * rules (docs/dispatch.md), and the other sites are not held up. Sites without an Enphase system of a connected,
 * active account are not polled (their telemetry comes from elsewhere).
 */
import { BudgetExhausted, EnphaseThrottled, ReauthRequired } from '../../adapters/enphase/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { sitePollState, type SitePollState } from '../telemetry/poll-state.js';
import { budgetLimits, openAccount, type EnphaseSettings } from '../enphase/account.js';
import { BlockBudget, blockCallsFor } from '../telemetry/budget.js';
import { listAccounts } from '../enphase/tokens.js';
import type { Logger } from '../logger.js';
import { runSettings } from '../telemetry/jobs.js';
import { pollSite, type TelemetryRunContext } from '../telemetry/poller.js';

export type SiteTelemetryOutcome =
  | { kind: 'polled'; requests: number; stored: number }
  /** No Enphase system, or its account is not connected or not active. */
  | { kind: 'not_polled'; reason: string }
  /** The budget or Enphase said no (429): nothing more was asked; the cycle uses what is stored. */
  | { kind: 'refused'; reason: string }
  | { kind: 'failed'; reason: string };

export interface FleetTelemetry {
  /**
   * Never throws: a failure is an outcome (the site's cycle goes on with the stored readings). `read`: the site's
   * poll state when the caller read it already (the fleet reads it in the statement that claims the site's run).
   * `deferWrite`: receives the poll's write instead of it being run (also when the poll then failed); the outcome's
   * `stored` is 0 until the caller settles the write and counts it.
   */
  poll(siteId: string, nowMs: number, read?: SitePollState, deferWrite?: TelemetryRunContext['deferWrite']): Promise<SiteTelemetryOutcome>;
}

export interface FleetTelemetryOptions {
  db: Executor;
  box: SecretBox;
  settings: EnphaseSettings & Parameters<typeof runSettings>[0];
  /** The clock of the API client (budget windows, throttle waits, token expiry): the wall clock. */
  clock: Clock;
  logger?: Logger;
  /** How long the worker keeps the account list (system id -> account) before reading it again (default 60 s). */
  accountsTtlMs?: number;
}

export function fleetTelemetry(o: FleetTelemetryOptions): FleetTelemetry {
  let accounts: { atMs: number; bySystem: Map<string, string> } | null = null;
  const clients = new Map<string, TelemetryRunContext['client']>();
  const settings = runSettings(o.settings);
  const accountOf = async (systemId: string): Promise<string | undefined> => {
    const now = o.clock.nowMs();
    if (!accounts || now - accounts.atMs > (o.accountsTtlMs ?? 60_000)) {
      const bySystem = new Map<string, string>();
      for (const a of await listAccounts(o.db)) if (a.status === 'active') for (const id of a.systemIds) bySystem.set(id, a.accountKey);
      accounts = { atMs: now, bySystem };
    }
    return accounts.bySystem.get(systemId);
  };
  const clientOf = (accountKey: string): TelemetryRunContext['client'] => {
    let c = clients.get(accountKey);
    if (!c) {
      // No waiting inside a site's cycle (it holds a worker slot): a 429 is not waited out and a 5xx is not retried;
      // the site's next cycle asks again.
      // The worker takes the account's calls in blocks (one budget statement per block, not per site).
      const blockCalls = blockCallsFor(budgetLimits(o.settings));
      c = openAccount({
        db: o.db, box: o.box, settings: o.settings, clock: o.clock, accountKey, logger: o.logger, patience: { maxThrottleWaitMs: 0, maxRetries: 0 },
        wrapBudget: blockCalls > 1 ? (b) => new BlockBudget(b, blockCalls) : undefined,
      }).client;
      clients.set(accountKey, c);
    }
    return c;
  };
  return {
    async poll(siteId, nowMs, known, deferWrite) {
      try {
        const read = known ?? (await sitePollState(o.db, siteId)); // the site, its Enphase state, its newest intervals: one statement
        const site = read.site;
        if (!site?.enphaseSystemId) return { kind: 'not_polled', reason: 'no Enphase system' };
        if (site.status !== 'active') return { kind: 'not_polled', reason: `site ${site.status}` };
        const accountKey = await accountOf(site.enphaseSystemId);
        if (!accountKey) return { kind: 'not_polled', reason: 'no connected, active account lists the system' };
        const ctx: TelemetryRunContext = { db: o.db, client: clientOf(accountKey), clock: { nowMs: () => nowMs }, accountKey, settings, logger: o.logger, reservePerSite: true, deferWrite };
        const r = await pollSite(ctx, site, undefined, read);
        return { kind: 'polled', requests: r.requests, stored: r.results.reduce((n, x) => n + x.stored, 0) };
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (e instanceof BudgetExhausted || e instanceof EnphaseThrottled) return { kind: 'refused', reason };
        if (e instanceof ReauthRequired) accounts = null; // read the accounts again: this one is no longer active
        o.logger?.warn({ siteId, err: reason }, 'fleet: telemetry poll failed; the site cycle goes on with the stored readings');
        return { kind: 'failed', reason };
      }
    },
  };
}
