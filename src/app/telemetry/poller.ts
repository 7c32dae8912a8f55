/**
 * The telemetry poll (every ENPHASE_POLL_MINUTES) and the backfill, per account. Frugal: the poll sends ONE request
 * per product per site, starting a trailing window before the newest stored interval (late and still-filling
 * intervals are re-read and upserted); the settings are re-read only when their TTL ran out. The backfill walks
 * the gaps oldest first, one day per request, up to a request cap. Throttling and the budget stop the run for the
 * account (not an error to retry in a loop); a refused refresh token marks the account needs-reauth and stops it.
 */
import { EnphaseClient } from '../../adapters/enphase/client.js';
import { BudgetExhausted, EnphaseThrottled, ReauthRequired, SiteWithoutBattery } from '../../adapters/enphase/errors.js';
import type { TelemetryProduct } from '../../adapters/enphase/normalise.js';
import type { Clock } from '../../domain/time/clock.js';
import { DAY_MS, INTERVAL_MS, intervalFloor } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { listSites, type Site } from '../../store/sites-repo.js';
import type { Logger } from '../logger.js';
import type { NotReadyReason } from '../enphase/not-ready.js';
import { getAccount } from '../enphase/tokens.js';
import { getSiteState, patchSiteState, patchSiteStateSql, type SiteState } from './enphase-tables.js';
import { productCoverage } from './coverage.js';
import { sitePollState, type SitePollState } from './poll-state.js';
import { deferIngest, fetchProduct, ingestResponse, ingestResponses, PRODUCTS, type IngestResult, type PendingPollWrite } from './ingest.js';
import type { WireTelemetry } from '../../adapters/enphase/wire.js';
import { readSiteStateInto, settingsCallsDue, type SiteStateRead } from './site-state.js';


export interface TelemetrySettings {
  trailingWindowMs: number;
  settingsTtlMs: number;
  backfillDays: number;
  backfillMaxRequests: number;
  /** Where a site with nothing stored starts (default: one day back). */
  initialLookbackMs?: number;
}

export interface TelemetryRunContext {
  db: Executor;
  client: EnphaseClient;
  clock: Clock;
  accountKey: string;
  settings: TelemetrySettings;
  logger?: Logger;
  /**
   * Reserve each site's calls in one step before its first call (the fleet's per-site poll: one budget round trip per
   * site instead of one per call, and a site gets all its calls or none). Default: call by call.
   */
  reservePerSite?: boolean;
  /**
   * `pollSite` hands its write here instead of running it (also when a later call threw): the fleet writes it in the
   * statement that reads the site's context. The report's `results` then stay empty; the write's own fill on settle.
   */
  deferWrite?: (write: PendingPollWrite) => void;
}

export interface SiteRunReport {
  siteId: string;
  results: IngestResult[];
  requests: number;
  error?: string;
}

export interface RunReport {
  accountKey: string;
  sites: SiteRunReport[];
  /** Why the run stopped early for the whole account (throttled, budget, needs re-auth). */
  stopped?: string;
  stoppedReason?: NotReadyReason;
}

/** Active sites of the account (those whose Enphase system the account lists). */
export async function accountSites(db: Executor, accountKey: string): Promise<Site[]> {
  const account = await getAccount(db, accountKey);
  if (!account) return [];
  const ids = new Set(account.systemIds);
  return (await listSites(db, { status: 'active' })).filter((s) => s.enphaseSystemId !== null && ids.has(s.enphaseSystemId));
}

async function productsFor(db: Executor, siteId: string): Promise<TelemetryProduct[]> {
  const s = await getSiteState(db, siteId);
  return s && !s.hasBattery ? PRODUCTS.filter((p) => p !== 'battery') : [...PRODUCTS];
}

/** Runs `perSite` for every active site; stops the account on throttling, budget or re-auth. */
async function forEachSite(ctx: TelemetryRunContext, perSite: (site: Site, report: SiteRunReport) => Promise<void>): Promise<RunReport> {
  const report: RunReport = { accountKey: ctx.accountKey, sites: [] };
  const account = await getAccount(ctx.db, ctx.accountKey);
  if (!account) return { ...report, stopped: 'account not connected', stoppedReason: 'not_connected' };
  if (account.status === 'needs_reauth') return { ...report, stopped: 'account needs re-authorisation (run `ercot-arb enphase connect`)', stoppedReason: 'needs_reauth' };
  for (const site of await accountSites(ctx.db, ctx.accountKey)) {
    const siteReport: SiteRunReport = { siteId: site.siteId, results: [], requests: 0 };
    report.sites.push(siteReport);
    try {
      await perSite(site, siteReport);
    } catch (error) {
      siteReport.error = (error as Error).message;
      if (error instanceof EnphaseThrottled || error instanceof BudgetExhausted || error instanceof ReauthRequired) {
        ctx.logger?.warn({ accountKey: ctx.accountKey, siteId: site.siteId, err: { name: (error as Error).name, message: (error as Error).message } }, 'telemetry run stopped for the account');
        return { ...report, stopped: (error as Error).message, stoppedReason: error instanceof ReauthRequired ? 'needs_reauth' : 'budget_used' };
      }
      ctx.logger?.error({ siteId: site.siteId, err: { name: (error as Error).name, message: (error as Error).message } }, 'telemetry run failed for site');
    }
  }
  return report;
}

