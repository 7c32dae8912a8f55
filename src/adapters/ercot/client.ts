/**
 * The ERCOT Public API client: query a price product by delivery date range and settlement point(s), follow every
 * page, and return typed rows with UTC interval starts. Archive listing and download live in archive.ts.
 */
import { InvalidConfig } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import type { PriceSource, PriceSourceQuery } from '../../domain/ports/price-source.js';
import { systemClock } from '../../app/system-clock.js';
import { ErcotHttp, type RetryPolicy } from './http.js';
import { DEFAULT_EXCLUDED_POINT_TYPES, type ErcotPriceRow, type ErcotProduct } from './products.js';
import type { Sleep, TokenBucket } from './rate-limiter.js';
import { ErcotTokenManager, type ErcotCredentials } from './token-manager.js';
import { InvalidErcotData, parseJsonBody, parseWith, reportSchema, rowsFromPage } from './wire.js';
import type { ErcotForecastProduct, ErcotSystemForecastRow, SystemForecastQuery } from './forecast-products.js';
import { ercotLocalTimestamp, forecastRowsFromPage } from './forecast-wire.js';

export const ERCOT_DEFAULT_BASE_URL = 'https://api.ercot.com/api/public-reports';
export const ERCOT_DEFAULT_TOKEN_URL = 'https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token';

export interface ErcotClientOptions {
  baseUrl?: string;
  tokenUrl?: string;
  credentials: ErcotCredentials;
  clock?: Clock;
  sleep?: Sleep;
  /** Defaults to the process-wide limiter (30/min). */
  limiter?: TokenBucket;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Rows per page requested (default 10 000). */
  pageSize?: number;
  /** Token renewal margin before expiry (default 5 min). */
  tokenMarginMs?: number;
  random?: () => number;
  onRetry?: (info: { what: string; attempt: number; reason: string; delayMs: number }) => void;
}

export class ErcotClient implements PriceSource<ErcotProduct> {
  readonly http: ErcotHttp;
  readonly tokens: ErcotTokenManager;
  readonly clock: Clock;
  readonly pageSize: number;

  constructor(options: ErcotClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.tokens = new ErcotTokenManager({
      tokenUrl: options.tokenUrl ?? ERCOT_DEFAULT_TOKEN_URL,
      credentials: options.credentials,
      clock: this.clock,
      marginMs: options.tokenMarginMs,
      timeoutMs: options.timeoutMs,
    });
    this.http = new ErcotHttp({
      baseUrl: options.baseUrl ?? ERCOT_DEFAULT_BASE_URL,
      subscriptionKey: options.credentials.subscriptionKey,
      tokens: this.tokens,
      limiter: options.limiter,
      clock: this.clock,
      sleep: options.sleep,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      random: options.random,
      onRetry: options.onRetry,
    });
    this.pageSize = options.pageSize ?? 10_000;
  }

  /**
   * All rows of a product for the delivery dates and points, every page followed. A row for a point that was not
   * asked for, or two rows for the same point and period, fail the call (nothing is returned).
   */
  async fetchPrices(product: ErcotProduct, query: PriceSourceQuery): Promise<ErcotPriceRow[]> {
    const out: ErcotPriceRow[] = [];
    for (const point of query.settlementPoints) {
      out.push(...(await this.fetchPoint(product, query, point)));
    }
    return out;
  }

