/**
 * A fake ERCOT Public API on loopback (node:http): the B2C token endpoint (checks the ROPC form fields, issues
 * id_tokens with a configurable lifetime), the three report paths with their filters and paging, the archive list
 * and zip download, and scripted failures (429, 5xx, malformed bodies, slow responses). Tests and demos run the
 * real client against it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import { DateTime } from 'luxon';
import type { Clock } from '../../../domain/time/clock.js';
import { systemClock } from '../../../app/system-clock.js';
import { ERCOT_PRODUCTS, type ErcotProductId } from '../../ercot/products.js';
import { ERCOT_B2C_CLIENT_ID } from '../../ercot/token-manager.js';
import { publishedAtMs } from './publication.js';
import { FAKE_FIELDS, FakeErcotData, legacyCsv, type WireRow } from './data.js';
import { ERCOT_FORECAST_PRODUCTS, type ErcotForecastProductId } from '../../ercot/forecast-products.js';
import { FakeForecastData, FORECAST_FIELDS } from './forecast-data.js';

export const FAKE_TOKEN_PATH = '/b2c/oauth2/v2.0/token';
export const FAKE_API_PREFIX = '/api/public-reports';

/** One scripted response, served instead of the real one to the next request whose path contains `path`. */
export interface ScriptedResponse {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (with the scripted or, when status is absent, the real response). */
  delayMs?: number;
  /** Only requests whose path contains this (default: any API request, never the token endpoint: script that with `path: FAKE_TOKEN_PATH`). */
  path?: string;
  /** Drop the connection without an answer (the client sees ECONNRESET / "other side closed"). */
  reset?: boolean;
}

export interface FakeErcotOptions {
  username?: string;
  password?: string;
  subscriptionKey?: string;
  /** id_token lifetime in seconds (default 3600). */
  tokenLifetimeS?: number;
  clock?: Clock;
  /** Default page size when the request has no `size` (default 1000). */
  defaultPageSize?: number;
  /** Query endpoints hold delivery dates from here on (older ones only via the archive). Default: all. */
  queryFromDate?: string;
  /** Enforce a requests-per-minute limit with 429 (default: off). */
  rateLimitPerMinute?: number;
  data?: FakeErcotData;
  /**
   * Serve only what ERCOT had published at the clock's now (publication.ts): real-time prices once their interval
   * has ended, a day's DAM at 13:00 Central the day before. For runs on a simulated clock (the week test, the demo).
   */
  publishedOnly?: boolean;
}

export interface FakeRequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export class FakeErcotServer {
  readonly data: FakeErcotData;
  /** The system forecast reports (load, wind, solar): `forecasts.generate(...)` or `forecasts.upsert(...)`. */
  readonly forecasts = new FakeForecastData();
  readonly requests: FakeRequestLog[] = [];
  tokenRequests = 0;
  private server?: Server;
  private readonly tokens = new Map<string, number>();
  private readonly script: ScriptedResponse[] = [];
  private readonly omitted = new Map<ErcotProductId | ErcotForecastProductId, Set<string>>();
  private readonly recent: number[] = [];
  private readonly clock: Clock;
  readonly options: Required<Omit<FakeErcotOptions, 'data' | 'clock' | 'queryFromDate' | 'rateLimitPerMinute' | 'publishedOnly'>> & Pick<FakeErcotOptions, 'queryFromDate' | 'rateLimitPerMinute' | 'publishedOnly'>;