async function fetchAndIngest(ctx: TelemetryRunContext, site: Site, product: TelemetryProduct, startMs: number, r: SiteRunReport, client: EnphaseClient = ctx.client): Promise<IngestResult | undefined> {
  r.requests++;
  try {
    const response = await fetchProduct(client, product, Number(site.enphaseSystemId), startMs);
    const result = await ingestResponse({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, siteId: site.siteId, product, response });
    r.results.push(result);
    return result;
  } catch (error) {
    if (!(error instanceof SiteWithoutBattery)) throw error;
    await patchSiteState(ctx.db, site.siteId, { hasBattery: false });
    return undefined;
  }
}

/**
 * One site's poll: one request per product from (newest stored − trailing window), then the settings by TTL. The
 * daemon's poll runs it for every site of an account; a fleet worker runs it inside each site's cycle. Everything
 * the calls returned is stored in ONE statement at the end (every product's intervals and the Enphase state, see
 * `ingestResponses`), also when a later call threw (what was read is kept); with `ctx.deferWrite` that statement is
 * handed over instead (the fleet runs it inside the site's context read). Throws what the client throws (throttled,
 * budget used, re-authorisation, unavailable): the caller decides what stops. `read`: the site's poll state when the
 * caller already read it (sitePollState).
 */
export async function pollSite(ctx: TelemetryRunContext, site: Site, r: SiteRunReport = { siteId: site.siteId, results: [], requests: 0 }, read?: SitePollState): Promise<SiteRunReport> {
  const now = ctx.clock.nowMs();
  const known = read ?? (await sitePollState(ctx.db, site.siteId));
  const products = known.state && !known.state.hasBattery ? PRODUCTS.filter((p) => p !== 'battery') : [...PRODUCTS];
  const client = ctx.reservePerSite ? await ctx.client.withCallsReserved(products.length + settingsCallsDue(known.state, now, ctx.settings.settingsTtlMs)) : ctx.client;
  const systemId = Number(site.enphaseSystemId);
  const responses: { product: TelemetryProduct; response: WireTelemetry }[] = [];
  const state: SiteStateRead = { calls: 0, patch: {} };
  let stateKnown = known.state;
  try {
    for (const product of products) {
      const newest = known.newestEndMs[product];
      const lookback = ctx.settings.initialLookbackMs ?? DAY_MS;
      const startMs = newest !== null ? newest - ctx.settings.trailingWindowMs : intervalFloor(now - lookback);
      r.requests++;
      try {
        responses.push({ product, response: await fetchProduct(client, product, systemId, Math.max(startMs, intervalFloor(now - ctx.settings.backfillDays * DAY_MS))) });
      } catch (error) {
        if (!(error instanceof SiteWithoutBattery)) throw error;
        // No battery (422): its settings calls would say the same, so they are not made.
        state.patch = { ...state.patch, hasBattery: false, stormGuardEnabled: false, stormAlert: false };
        stateKnown = { ...(stateKnown ?? emptySiteState(site.siteId)), hasBattery: false };
      }
    }
    await readSiteStateInto(state, { client, siteId: site.siteId, systemId, nowMs: now, ttlMs: ctx.settings.settingsTtlMs, logger: ctx.logger, known: stateKnown });
  } finally {
    r.requests += state.calls;
    const also = Object.keys(state.patch).length ? patchSiteStateSql(site.siteId, state.patch) : undefined;
    if (responses.length || also) {
      const ingest = { db: ctx.db, clock: ctx.clock, logger: ctx.logger, siteId: site.siteId, responses, also };
      if (ctx.deferWrite) ctx.deferWrite(await deferIngest(ingest));
      else r.results.push(...(await ingestResponses(ingest)));
    }
  }
  return r;
}

function emptySiteState(siteId: string): SiteState {
  return {
    siteId, hasBattery: true, batteryMode: null, batteryModeRaw: null, reserveSoc: null, chargeFromGrid: null, stormGuardEnabled: null, stormAlert: null,
    gridState: null, settingsFetchedAtMs: null, stormGuardFetchedAtMs: null, gridFetchedAtMs: null,
  };
}

/** One poll: `pollSite` for every active site of the account. */
export async function pollAccount(ctx: TelemetryRunContext): Promise<RunReport> {
  // Each site's calls are counted in one statement before the first is sent (all or none), as the fleet's cycle does:
  // one budget statement per site instead of one per call (at 1,000 sites the per-call upserts were ~6,000 statements
  // of a 15-minute poll). Near a minute's limit a site gets none and the poll stops for the account, as before.
  const perSite: TelemetryRunContext = { ...ctx, reservePerSite: ctx.reservePerSite ?? true };
  return forEachSite(perSite, async (site, r) => void (await pollSite(perSite, site, r)));
}

/** Walks the gaps oldest first (one day per request) within the backfill horizon, up to the request cap. */
export async function backfillAccount(ctx: TelemetryRunContext): Promise<RunReport> {
  let budget = ctx.settings.backfillMaxRequests;
  return forEachSite(ctx, async (site, r) => {
    const since = intervalFloor(ctx.clock.nowMs() - ctx.settings.backfillDays * DAY_MS);
    for (const product of await productsFor(ctx.db, site.siteId)) {
      const cover = await productCoverage(ctx.db, site.siteId, product, since);
      let cursor = -Infinity;
      for (const end of cover.missingEndsMs) {
        if (end <= cursor) continue;
        if (budget <= 0) return;
        budget--;
        const startMs = end - INTERVAL_MS;
        await fetchAndIngest(ctx, site, product, startMs, r);
        cursor = startMs + DAY_MS;
      }
    }
  });
}
