/**
 * Trader authentication for the review web application: one configured secret (password or token), kept only as a
 * scrypt hash and compared in constant time; sessions in the store (random 256-bit ids in a Secure, HttpOnly,
 * SameSite=Strict cookie, only their hash stored) each with its own CSRF token that every form posts back.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../store/database.js';
import { deleteSession, findSession, insertSession } from '../store/review-sessions-repo.js';

const SCRYPT_N = 16384;
const KEY_BYTES = 32;

/** `scrypt$N$saltHex$hashHex`: what ERCOT_ARB_WEB_PASSWORD_HASH holds (make one with `serve --hash-password`). */
export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(secret, salt, KEY_BYTES, { N: SCRYPT_N });
  return `scrypt$${SCRYPT_N}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export function isSecretHash(text: string): boolean {
  return /^scrypt\$\d+\$[0-9a-f]+\$[0-9a-f]{64}$/.test(text);
}

export function verifySecret(secret: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') return false;
  const n = Number(parts[1]);
  const expected = Buffer.from(parts[3], 'hex');
  const actual = scryptSync(secret, Buffer.from(parts[2], 'hex'), expected.length, { N: n });
  return timingSafeEqual(actual, expected);
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Session {
  id: string;
  user: string;
  csrfToken: string;
  expiresAtMs: number;
}

/**
 * Sessions in the store (table review_sessions, migration 0010): a restart keeps traders logged in and every process
 * on the same store shares them. The cookie holds the id; the store only its SHA-256 hash.
 */
export class SessionStore {
  constructor(private readonly db: Executor, private readonly ttlMs: number, private readonly nowMs: () => number) {}

  async create(user: string): Promise<Session> {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrfToken: randomBytes(32).toString('base64url'), expiresAtMs: this.nowMs() + this.ttlMs };
    await insertSession(this.db, s.id, s, this.nowMs());
    return s;
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 100) return null;
    const s = await findSession(this.db, id, this.nowMs());
    return s ? { id, ...s } : null;
  }

  async delete(id: string): Promise<void> {
    await deleteSession(this.db, id);
  }
}

export const SESSION_COOKIE = 'ercot_arb_session';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}
