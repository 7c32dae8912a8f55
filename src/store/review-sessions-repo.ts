/**
 * The review web application's sessions (migration 0010). The cookie holds a random 256-bit session id; the store
 * holds only its SHA-256 hash, so a copy of the table does not let anyone act as a trader. Each session has its own
 * CSRF token and an expiry; expired rows are never returned and are purged when a session is created.
 */
import { createHash } from 'node:crypto';
import type { Executor } from './database.js';
import { toDate } from './mappers.js';

export interface StoredSession {
  user: string;
  csrfToken: string;
  expiresAtMs: number;
}

export function sessionHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export async function insertSession(db: Executor, id: string, s: StoredSession, nowMs: number): Promise<void> {
  await db.deleteFrom('review_sessions').where('expires_at', '<=', toDate(nowMs)).execute();
  await db.insertInto('review_sessions').values({ session_hash: sessionHash(id), user_name: s.user, csrf_token: s.csrfToken, created_at: toDate(nowMs), expires_at: toDate(s.expiresAtMs) }).execute();
}

/** The live session with this id, or null (unknown or expired). */
export async function findSession(db: Executor, id: string, nowMs: number): Promise<StoredSession | null> {
  const r = await db.selectFrom('review_sessions').select(['user_name', 'csrf_token', 'expires_at']).where('session_hash', '=', sessionHash(id)).where('expires_at', '>', toDate(nowMs)).executeTakeFirst();
  return r ? { user: r.user_name, csrfToken: r.csrf_token, expiresAtMs: r.expires_at.getTime() } : null;
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('review_sessions').where('session_hash', '=', sessionHash(id)).execute();
}
