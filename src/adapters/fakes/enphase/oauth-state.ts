/**
 * The fake's OAuth authorisation server: one-time codes, access tokens with expiry, and rotating refresh tokens.
 * After a refresh the old refresh token is invalid, unless `refreshGraceMs` > 0: then it stays usable for that
 * long (as many real OAuth servers allow), which is what lets a process that crashed between "refresh" and
 * "store" recover. `revokeAll()` models the user revoking the application.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../domain/time/clock.js';

export interface FakeOAuthOptions {
  clientId: string;
  clientSecret: string;
  accessTtlSec: number;
  refreshTtlSec: number;
  refreshGraceMs: number;
}

interface RefreshEntry {
  validUntilMs: number;
}

export type TokenGrant =
  | { ok: true; accessToken: string; refreshToken: string; expiresIn: number }
  | { ok: false; status: number; error: string };

export class FakeOAuth {
  private readonly codes = new Set<string>();
  private readonly access = new Map<string, number>();
  private refresh = new Map<string, RefreshEntry>();
  /** How many refresh grants were issued (tests count rotations). */
  refreshCount = 0;

  constructor(readonly opts: FakeOAuthOptions, private readonly clock: Clock) {}

  issueCode(): string {
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.codes.add(code);
    return code;
  }

  checkClient(authorization: string | undefined): boolean {
    if (!authorization?.startsWith('Basic ')) return false;
    const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
    return id === this.opts.clientId && secret === this.opts.clientSecret;
  }

  exchangeCode(code: string | undefined): TokenGrant {
    if (!code || !this.codes.delete(code)) return { ok: false, status: 400, error: 'invalid_grant' };
    return this.grant();
  }

  refreshGrant(token: string | undefined): TokenGrant {
    const now = this.clock.nowMs();
    const entry = token ? this.refresh.get(token) : undefined;
    if (!token || !entry || entry.validUntilMs <= now) return { ok: false, status: 400, error: 'invalid_grant' };
    this.refreshCount += 1;
    // Rotation: every other refresh token dies; the one just used lives on for the grace period (0 = not at all).
    this.refresh = new Map();
    if (this.opts.refreshGraceMs > 0) this.refresh.set(token, { validUntilMs: Math.min(entry.validUntilMs, now + this.opts.refreshGraceMs) });
    return this.grant();
  }

  validAccess(token: string | undefined): boolean {
    const until = token ? this.access.get(token) : undefined;
    return until !== undefined && until > this.clock.nowMs();
  }

  revokeAll(): void {
    this.access.clear();
    this.refresh.clear();
  }

  /** Expire every access token now (the next call needs a refresh). */
  expireAccessTokens(): void {
    this.access.clear();
  }

  private grant(): TokenGrant {
    const now = this.clock.nowMs();
    const accessToken = `at-${randomBytes(12).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
    this.access.set(accessToken, now + this.opts.accessTtlSec * 1000);
    this.refresh.set(refreshToken, { validUntilMs: now + this.opts.refreshTtlSec * 1000 });
    return { ok: true, accessToken, refreshToken, expiresIn: this.opts.accessTtlSec };
  }
}
