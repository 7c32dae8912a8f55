/**
 * The review pages on another HTTP server (the daemon's): the same handler `serve` uses, mounted on the paths the
 * app owns. The daemon keeps its own routes (/livez, /readyz, /metrics, /webhooks/…) outside those.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from '../domain/errors.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Logger } from '../app/logger.js';
import { createReviewApp } from './app.js';
import { hashSecret, isSecretHash } from './auth.js';

export const REVIEW_PATHS = ['/', '/login', '/logout', '/fleet', '/fleet/*', '/sites/*', '/replays', '/replays/*', '/api/*'] as const;

export interface ReviewSettings {
  ERCOT_ARB_WEB_PASSWORD_HASH?: string;
  ERCOT_ARB_WEB_PASSWORD?: string;
  ERCOT_ARB_WEB_PUBLIC_READ: boolean;
  ERCOT_ARB_WEB_SECURE_COOKIES: boolean;
}

export interface Router {
  route(method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): unknown;
}

/** The trader secret's hash from the configuration (a configured hash wins over a plain password), or null. */
export function reviewSecretHash(cfg: ReviewSettings): string | null {
  if (cfg.ERCOT_ARB_WEB_PASSWORD_HASH && !isSecretHash(cfg.ERCOT_ARB_WEB_PASSWORD_HASH)) {
    throw new InputError('ERCOT_ARB_WEB_PASSWORD_HASH is not a scrypt hash from `serve --hash-password`');
  }
  return cfg.ERCOT_ARB_WEB_PASSWORD_HASH ?? (cfg.ERCOT_ARB_WEB_PASSWORD ? hashSecret(cfg.ERCOT_ARB_WEB_PASSWORD) : null);
}

/** Mounts the review pages on `router`; returns whether actions are possible (a trader secret is configured). */
export function mountReviewPages(router: Router, deps: { db: Kysely<Database>; cfg: ReviewSettings; logger?: Logger; publicRead?: boolean; nowMs?: () => number }): { actionsEnabled: boolean } {
  const secretHash = reviewSecretHash(deps.cfg);
  const review = createReviewApp({ db: deps.db, secretHash, publicRead: deps.publicRead ?? deps.cfg.ERCOT_ARB_WEB_PUBLIC_READ, secureCookies: deps.cfg.ERCOT_ARB_WEB_SECURE_COOKIES, logger: deps.logger, nowMs: deps.nowMs });
  for (const method of ['GET', 'POST']) for (const path of REVIEW_PATHS) router.route(method, path, (req, res) => review(req, res));
  return { actionsEnabled: secretHash !== null };
}
