/** The implementations behind `ercot-arb prices ...` (loaded lazily by src/cli/commands/prices.ts). */
import { ErcotClient } from '../../adapters/ercot/client.js';
import { CSV_FILE_LIMITS, readInputText } from '../../adapters/files/input-text.js';
import { InputError } from '../../domain/errors.js';
import { systemClock } from '../../app/system-clock.js';
import { ercotDateOf, parseErcotDate, toErcotIso } from '../../domain/time/ercot-calendar.js';
import { ercotLimiterFor } from '../../app/fleet/shared-ercot-limiter.js';
import { openStore } from '../../store/open.js';
import { getPriceCoverage } from '../../store/prices-repo.js';
import type { Market } from '../../store/schema.js';
import type { CliContext } from '../context.js';
import { loadConfig, type Config } from '../../app/config.js';
import { Scheduler } from '../../app/scheduler/scheduler.js';
import { resolveErcotCredentials, saveErcotCredentials } from '../../app/ingest/credentials.js';
import { backfill, findGaps } from '../../app/ingest/gaps.js';
import { importPriceFile, readImportFile } from '../../app/ingest/file-import.js';
import { priceJobs } from '../../app/ingest/jobs.js';
import { ingestSystemForecasts, systemForecastJobs } from '../../app/ingest/system-forecast-ingest.js';
import { getSystemForecastCoverage } from '../../store/system-forecasts-repo.js';
import type { SystemForecastKindName } from '../../adapters/ercot/forecast-products.js';
import { ercotDay } from '../../domain/time/ercot-calendar.js';
import { addDays, MARKET_OF, productFromName } from '../../app/ingest/markets.js';
import { ingestPrices, type IngestDeps } from '../../app/ingest/price-ingest.js';
import { HOUR_MS } from '../../domain/time/interval.js';

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  points?: string;
}

function pointsOf(cfg: Config, option?: string): string[] {
  return (option ?? cfg.ERCOT_SETTLEMENT_POINTS).split(',').map((p) => p.trim()).filter(Boolean);
}

function date(text: string | undefined, name: string, fallback: string): string {
  if (!text) return fallback;
  try {
    return parseErcotDate(text);
  } catch (error) {
    throw new InputError(`--${name}: ${(error as Error).message}`);
  }
}

function product(name: string) {
  try {
    return productFromName(name);
  } catch (error) {
    throw new InputError(`--product: ${(error as Error).message}`);
  }
}

async function withDeps<T>(ctx: CliContext, options: CommonOptions, fn: (deps: IngestDeps, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const logger = ctx.logger();
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger });
  try {
    const credentials = await resolveErcotCredentials(opened.db, cfg);
    const client = new ErcotClient({
      baseUrl: cfg.ERCOT_API_BASE_URL,
      tokenUrl: cfg.ERCOT_TOKEN_URL,
      credentials,
      // Shared through PostgreSQL with every daemon and command on the same subscription (30 requests per minute).
      limiter: ercotLimiterFor(opened.db, cfg.DATABASE_URL, credentials.subscriptionKey),
      pageSize: cfg.ERCOT_PAGE_SIZE,
      timeoutMs: cfg.ERCOT_REQUEST_TIMEOUT_MS,
      onRetry: (info) => logger.warn(info, 'ERCOT request retried'),
    });
    return await fn({ db: opened.db, client, clock: systemClock, logger, queryApiFromDate: cfg.ERCOT_QUERY_API_FROM_DATE }, cfg);
  } finally {
    await opened.close();
  }
}

/** Stores the ERCOT_API_* credentials from the environment, encrypted, so later runs need only ERCOT_ARB_SECRET_KEY. */
export async function pricesSaveCredentials(ctx: CliContext, options: CommonOptions): Promise<void> {
  const cfg = loadConfig();
  const missing = (['ERCOT_API_USERNAME', 'ERCOT_API_PASSWORD', 'ERCOT_API_SUBSCRIPTION_KEY'] as const).filter((k) => !cfg[k]);
  if (missing.length) throw new InputError(`set ${missing.join(', ')} in the environment first (they are read from there, never from the command line)`);
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    const info = await saveErcotCredentials(opened.db, cfg, { username: cfg.ERCOT_API_USERNAME!, password: cfg.ERCOT_API_PASSWORD!, subscriptionKey: cfg.ERCOT_API_SUBSCRIPTION_KEY! });
    ctx.stdout.write(`stored ERCOT API credentials (credential #${info.id}, encrypted with ERCOT_ARB_SECRET_KEY)\n`);
  } finally {
    await opened.close();
  }
}

export interface RangeOptions extends CommonOptions {
  product: string;
  from?: string;
  to?: string;
  via?: 'api' | 'archive' | 'auto';
}