  constructor(options: FakeErcotOptions = {}) {
    this.data = options.data ?? new FakeErcotData();
    this.clock = options.clock ?? systemClock;
    this.options = {
      username: options.username ?? 'fake-user@example.com',
      password: options.password ?? 'fake-password',
      subscriptionKey: options.subscriptionKey ?? 'fake-subscription-key',
      tokenLifetimeS: options.tokenLifetimeS ?? 3600,
      defaultPageSize: options.defaultPageSize ?? 1000,
      queryFromDate: options.queryFromDate,
      rateLimitPerMinute: options.rateLimitPerMinute,
      publishedOnly: options.publishedOnly,
    };
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, { code: 500, message: String((error as Error).message) });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get origin(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('fake ERCOT server not started');
    return `http://127.0.0.1:${a.port}`;
  }
  get baseUrl(): string {
    return this.origin + FAKE_API_PREFIX;
  }
  get tokenUrl(): string {
    return this.origin + FAKE_TOKEN_PATH;
  }
  /** Credentials the fake accepts, in the client's shape. */
  get credentials() {
    return { username: this.options.username, password: this.options.password, subscriptionKey: this.options.subscriptionKey };
  }

  /** Queue scripted responses (consumed in order by matching requests). */
  enqueue(...responses: ScriptedResponse[]): void {
    this.script.push(...responses);
  }
  /** Serve a product's pages without a field (a "missing field" response). */
  omitField(product: ErcotProductId | ErcotForecastProductId, field: string): void {
    let s = this.omitted.get(product);
    if (!s) this.omitted.set(product, (s = new Set()));
    s.add(field);
  }
  /** Requests to a report or archive path (not the token endpoint). */
  apiRequests(pathPart = ''): FakeRequestLog[] {
    return this.requests.filter((r) => r.path !== FAKE_TOKEN_PATH && r.path.includes(pathPart));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const log: FakeRequestLog = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    this.requests.push(log);
    const body = await readBody(req);
    res.on('finish', () => (log.status = res.statusCode));
    const isToken = url.pathname === FAKE_TOKEN_PATH && req.method === 'POST';
    const scripted = this.takeScripted(url.pathname, isToken);
    if (scripted?.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
    if (res.destroyed) return;
    if (scripted?.reset) {
      req.socket.destroy();
      return;
    }
    if (isToken && !scripted?.status) return this.token(body.toString('utf8'), res);
    if (scripted?.status) {
      res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
      res.end(scripted.body ?? JSON.stringify(scripted.status === 429
        ? { statusCode: 429, error_key: 'throttled', message: 'Rate limit is exceeded. Try again in 2 seconds.' }
        : { code: scripted.status, status: 'error', message: 'scripted failure' }));
      return;
    }
    const denied = this.checkAuth(req);
    if (denied) return this.json(res, 401, { statusCode: 401, message: denied });
    if (this.options.rateLimitPerMinute && this.throttled()) {
      return this.json(res, 429, { statusCode: 429, error_key: 'throttled', message: 'Rate limit is exceeded. Try again in 2 seconds.' });
    }
    if (!url.pathname.startsWith(FAKE_API_PREFIX)) return this.json(res, 404, { code: 404, message: 'not found' });
    const path = url.pathname.slice(FAKE_API_PREFIX.length);
    const archive = /^\/archive\/([A-Za-z0-9-]+)(\/download)?$/.exec(path);
    if (archive) {
      const product = ERCOT_PRODUCTS.find((p) => p.id === archive[1].toUpperCase());
      if (!product) return this.json(res, 404, { code: 404, message: `unknown product ${archive[1]}` });
      if (archive[2] && req.method === 'POST') return this.download(product.id, body.toString('utf8'), res);
      return this.archiveList(product.id, url.searchParams, res);
    }
    const product = ERCOT_PRODUCTS.find((p) => p.path === path);
    const forecast = ERCOT_FORECAST_PRODUCTS.find((p) => p.path === path);
    if (forecast) return this.page(forecast.id, this.forecasts.query(forecast.id, url.searchParams), FORECAST_FIELDS[forecast.id], url.searchParams, res);
    if (!product) return this.json(res, 404, { code: 404, message: `unknown report ${path}` });
    return this.report(product.id, url.searchParams, res);
  }

  private takeScripted(path: string, isToken: boolean): ScriptedResponse | undefined {
    const i = this.script.findIndex((s) => (s.path ? path.includes(s.path) : !isToken));
    return i >= 0 ? this.script.splice(i, 1)[0] : undefined;
  }

  private throttled(): boolean {
    const now = this.clock.nowMs();
    while (this.recent.length && this.recent[0] <= now - 60_000) this.recent.shift();
    if (this.recent.length >= this.options.rateLimitPerMinute!) return true;
    this.recent.push(now);
    return false;
  }

  private token(form: string, res: ServerResponse): void {
    this.tokenRequests++;
    const f = new URLSearchParams(form);
    const problems: string[] = [];
    if (f.get('grant_type') !== 'password') problems.push('grant_type must be password');
    if (f.get('response_type') !== 'id_token') problems.push('response_type must be id_token');
    if (f.get('client_id') !== ERCOT_B2C_CLIENT_ID) problems.push('unknown client_id');
    if (!(f.get('scope') ?? '').split(' ').includes('openid')) problems.push('scope must include openid');
    if (problems.length) return this.json(res, 400, { error: 'invalid_request', error_description: problems.join('; ') });
    if (f.get('username') !== this.options.username || f.get('password') !== this.options.password) {
      return this.json(res, 400, { error: 'invalid_grant', error_description: 'The username or password provided in the request are invalid.' });
    }
    const token = `fake.${randomBytes(12).toString('hex')}`;
    const lifetime = this.options.tokenLifetimeS;
    this.tokens.set(token, this.clock.nowMs() + lifetime * 1000);
    this.json(res, 200, { access_token: token, id_token: token, token_type: 'Bearer', expires_in: String(lifetime), id_token_expires_in: String(lifetime) });
  }

  private checkAuth(req: IncomingMessage): string | undefined {
    if (req.headers['ocp-apim-subscription-key'] !== this.options.subscriptionKey) return 'Access denied due to missing or invalid subscription key.';
    const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const expires = m ? this.tokens.get(m[1]) : undefined;
    if (expires === undefined) return 'Invalid token.';
    if (this.clock.nowMs() >= expires) return 'Token expired.';
    return undefined;
  }

  private report(product: ErcotProductId, q: URLSearchParams, res: ServerResponse): void {
    let rows = filterRows(product, this.data, q);
    if (this.options.publishedOnly) {
      const nowMs = this.clock.nowMs();
      rows = rows.filter((r) => publishedAtMs(product, r) <= nowMs);
    }
    if (this.options.queryFromDate) rows = rows.filter((r) => String(r.deliveryDate ?? r.SCEDTimestamp).slice(0, 10) >= this.options.queryFromDate!);
    this.page(product, rows, FAKE_FIELDS[product], q, res);
  }

  /** One page of a report: `_meta`, `fields`, `data` as row arrays in `fields` order. */
  private page(product: ErcotProductId | ErcotForecastProductId, rows: WireRow[], allFields: readonly string[], q: URLSearchParams, res: ServerResponse): void {
    const omitted = this.omitted.get(product);
    const fields = allFields.filter((f) => !omitted?.has(f));
    const { page, size, totalPages } = paging(q, rows.length, this.options.defaultPageSize);
    const slice = rows.slice((page - 1) * size, page * size);
    this.json(res, 200, {
      _meta: { totalRecords: rows.length, pageSize: size, totalPages, currentPage: page, query: { parameterCount: [...q.keys()].length, parameters: Object.fromEntries(q) } },
      report: { reportEMIL: product, reportName: product },
      fields: fields.map((name) => ({ name, label: name })),
      data: slice.map((r) => fields.map((f) => r[f] ?? null)),
    });
  }

  private archiveList(product: ErcotProductId, q: URLSearchParams, res: ServerResponse): void {
    const from = q.get('postDatetimeFrom') ?? '0000';
    const to = q.get('postDatetimeTo') ?? '9999';
    const docs = this.data.dates(product)
      .map((date) => ({ docId: docIdOf(product, date), friendlyName: `${product}_${date.replace(/-/g, '')}_csv`, postDatetime: postTimeOf(product, date) }))
      .filter((d) => d.postDatetime >= from && d.postDatetime < to);
    const { page, size, totalPages } = paging(q, docs.length, this.options.defaultPageSize);
    this.json(res, 200, {
      _meta: { totalRecords: docs.length, pageSize: size, totalPages, currentPage: page },
      product: { emilId: product },
      archives: docs.slice((page - 1) * size, page * size).map((d) => ({ ...d, links: [{ rel: 'download', href: `${FAKE_API_PREFIX}/archive/${product}?download=${d.docId}` }] })),
    });
  }

  private download(product: ErcotProductId, body: string, res: ServerResponse): void {
    let ids: number[];
    try {
      ids = (JSON.parse(body) as { docIds: number[] }).docIds;
      if (!Array.isArray(ids)) throw new Error('docIds');
    } catch {
      return this.json(res, 400, { code: 400, message: 'body must be {"docIds":[...]}' });
    }
    const files: Record<string, Uint8Array> = {};
    for (const id of ids) {
      const date = this.data.dates(product).find((d) => docIdOf(product, d) === id);
      if (!date) return this.json(res, 404, { code: 404, message: `unknown docId ${id}` });
      const name = `${product}_${date.replace(/-/g, '')}`;
      // ERCOT bundles one zip per document, each holding one CSV.
      files[`${name}_csv.zip`] = zipSync({ [`${name}.csv`]: strToU8(legacyCsv(product, this.data.rows(product, date, date))) });
    }
    const zip = zipSync(files);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.length) });
    res.end(Buffer.from(zip));
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

