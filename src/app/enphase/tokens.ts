/**
 * Enphase OAuth tokens per account, stored encrypted (credentials repository, kind `enphase_oauth`, owner
 * `{accountKey}`), refreshed before expiry under the database account lock.
 *
 * Rotation safety (see docs/enphase.md):
 *  1. The refresh runs inside `withAccountLock`: one process per account at a time. A waiting process re-reads the
 *     stored tokens once it holds the lock and uses the winner's result instead of refreshing again.
 *  2. The new token set is written in that same transaction and committed BEFORE the new access token is handed
 *     to anyone; nothing else happens between the token response and the write.
 *  3. If the process dies between the token response and the commit, the old refresh token is still the stored
 *     one. Servers with a reuse grace period (configurable on the fake) accept it once more and the account heals
 *     on the next refresh. A strict server refuses it: the account is marked needs-reauth (visible in
 *     `sites status`), polling stops, and nothing retries in a loop.
 */
import type { Logger } from '../logger.js';
import type { AccessTokenSource } from '../../adapters/enphase/client.js';
import { ReauthRequired } from '../../adapters/enphase/errors.js';
import { refreshTokens, type OAuthClientConfig, type TokenSet } from '../../adapters/enphase/oauth.js';
import type { Clock } from '../../domain/time/clock.js';
import { listCredentials, readSecretJson, saveSecretJson, withAccountLock, type CredentialInfo } from '../../store/credentials-repo.js';
import type { Executor } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { getSiteByEnphaseSystemId, setSiteStatus } from '../../store/sites-repo.js';

export const ENPHASE_OAUTH_KIND = 'enphase_oauth';

export type AccountStatus = 'active' | 'needs_reauth';

/** Non-secret facts kept in the credential's metadata. */
export interface AccountMetadata {
  status: AccountStatus;
  systemIds: string[];
  connectedAtMs: number;
  lastRefreshAtMs?: number;
  reauthReason?: string;
  reauthAtMs?: number;
}

export interface AccountInfo extends AccountMetadata {
  accountKey: string;
  expiresAtMs: number | null;
}

export function lockKeyFor(accountKey: string): string {
  return `enphase-account:${accountKey}`;
}

function readMetadata(info: CredentialInfo | undefined): AccountMetadata {
  const m = (info?.metadata ?? {}) as Partial<AccountMetadata>;
  return { status: m.status ?? 'active', systemIds: m.systemIds ?? [], connectedAtMs: m.connectedAtMs ?? 0, lastRefreshAtMs: m.lastRefreshAtMs, reauthReason: m.reauthReason, reauthAtMs: m.reauthAtMs };
}

export async function listAccounts(db: Executor): Promise<AccountInfo[]> {
  const creds = await listCredentials(db, { kind: ENPHASE_OAUTH_KIND });
  return creds.filter((c) => c.accountKey).map((c) => ({ accountKey: c.accountKey!, expiresAtMs: c.expiresAtMs, ...readMetadata(c) }));
}

export async function getAccount(db: Executor, accountKey: string): Promise<AccountInfo | null> {
  return (await listAccounts(db)).find((a) => a.accountKey === accountKey) ?? null;
}

/** Stores a token set (and metadata) for an account; the secret is encrypted by the store. */
export async function storeTokens(db: Executor, box: SecretBox, accountKey: string, tokens: TokenSet, metadata: AccountMetadata): Promise<void> {
  await saveSecretJson(db, box, {
    owner: { accountKey }, kind: ENPHASE_OAUTH_KIND, secret: tokens, expiresAtMs: tokens.expiresAtMs, label: `Enphase account ${accountKey}`,
    metadata: metadata as unknown as Record<string, unknown>,
  });
}

/**
 * Changes the metadata only. The token set is re-written with it (one row), so this runs under the account lock:
 * a refresh committing in between could otherwise be overwritten with the old refresh token.
 */
export async function updateAccountMetadata(db: Executor, box: SecretBox, accountKey: string, patch: Partial<AccountMetadata>): Promise<void> {
  await withAccountLock(db, lockKeyFor(accountKey), async (trx) => {
    const tokens = await readSecretJson<TokenSet>(trx, box, { accountKey }, ENPHASE_OAUTH_KIND);
    if (!tokens) throw new ReauthRequired(`Enphase account ${accountKey} is not connected (run \`ercot-arb enphase connect\`)`);
    const info = (await listCredentials(trx, { accountKey, kind: ENPHASE_OAUTH_KIND }))[0];
    await storeTokens(trx, box, accountKey, tokens, { ...readMetadata(info), ...patch });
  });
}