export async function pricesIngest(ctx: CliContext, options: RangeOptions): Promise<void> {
  const p = product(options.product);
  const today = ercotDateOf(Date.now());
  const from = date(options.from, 'from', today);
  const to = date(options.to, 'to', from);
  if (to < from) throw new InputError(`--to ${to} is before --from ${from}`);
  if (options.via && !['api', 'archive', 'auto'].includes(options.via)) throw new InputError(`--via must be api, archive or auto`);
  await withDeps(ctx, options, async (deps, cfg) => {
    const result = await ingestPrices(deps, { product: p, fromDate: from, toDate: to, settlementPoints: pointsOf(cfg, options.points), via: options.via });
    ctx.stdout.write(options.json ? `${JSON.stringify(result)}\n`
      : `${result.product} ${result.fromDate}..${result.toDate}: ${result.rows} rows fetched in ${result.requests} request(s); ${result.inserted} new, ${result.updated} corrected, ${result.unchanged} unchanged\n`);
  });
}

export async function pricesBackfill(ctx: CliContext, options: RangeOptions & { days?: string }): Promise<void> {
  const p = product(options.product);
  const today = ercotDateOf(Date.now());
  const to = date(options.to, 'to', today);
  const from = date(options.from, 'from', addDays(to, -Number(options.days ?? 7)));
  await withDeps(ctx, options, async (deps, cfg) => {
    const result = await backfill(deps, { product: p, fromDate: from, toDate: to, settlementPoints: pointsOf(cfg, options.points) });
    if (options.json) return void ctx.stdout.write(`${JSON.stringify(result)}\n`);
    const missing = result.gapsBefore.reduce((n, g) => n + g.missing, 0);
    ctx.stdout.write(`${p.id} ${from}..${to}: ${missing} missing interval(s) before; ${result.runs.length} fetch(es)\n`);
    for (const r of result.runs) ctx.stdout.write(`  ${r.fromDate}..${r.toDate}: ${r.inserted} new, ${r.updated} corrected\n`);
  });
}

