/**
 * Trader authentication for the review web application: one configured secret (password or token), kept only as a
 * scrypt hash and compared in constant time; sessions in memory (random 256-bit ids in a Secure, HttpOnly,
 * SameSite=Strict cookie) each with its own CSRF token that every form posts back.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

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

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number, private readonly nowMs: () => number) {}

  create(user: string): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrfToken: randomBytes(32).toString('base64url'), expiresAtMs: this.nowMs() + this.ttlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAtMs <= this.nowMs()) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
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
