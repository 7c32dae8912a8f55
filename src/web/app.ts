/**
 * The review web application as a plain `node:http` request handler: `createReviewApp(deps)` returns
 * `(req, res) => void`, so `serve` and the daemon's HTTP server mount the same pages (docs/web.md).
 * Every page has a JSON twin under /api/... validated with its zod schema before it is sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { InputError } from '../domain/errors.js';
import { ercotDateOf } from '../domain/time/ercot-calendar.js';
import type { Logger } from '../app/logger.js';
import type { Executor } from '../store/database.js';
import { getSite, type Site } from '../store/sites-repo.js';
import { approveFleet, approvePlan, holdSite, overrideWindow, resumeSite } from './actions.js';
import { parseCookies, SESSION_COOKIE, sessionCookie, SessionStore, sameToken, verifySecret, type Session } from './auth.js';
import { loadDayPlan, PlanVersionNotFound } from './loaders/day-plan.js';
import { loadFleet } from './loaders/fleet.js';
import { loadReconciliation } from './loaders/reconciliation.js';
import { loadReplayList, loadReplayRun } from './loaders/replays.js';
import { html, layout, type Html } from './html.js';
import { fleetPage } from './pages/fleet.js';
import { errorPage, flash, loginPage, reconciliationPage, replayListPage, replayRunPage } from './pages/other.js';
import { sitePage } from './pages/site.js';
import { dateParam, dayPlanQuerySchema, dayPlanSchema, fleetQuerySchema, fleetSchema, reconciliationSchema, replayListSchema, replayRunSchema } from './schemas.js';

export interface ReviewAppDeps {
  db: Executor;
  /** The trader secret's scrypt hash (auth.ts `hashSecret`). Without it nobody can log in (actions impossible). */
  secretHash: string | null;
  /** Read-only pages open without a session. */
  publicRead?: boolean;
  /** Set the Secure flag on the session cookie (default true). */
  secureCookies?: boolean;
  nowMs?: () => number;
  sessionTtlMs?: number;
  logger?: Logger;
}

export type ReviewHandler = (req: IncomingMessage, res: ServerResponse) => void;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session | null;
  api: boolean;
  form: URLSearchParams;
}

const MAX_BODY = 64 * 1024;
const overrideFormSchema = z.object({
  windowStartMs: z.coerce.number().int(),
  windowEndMs: z.coerce.number().int(),
  mode: z.enum(['idle', 'charge', 'discharge', 'clear']),
  powerKw: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().positive('must be above 0 kW').max(1000).optional()),
});
const siteIdParam = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'a site id has letters, digits and _ . : - only');