  private async fetchPoint(product: ErcotProduct, query: PriceSourceQuery, point: string): Promise<ErcotPriceRow[]> {
    const exclude = new Set((query.excludeTypes ?? DEFAULT_EXCLUDED_POINT_TYPES).map((t) => t.toUpperCase()));
    const rows: ErcotPriceRow[] = [];
    const seen = new Map<number, string>();
    const params: Record<string, string | number | undefined> =
      product.id === 'NP6-788-CD'
        ? { SCEDTimestampFrom: `${query.fromDate}T00:00:00`, SCEDTimestampTo: `${query.toDate}T23:59:59`, settlementPoint: point }
        : { deliveryDateFrom: query.fromDate, deliveryDateTo: query.toDate, settlementPoint: point, settlementPointType: product.id === 'NP6-905-CD' ? query.settlementPointType : undefined };
    for (let page = 1; ; page++) {
      const what = `${product.id} ${query.fromDate}..${query.toDate} ${point} page ${page}`;
      const text = await this.http.getText(product.path, { ...params, page, size: this.pageSize }, what);
      const report = parseWith(reportSchema, parseJsonBody(text, what), what);
      for (const row of rowsFromPage(product, report, { query: `${query.fromDate}..${query.toDate} ${point} page ${page}` })) {
        if (row.settlementPointType && exclude.has(row.settlementPointType.toUpperCase())) continue;
        if (row.settlementPoint !== point) {
          throw new InvalidErcotData(`${what}: unknown settlement point "${row.settlementPoint}" in a response for ${point} (delivery date ${row.deliveryDate})`);
        }
        const where = `page ${page}`;
        const earlier = seen.get(row.intervalStartMs);
        if (earlier !== undefined) {
          throw new InvalidErcotData(`${what}: two rows for ${point} at ${new Date(row.intervalStartMs).toISOString()} (delivery date ${row.deliveryDate}; ${earlier} and ${where})`);
        }
        seen.set(row.intervalStartMs, where);
        rows.push(row);
      }
      // Stop at the last page (also when a server echoes a wrong currentPage: never loop past totalPages).
      if (report._meta.totalPages === 0 || report._meta.currentPage >= report._meta.totalPages || page >= report._meta.totalPages) break;
    }
    return rows;
  }

  /** A system forecast report (load, wind, solar) by posting time: see fetchSystemForecasts. */
  fetchSystemForecasts(product: ErcotForecastProduct, query: SystemForecastQuery): Promise<ErcotSystemForecastRow[]> {
    return fetchSystemForecasts(this, product, query);
  }
}

/**
 * All rows of a system forecast report posted in [postedFromMs, postedToMs] (optionally only some delivery dates),
 * every page followed, through the same limiter, token and retry path as the price reports. Load: only the model in
 * use. Two values for one region, posting and delivery hour fail the call (nothing is returned).
 */
export async function fetchSystemForecasts(client: ErcotClient, product: ErcotForecastProduct, query: SystemForecastQuery): Promise<ErcotSystemForecastRow[]> {
  const from = ercotLocalTimestamp(query.postedFromMs);
  const to = ercotLocalTimestamp(query.postedToMs);
  const params: Record<string, string | number | undefined> = {
    postedDatetimeFrom: from, postedDatetimeTo: to, deliveryDateFrom: query.deliveryDateFrom, deliveryDateTo: query.deliveryDateTo,
    inUseFlag: product.kind === 'load' ? 'true' : undefined,
  };
  const rows: ErcotSystemForecastRow[] = [];
  const seen = new Set<string>();
  for (let page = 1; ; page++) {
    const what = `${product.id} posted ${from}..${to} page ${page}`;
    const text = await client.http.getText(product.path, { ...params, page, size: client.pageSize }, what);
    const report = parseWith(reportSchema, parseJsonBody(text, what), what);
    for (const row of forecastRowsFromPage(product, report, `posted ${from}..${to} page ${page}`)) {
      const key = `${row.region}|${row.postedMs}|${row.intervalStartMs}`;
      if (seen.has(key)) {
        throw new InvalidErcotData(`${what}: two ${row.kind} values for ${row.region} posted ${ercotLocalTimestamp(row.postedMs)} for ${new Date(row.intervalStartMs).toISOString()} (delivery date ${row.deliveryDate})`);
      }
      seen.add(key);
      rows.push(row);
    }
    if (report._meta.totalPages === 0 || report._meta.currentPage >= report._meta.totalPages || page >= report._meta.totalPages) break;
  }
  return rows;
}

export class MissingErcotCredentials extends InvalidConfig {
  constructor(names: readonly string[]) {
    super(`ERCOT credentials missing: set ${names.join(', ')} (or run against the fake: npx ercot-arb fake ercot)`);
    this.name = 'MissingErcotCredentials';
  }
}
