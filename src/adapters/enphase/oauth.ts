/**
 * Enphase OAuth2 authorization-code flow: the authorize URL, the code exchange and the refresh, both with HTTP
 * Basic client authentication. Each refresh returns a NEW refresh token; storing it is the caller's job (see
 * src/app/enphase/tokens.ts). Tokens never appear in errors or logs.
 */
import { request, type Dispatcher } from 'undici';
import { OAUTH_AUTHORIZE_PATH, OAUTH_TOKEN_PATH } from './endpoints.js';
import { EnphaseUnavailable, ReauthRequired, EnphaseRequestRejected, EnphaseBadResponse } from './errors.js';
import { tokenResponseSchema } from './wire.js';

export interface OAuthClientConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  dispatcher?: Dispatcher;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (UTC epoch ms). */
  expiresAtMs: number;
}

export function authorizeUrl(cfg: Pick<OAuthClientConfig, 'baseUrl' | 'clientId' | 'redirectUri'>, state?: string): string {
  const u = new URL(OAUTH_AUTHORIZE_PATH, cfg.baseUrl);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', cfg.clientId);
  u.searchParams.set('redirect_uri', cfg.redirectUri);
  if (state) u.searchParams.set('state', state);
  return u.toString();
}

export async function exchangeCode(cfg: OAuthClientConfig, code: string, nowMs: number): Promise<TokenSet> {
  return tokenRequest(cfg, { grant_type: 'authorization_code', code, redirect_uri: cfg.redirectUri }, nowMs, false);
}

/** Throws ReauthRequired when the server refuses the refresh token (invalid_grant / 400 / 401). */
export async function refreshTokens(cfg: OAuthClientConfig, refreshToken: string, nowMs: number): Promise<TokenSet> {
  return tokenRequest(cfg, { grant_type: 'refresh_token', refresh_token: refreshToken }, nowMs, true);
}

async function tokenRequest(cfg: OAuthClientConfig, form: Record<string, string>, nowMs: number, isRefresh: boolean): Promise<TokenSet> {
  const url = new URL(OAUTH_TOKEN_PATH, cfg.baseUrl);
  // Enphase documents the grant parameters on the query string; we send them as a form body too (standard OAuth).
  for (const [k, v] of Object.entries(form)) url.searchParams.set(k, v);
  const basic = Buffer.from(`${cfg.clientId}:${cfg.clientSecret}`).toString('base64');
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      dispatcher: cfg.dispatcher,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  } catch (error) {
    throw new EnphaseUnavailable(OAUTH_TOKEN_PATH, (error as Error).message, { cause: error });
  }
  const text = await res.body.text();
  if (res.statusCode >= 500) throw new EnphaseUnavailable(OAUTH_TOKEN_PATH, `HTTP ${res.statusCode}`);
  if (res.statusCode === 429) throw new EnphaseUnavailable(OAUTH_TOKEN_PATH, 'HTTP 429');
  if (res.statusCode >= 400) {
    const reason = oauthErrorCode(text);
    if (isRefresh && (res.statusCode === 400 || res.statusCode === 401)) throw new ReauthRequired(`Enphase refused the refresh token (${reason}); the account needs re-authorisation`);
    throw new EnphaseRequestRejected(res.statusCode, OAUTH_TOKEN_PATH, reason);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnphaseBadResponse(OAUTH_TOKEN_PATH, 'not JSON');
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) throw new EnphaseBadResponse(OAUTH_TOKEN_PATH, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token,
    expiresAtMs: nowMs + parsed.data.expires_in * 1000,
  };
}

/** Only the OAuth error code (e.g. invalid_grant), never the body, which might echo a token. */
function oauthErrorCode(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = j.error ?? j.message;
    return typeof e === 'string' && /^[\w .-]{1,60}$/.test(e) ? e : 'error';
  } catch {
    return 'error';
  }
}