export function createReviewApp(deps: ReviewAppDeps): ReviewHandler {
  const nowMs = deps.nowMs ?? Date.now;
  const ttl = deps.sessionTtlMs ?? 12 * 3_600_000;
  const sessions = new SessionStore(deps.db, ttl, nowMs);
  const secure = deps.secureCookies ?? true;
  const db = deps.db;

  const send = (c: Ctx, status: number, title: string, body: Html, jsonHref?: string): void => {
    const page = layout({ title, user: c.session?.user ?? null, csrfToken: c.session?.csrfToken ?? null, jsonHref }, body);
    c.res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'" });
    c.res.end(page);
  };
  const sendJson = <T>(c: Ctx, schema: z.ZodType<T>, data: T): void => {
    const body = JSON.stringify(schema.parse(data));
    c.res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    c.res.end(body);
  };
  const redirect = (c: Ctx, to: string, headers: Record<string, string> = {}): void => {
    c.res.writeHead(303, { location: to, ...headers });
    c.res.end();
  };
  const requireRead = (c: Ctx): void => {
    if (!c.session && !deps.publicRead) throw new HttpError(401, 'log in to see this page');
  };
  const requireAction = (c: Ctx): Session => {
    if (!c.session) throw new HttpError(401, 'actions need a logged-in session');
    const token = c.form.get('_csrf') ?? '';
    if (!token || !sameToken(token, c.session.csrfToken)) throw new HttpError(403, 'the form is missing its CSRF token or it does not match your session; reload the page and try again');
    return c.session;
  };
  const site = async (id: string): Promise<Site> => {
    const parsed = siteIdParam.safeParse(id);
    if (!parsed.success) throw new HttpError(400, `bad site id "${id}": ${parsed.error.issues[0].message}`);
    const s = await getSite(db, parsed.data);
    if (!s) throw new HttpError(404, `no site "${id}"`);
    return s;
  };
  const query = <T>(c: Ctx, schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(Object.fromEntries(c.url.searchParams));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new HttpError(400, `bad query parameter ${i.path.join('.') || '(query)'}: ${i.message}`);
    }
    return parsed.data;
  };
  const formOf = <T>(c: Ctx, schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(Object.fromEntries(c.form));
    if (!parsed.success) throw new HttpError(400, `bad form field ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    return parsed.data;
  };
  const flashed = (c: Ctx): Html => flash(c.url.searchParams.get('done'));

  type Route = [method: string, pattern: RegExp, handler: (c: Ctx, m: RegExpExecArray) => Promise<void>];
  const routes: Route[] = [
    ['GET', /^\/$/, async (c) => redirect(c, '/fleet')],
    ['GET', /^\/login$/, async (c) => send(c, 200, 'Log in', loginPage(null, c.url.searchParams.get('next') ?? '/fleet'))],
    ['POST', /^\/login$/, async (c) => {
      const user = (c.form.get('user') ?? '').trim().slice(0, 60);
      const ok = deps.secretHash !== null && user.length > 0 && verifySecret(c.form.get('password') ?? '', deps.secretHash);
      if (!ok) {
        deps.logger?.warn({ user }, 'review app: refused a login');
        return send(c, 401, 'Log in', loginPage(deps.secretHash ? 'Wrong password or token, or no name given.' : 'No trader password is configured (ERCOT_ARB_WEB_PASSWORD_HASH).', '/fleet'));
      }
      const s = await sessions.create(user);
      const next = c.form.get('next') ?? '/fleet';
      redirect(c, next.startsWith('/') && !next.startsWith('//') ? next : '/fleet', { 'set-cookie': sessionCookie(s.id, Math.floor(ttl / 1000), secure) });
    }],
    ['POST', /^\/logout$/, async (c) => {
      const s = requireAction(c);
      await sessions.delete(s.id);
      redirect(c, '/login', { 'set-cookie': sessionCookie('', 0, secure) });
    }],
    ['GET', /^\/(api\/)?fleet$/, async (c) => {
      requireRead(c);
      const v = await loadFleet(db, nowMs(), query(c, fleetQuerySchema));
      if (c.api) return sendJson(c, fleetSchema, v);
      send(c, 200, 'Fleet', html`${flashed(c)}${fleetPage(v, c.session?.csrfToken ?? null)}`, `/api/fleet${c.url.search}`);
    }],
    ['POST', /^\/fleet\/approve$/, async (c) => {
      const s = requireAction(c);
      redirect(c, `/fleet?done=${encodeURIComponent(await approveFleet(db, s.user))}`);
    }],
    ['GET', /^\/(api\/)?sites\/([^/]+)$/, async (c, m) => {
      requireRead(c);
      const st = await site(decodeURIComponent(m[2]));
      const q = query(c, dayPlanQuerySchema);
      const v = await loadDayPlan(db, st, q.date ?? ercotDateOf(nowMs()), nowMs(), q.version);
      if (c.api) return sendJson(c, dayPlanSchema, v);
      send(c, 200, `${st.siteId} ${v.date}`, html`${flashed(c)}${sitePage(v, c.session?.csrfToken ?? null)}`, `/api/sites/${encodeURIComponent(st.siteId)}${c.url.search}`);
    }],
    ['GET', /^\/(api\/)?sites\/([^/]+)\/reconciliation$/, async (c, m) => {
      requireRead(c);
      const st = await site(decodeURIComponent(m[2]));
      const q = query(c, z.object({ date: dateParam.optional() }));
      const v = await loadReconciliation(db, st, q.date ?? ercotDateOf(nowMs()), nowMs());
      if (c.api) return sendJson(c, reconciliationSchema, v);
      send(c, 200, `Reconciliation ${st.siteId}`, reconciliationPage(v), `/api/sites/${encodeURIComponent(st.siteId)}/reconciliation${c.url.search}`);
    }],
    ['POST', /^\/sites\/([^/]+)\/(approve|hold|resume|override)$/, async (c, m) => {
      const s = requireAction(c);
      const st = await site(decodeURIComponent(m[1]));
      let done: string;
      if (m[2] === 'approve') done = await approvePlan(db, st, formOf(c, z.object({ version: z.coerce.number().int().positive() })).version, s.user);
      else if (m[2] === 'hold') done = await holdSite(db, st, s.user, formOf(c, z.object({ note: z.string().trim().max(200).default('') })).note);
      else if (m[2] === 'resume') done = await resumeSite(db, st, s.user);
      else done = await overrideWindow(db, st, formOf(c, overrideFormSchema), s.user, nowMs());
      redirect(c, `/sites/${encodeURIComponent(st.siteId)}?done=${encodeURIComponent(done)}`);
    }],
    ['GET', /^\/(api\/)?replays$/, async (c) => {
      requireRead(c);
      const v = await loadReplayList(db);
      if (c.api) return sendJson(c, replayListSchema, v);
      send(c, 200, 'Replays', replayListPage(v), '/api/replays');
    }],
    ['GET', /^\/(api\/)?replays\/([^/]+)$/, async (c, m) => {
      requireRead(c);
      const id = z.uuid().safeParse(m[2]);
      if (!id.success) throw new HttpError(400, `bad replay run id "${m[2]}": expected a UUID`);
      const v = await loadReplayRun(db, id.data);
      if (!v) throw new HttpError(404, `no replay run ${id.data}`);
      if (c.api) return sendJson(c, replayRunSchema, v);
      send(c, 200, `Replay ${v.scenario}`, replayRunPage(v), `/api/replays/${v.runId}`);
    }],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const c: Ctx = { req, res, url, session: null, api: url.pathname.startsWith('/api/'), form: new URLSearchParams() };
    try {
      c.session = await sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const route = routes.find(([m, p]) => m === method && p.test(url.pathname));
      if (!route) throw new HttpError(routes.some(([, p]) => p.test(url.pathname)) ? 405 : 404, `no page ${req.method} ${url.pathname}`);
      if (method === 'POST') c.form = await readForm(req);
      await route[2](c, route[1].exec(url.pathname)!);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : e instanceof PlanVersionNotFound ? 404 : e instanceof InputError ? 400 : 500;
      const message = status === 500 ? 'internal error (logged on the server)' : (e as Error).message;
      if (status === 500) deps.logger?.error({ err: (e as Error).message, path: url.pathname }, 'review app: request failed');
      if (res.headersSent) return void res.end();
      if (c.api) {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        return void res.end(JSON.stringify({ error: message, status }));
      }
      if (status === 401 && req.method === 'GET') return redirect(c, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
      send(c, status, `Error ${status}`, errorPage(status, message));
    }
  };
  return (req, res) => void handle(req, res);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  if (!size) return new URLSearchParams();
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new HttpError(415, 'forms are posted as application/x-www-form-urlencoded');
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