function paging(q: URLSearchParams, total: number, defaultSize: number) {
  const size = Math.max(1, Number(q.get('size') ?? defaultSize) || defaultSize);
  const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
  return { page, size, totalPages: Math.ceil(total / size) };
}

function filterRows(product: ErcotProductId, data: FakeErcotData, q: URLSearchParams): WireRow[] {
  const eq = (name: string, v: unknown) => !q.has(name) || String(v).toLowerCase() === q.get(name)!.toLowerCase();
  if (product === 'NP6-788-CD') {
    const from = q.get('SCEDTimestampFrom') ?? '0000';
    const to = q.get('SCEDTimestampTo') ?? '9999';
    return data.rows(product, from.slice(0, 10), to.slice(0, 10)).filter((r) =>
      String(r.SCEDTimestamp) >= from && String(r.SCEDTimestamp) <= to && eq('settlementPoint', r.settlementPoint) && eq('repeatHourFlag', r.repeatHourFlag));
  }
  const hourFrom = Number(q.get('deliveryHourFrom') ?? 1);
  const hourTo = Number(q.get('deliveryHourTo') ?? 24);
  return data.rows(product, q.get('deliveryDateFrom') ?? undefined, q.get('deliveryDateTo') ?? undefined).filter((r) =>
    eq('settlementPoint', r.settlementPoint) && eq('settlementPointType', r.settlementPointType) && eq('DSTFlag', r.DSTFlag) &&
    eq('hourEnding', r.hourEnding) && (product !== 'NP6-905-CD' || (Number(r.deliveryHour) >= hourFrom && Number(r.deliveryHour) <= hourTo)));
}

function docIdOf(product: ErcotProductId, date: string): number {
  return (ERCOT_PRODUCTS.findIndex((p) => p.id === product) + 1) * 100_000_000 + Number(date.replace(/-/g, ''));
}

/** When ERCOT would have posted a delivery date's document (local time, no offset, like the API shows it). */
function postTimeOf(product: ErcotProductId, date: string): string {
  const d = DateTime.fromISO(date, { zone: 'America/Chicago' });
  const posted = product === 'NP4-190-CD' ? d.minus({ days: 1 }).set({ hour: 13, minute: 30 }) : d.plus({ days: 1 }).set({ hour: 0, minute: 20 });
  return posted.toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
