/** The implementations behind `ercot-arb enphase …`, `sites …` and `telemetry …` (loaded lazily by the CLI). */
import { createInterface } from 'node:readline';
import { authorizeUrl } from '../../adapters/enphase/oauth.js';
import { systemClock } from '../../domain/time/clock.js';
import { isoUtc } from '../../domain/time/interval.js';
import type { CliContext } from '../../cli/context.js';
import type { OpenedDatabase } from '../../store/database.js';
import { openStore } from '../../store/open.js';
import { createSecretBox, type SecretBox } from '../../store/secret-box.js';
import { loadConfig, type Config } from '../config.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { enphaseJobs, runSettings } from '../telemetry/jobs.js';
import { backfillAccount, pollAccount, type RunReport, type TelemetryRunContext } from '../telemetry/poller.js';
import { formatSitesStatus, formatTelemetryStatus, telemetryStatus } from '../telemetry/status.js';
import { budgetLimits, DEFAULT_REDIRECT_URI, oauthConfig, openAccount } from './account.js';
import { awaitRedirectCode, codeFromInput, connectAccount } from './connect.js';
import { asNotReady, EnphaseAccountNotReady, noAccountConnected, requireUsableAccount, stoppedRun } from './not-ready.js';
import { syncSites, type SyncedSite } from './sites-sync.js';
import { listAccounts } from './tokens.js';

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  account?: string;
}

interface Deps {
  cfg: Config;
  store: OpenedDatabase;
  box: SecretBox;
}

async function withDeps<T>(ctx: CliContext, options: CommonOptions, fn: (deps: Deps) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const box = createSecretBox(cfg.ERCOT_ARB_SECRET_KEY);
  const store = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    return await fn({ cfg, store, box });
  } finally {
    await store.close();
  }
}

function runContext(ctx: CliContext, d: Deps, accountKey: string): TelemetryRunContext {
  const account = openAccount({ db: d.store.db, box: d.box, settings: d.cfg, clock: systemClock, accountKey, logger: ctx.logger() });
  return { db: d.store.db, client: account.client, clock: systemClock, accountKey, settings: runSettings(d.cfg), logger: ctx.logger() };
}

async function readLine(prompt: string, ctx: CliContext): Promise<string> {
  ctx.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const line of rl) if (line.trim()) return line;
    return '';
  } finally {
    rl.close();
  }
}

export async function enphaseConnect(ctx: CliContext, options: CommonOptions & { code?: string; listen?: boolean; timeout?: string }): Promise<void> {
  await withDeps(ctx, options, async (d) => {
    const oauth = oauthConfig(d.cfg);
    const accountKey = options.account ?? d.cfg.ENPHASE_ACCOUNT;
    ctx.stdout.write(`Open this URL, sign in to Enphase and approve the application:\n\n  ${authorizeUrl(oauth)}\n\n`);
    let code: string;
    if (options.code) code = codeFromInput(options.code);
    else if (options.listen) {
      ctx.stderr.write(`waiting for the redirect on ${oauth.redirectUri ?? DEFAULT_REDIRECT_URI} …\n`);
      code = await awaitRedirectCode(oauth.redirectUri, Number(options.timeout ?? 300) * 1000);
    } else code = codeFromInput(await readLine('Paste the code (or the whole URL you were redirected to): ', ctx));
    const res = await connectAccount({ db: d.store.db, box: d.box, oauth, clock: systemClock, accountKey, code });
    ctx.stdout.write(`Enphase account ${accountKey} connected; tokens stored encrypted (access token valid until ${isoUtc(res.expiresAtMs)}).\n`);
    if (res.reactivatedSites.length) ctx.stdout.write(`re-activated sites: ${res.reactivatedSites.join(', ')}\n`);
    ctx.stdout.write('Next: `ercot-arb sites sync`.\n');
  });
}