/** Marks the account and its sites as needing re-authorisation. */
export async function markNeedsReauth(db: Executor, box: SecretBox, accountKey: string, reason: string, nowMs: number): Promise<void> {
  await updateAccountMetadata(db, box, accountKey, { status: 'needs_reauth', reauthReason: reason, reauthAtMs: nowMs });
  const account = await getAccount(db, accountKey);
  for (const systemId of account?.systemIds ?? []) {
    const site = await getSiteByEnphaseSystemId(db, systemId);
    if (site && site.status === 'active') await setSiteStatus(db, site.siteId, 'needs_reauth');
  }
}

export interface AccountTokensOptions {
  db: Executor;
  box: SecretBox;
  oauth: OAuthClientConfig;
  clock: Clock;
  accountKey: string;
  /** Refresh this long before expiry (default 10 minutes). */
  refreshMarginMs?: number;
  logger?: Logger;
  /** Test hook: runs after the token response, before the new tokens are stored (a throw = a crash there). */
  afterRefreshBeforeStore?: (tokens: TokenSet) => Promise<void>;
}

/** The access-token source the client uses for one account. */
export class AccountTokens implements AccessTokenSource {
  private cached?: TokenSet;
  constructor(private readonly o: AccountTokensOptions) {}

  private get margin(): number {
    return this.o.refreshMarginMs ?? 10 * 60_000;
  }

  async accessToken(options: { forceRefresh?: boolean } = {}): Promise<string> {
    const now = this.o.clock.nowMs();
    if (!options.forceRefresh && this.cached && this.cached.expiresAtMs - this.margin > now) return this.cached.accessToken;
    const account = await getAccount(this.o.db, this.o.accountKey);
    if (!account) throw new ReauthRequired(`Enphase account ${this.o.accountKey} is not connected (run \`ercot-arb enphase connect\`)`);
    if (account.status === 'needs_reauth') throw new ReauthRequired(`Enphase account ${this.o.accountKey} needs re-authorisation (${account.reauthReason ?? 'refresh token refused'})`);
    const stored = await readSecretJson<TokenSet>(this.o.db, this.o.box, { accountKey: this.o.accountKey }, ENPHASE_OAUTH_KIND);
    if (!stored) throw new ReauthRequired();
    if (!options.forceRefresh && stored.expiresAtMs - this.margin > now) {
      this.cached = stored;
      return stored.accessToken;
    }
    const fresh = await this.refresh(options.forceRefresh ? stored.accessToken : undefined);
    this.cached = fresh;
    return fresh.accessToken;
  }

  /** Refreshes under the account lock; `rejectedAccess` is an access token the API just refused. */
  private async refresh(rejectedAccess?: string): Promise<TokenSet> {
    const { db, box, accountKey, clock } = this.o;
    let refused: ReauthRequired | undefined;
    const result = await withAccountLock(db, lockKeyFor(accountKey), async (trx) => {
      const current = await readSecretJson<TokenSet>(trx, box, { accountKey }, ENPHASE_OAUTH_KIND);
      if (!current) throw new ReauthRequired();
      const now = clock.nowMs();
      const someoneRefreshed = current.expiresAtMs - this.margin > now && current.accessToken !== rejectedAccess;
      if (someoneRefreshed) {
        this.o.logger?.debug({ accountKey }, 'Enphase token already refreshed by another process');
        return current;
      }
      let next: TokenSet;
      try {
        next = await refreshTokens(this.o.oauth, current.refreshToken, now);
      } catch (error) {
        if (error instanceof ReauthRequired) {
          refused = error;
          return undefined;
        }
        throw error;
      }
      await this.o.afterRefreshBeforeStore?.(next);
      const info = (await listCredentials(trx, { accountKey, kind: ENPHASE_OAUTH_KIND }))[0];
      await storeTokens(trx, box, accountKey, next, { ...readMetadata(info), status: 'active', lastRefreshAtMs: now });
      this.o.logger?.info({ accountKey, expiresAt: new Date(next.expiresAtMs).toISOString() }, 'Enphase token refreshed and stored');
      return next;
    });
    if (refused || !result) {
      const reason = 'refresh token refused by Enphase (revoked, expired or already used)';
      await markNeedsReauth(db, box, accountKey, reason, clock.nowMs());
      this.o.logger?.error({ accountKey }, `Enphase account needs re-authorisation: ${reason}`);
      throw refused ?? new ReauthRequired();
    }
    return result;
  }
}