export async function pricesStatus(ctx: CliContext, options: CommonOptions & { days?: string }): Promise<void> {
  const cfg = loadConfig();
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    const nowMs = Date.now();
    const points = pointsOf(cfg, options.points);
    const days = Number(options.days ?? 7);
    if (!Number.isFinite(days) || days < 0) throw new InputError('--days must be a non-negative number');
    const coverage = await getPriceCoverage(opened.db);
    const rows: Array<Record<string, unknown>> = [];
    for (const market of ['rt15', 'dam', 'sced'] as Market[]) {
      const today = ercotDateOf(nowMs);
      const gaps = await findGaps(opened.db, { market, settlementPoints: points, fromDate: addDays(today, -days), toDate: addDays(today, 1), nowMs });
      const names = new Set([...points, ...coverage.filter((c) => c.market === market).map((c) => c.settlementPoint)]);
      for (const point of [...names].sort()) {
        const c = coverage.find((x) => x.market === market && x.settlementPoint === point);
        const g = gaps.find((x) => x.settlementPoint === point);
        if (!c && market === 'sced') continue;
        rows.push({
          market, product: Object.entries(MARKET_OF).find(([, m]) => m === market)?.[0], settlementPoint: point,
          intervals: c?.count ?? 0, first: c ? toErcotIso(c.firstStartMs) : null, newest: c ? toErcotIso(c.lastStartMs) : null,
          revised: c?.revisedCount ?? 0, lastFetched: c ? new Date(c.lastFetchedAtMs).toISOString() : null,
          [`missingLast${days}d`]: g ? g.missing : null,
        });
      }
    }
    const iso = (ms: number | null) => (ms === null ? null : toErcotIso(ms));
    const systemForecasts = (await getSystemForecastCoverage(opened.db)).map((c) => ({
      kind: c.kind, values: c.rows, postings: c.postings, firstPosted: iso(c.firstPostedMs), latestPosted: iso(c.latestPostedMs), latestDelivery: iso(c.latestDeliveryMs),
    }));
    if (options.json) return void ctx.stdout.write(`${JSON.stringify({ database: opened.location, points: rows, systemForecasts })}\n`);
    ctx.stdout.write(`database: ${opened.kind} ${opened.location}\n`);
    const header = ['market', 'product', 'point', 'intervals', 'first', 'newest', 'revised', `missing ${days}d`];
    const table = rows.map((r) => [r.market, r.product, r.settlementPoint, r.intervals, r.first ?? '-', r.newest ?? '-', r.revised, r[`missingLast${days}d`] ?? '-'].map(String));
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
    for (const line of [header, ...table]) ctx.stdout.write(`${line.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
    for (const f of systemForecasts) ctx.stdout.write(`system forecast ${f.kind}: ${f.values} values in ${f.postings} posting(s), latest posted ${f.latestPosted}, up to delivery hour ${f.latestDelivery}\n`);
  } finally {
    await opened.close();
  }
}

export interface ImportCliOptions {
  format: string;
  point?: string;
  market?: string;
  type?: string;
  dataDir?: string;
  json?: boolean;
}

export async function pricesImport(ctx: CliContext, file: string, options: ImportCliOptions): Promise<void> {
  if (options.market && !['rt15', 'dam', 'sced'].includes(options.market)) throw new InputError('--market must be rt15, dam or sced');
  const text = await readInputText(file, CSV_FILE_LIMITS, 'price file');
  const read = readImportFile(text, {
    format: options.format, fileName: file, settlementPoint: options.point, market: options.market as Market | undefined,
    settlementPointType: options.type, fetchedAtMs: Date.now(),
  });
  const cfg = loadConfig();
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    const r = await importPriceFile(opened.db, read, file);
    ctx.stdout.write(options.json ? `${JSON.stringify(r)}\n`
      : `${file}: ${r.rows} ${r.market} prices for ${r.settlementPoints.join(', ')}; ${r.inserted} new, ${r.updated} corrected, ${r.unchanged} unchanged\n`);
  } finally {
    await opened.close();
  }
}

/** Runs the scheduler with the price jobs in the foreground until SIGINT/SIGTERM. */
export async function pricesRunJobs(ctx: CliContext, options: CommonOptions): Promise<void> {
  await withDeps(ctx, options, async (deps, cfg) => {
    const scheduler = new Scheduler({ db: deps.db, logger: deps.logger, catchUpWindowMs: cfg.SCHEDULER_CATCH_UP_HOURS * HOUR_MS });
    for (const job of priceJobs(deps, { settlementPoints: pointsOf(cfg, options.points), trailingHours: cfg.ERCOT_RT_TRAILING_HOURS, scedEnabled: cfg.ERCOT_SCED_ENABLED })) {
      scheduler.registerJob(job);
    }
    if (cfg.ERCOT_SYSTEM_FORECASTS_ENABLED) for (const job of systemForecastJobs(deps)) scheduler.registerJob(job);
    await scheduler.runUntilSignal((names) => ctx.stderr.write(`price jobs running: ${names.join(', ')} (Ctrl-C to stop)\n`));
  });
}

export interface ForecastOptions extends CommonOptions {
  from?: string;
  to?: string;
  kinds?: string;
  allRegions?: boolean;
}

/**
 * `prices forecasts --from D [--to D] [--kinds load,wind,solar] [--all-regions]`: ERCOT's system forecasts posted on
 * those days (Central), stored with their posting time; then what is stored per kind.
 */
export async function pricesForecasts(ctx: CliContext, options: ForecastOptions): Promise<void> {
  const today = ercotDateOf(Date.now());
  const from = date(options.from, 'from', today);
  const to = date(options.to, 'to', from);
  if (to < from) throw new InputError(`--to ${to} is before --from ${from}`);
  const kinds = (options.kinds ?? 'load,wind,solar').split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !['load', 'wind', 'solar'].includes(k));
  if (bad.length || !kinds.length) throw new InputError(`--kinds: expected a comma-separated subset of load, wind, solar (got ${JSON.stringify(options.kinds)})`);
  await withDeps(ctx, options, async (deps) => {
    const postedToMs = Math.min(ercotDay(to).endMs - 1000, Date.now());
    const result = await ingestSystemForecasts(deps, { postedFromMs: ercotDay(from).startMs, postedToMs, kinds: kinds as SystemForecastKindName[], allRegions: options.allRegions });
    const coverage = await getSystemForecastCoverage(deps.db);
    if (options.json) return void ctx.stdout.write(`${JSON.stringify({ ...result, coverage })}\n`);
    ctx.stdout.write(`system forecasts posted ${result.postedFrom}..${result.postedTo}: ${result.rows} values fetched in ${result.requests} request(s); ${result.inserted} new, ${result.updated} corrected, ${result.unchanged} unchanged\n`);
    for (const [kind, k] of Object.entries(result.byKind)) ctx.stdout.write(`  ${kind}: ${k.postings} posting(s), ${k.rows} values, ${k.inserted} new\n`);
    for (const c of coverage) {
      ctx.stdout.write(`  stored ${c.kind}: ${c.rows} values in ${c.postings} posting(s), posted ${c.firstPostedMs === null ? '-' : toErcotIso(c.firstPostedMs)} .. ${c.latestPostedMs === null ? '-' : toErcotIso(c.latestPostedMs)}\n`);
    }
  });
}