export async function sitesSync(ctx: CliContext, options: CommonOptions): Promise<void> {
  await withDeps(ctx, options, async (d) => {
    const accountKey = options.account ?? d.cfg.ENPHASE_ACCOUNT;
    await requireUsableAccount(d.store.db, accountKey);
    const account = openAccount({ db: d.store.db, box: d.box, settings: d.cfg, clock: systemClock, accountKey, logger: ctx.logger() });
    let synced: SyncedSite[];
    try {
      synced = await syncSites({ db: d.store.db, box: d.box, client: account.client, clock: systemClock, accountKey, defaultSettlementPoint: d.cfg.ENPHASE_DEFAULT_SETTLEMENT_POINT });
    } catch (error) {
      throw asNotReady(error, accountKey) ?? error;
    }
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify(synced)}\n`);
      return;
    }
    for (const s of synced) {
      ctx.stdout.write(`${s.created ? 'created' : 'updated'} ${s.siteId} (${s.name}): ${s.hasBattery ? `battery ${s.capacityKwh} kWh, reserve ${s.reservePercent} %` : 'no battery'}\n`);
    }
    if (!synced.length) ctx.stdout.write('the account lists no systems\n');
  });
}

async function status(ctx: CliContext, options: CommonOptions, format: typeof formatSitesStatus): Promise<void> {
  await withDeps(ctx, options, async (d) => {
    const s = await telemetryStatus(d.store.db, {
      nowMs: systemClock.nowMs(), limits: budgetLimits(d.cfg), backfillDays: d.cfg.ENPHASE_BACKFILL_DAYS,
      socStaleMs: d.cfg.ENPHASE_SOC_STALE_MINUTES * 60_000, stateMaxAgeMs: Math.max(2 * d.cfg.ENPHASE_SETTINGS_TTL_MINUTES, 2 * d.cfg.ENPHASE_POLL_MINUTES) * 60_000,
    });
    ctx.stdout.write(options.json ? `${JSON.stringify(s)}\n` : format(s));
  });
}

export const sitesStatus = (ctx: CliContext, options: CommonOptions) => status(ctx, options, formatSitesStatus);
export const telemetryStatusCommand = (ctx: CliContext, options: CommonOptions) => status(ctx, options, formatTelemetryStatus);

function formatRun(r: RunReport): string {
  const lines = r.sites.map((s) => `${s.siteId}: ${s.requests} request(s), ${s.results.reduce((n, x) => n + x.stored, 0)} rows written, ` +
    `${s.results.reduce((n, x) => n + x.quarantined, 0)} quarantined${s.error ? `; error: ${s.error}` : ''}`);
  if (r.stopped) lines.push(`stopped: ${r.stopped}`);
  return `${lines.join('\n')}\n`;
}

/**
 * One poll or backfill per account (the named one, or every connected one). An account that is not connected,
 * needs re-authorisation or runs out of calls is reported at the end as bad input (exit 2), after the others ran.
 */
async function runOnce(ctx: CliContext, options: CommonOptions, run: (c: TelemetryRunContext) => Promise<RunReport>): Promise<void> {
  await withDeps(ctx, options, async (d) => {
    const keys = options.account ? [options.account] : (await listAccounts(d.store.db)).map((a) => a.accountKey);
    if (!keys.length) throw noAccountConnected(d.cfg.ENPHASE_ACCOUNT);
    const notReady: EnphaseAccountNotReady[] = [];
    for (const key of keys) {
      try {
        await requireUsableAccount(d.store.db, key);
      } catch (error) {
        const refused = asNotReady(error, key);
        if (!refused) throw error;
        notReady.push(refused);
        continue;
      }
      const report = await run(runContext(ctx, d, key));
      ctx.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `account ${key}:\n${formatRun(report)}`);
      const stopped = stoppedRun(report);
      if (stopped) notReady.push(stopped);
    }
    if (notReady.length === 1) throw notReady[0];
    if (notReady.length) throw new EnphaseAccountNotReady(notReady[0].accountKey, notReady[0].reason, notReady[0].message, notReady.slice(1).map((e) => e.message));
  });
}

export const telemetryPoll = (ctx: CliContext, options: CommonOptions) => runOnce(ctx, options, pollAccount);
export const telemetryBackfill = (ctx: CliContext, options: CommonOptions) => runOnce(ctx, options, backfillAccount);

export async function telemetryRunJobs(ctx: CliContext, options: CommonOptions): Promise<void> {
  await withDeps(ctx, options, async (d) => {
    const scheduler = new Scheduler({ db: d.store.db, logger: ctx.logger(), catchUpWindowMs: d.cfg.SCHEDULER_CATCH_UP_HOURS * 3_600_000 });
    const contexts = async () => (await listAccounts(d.store.db)).filter((a) => a.status === 'active').map((a) => runContext(ctx, d, a.accountKey));
    for (const job of enphaseJobs(contexts, d.cfg.ENPHASE_POLL_MINUTES)) scheduler.registerJob(job);
    await scheduler.runUntilSignal((names) => ctx.stderr.write(`Enphase jobs running: ${names.join(', ')} (Ctrl-C to stop)\n`));
  });
}
