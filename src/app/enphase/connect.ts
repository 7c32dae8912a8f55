/**
 * `enphase connect`: the authorization-code flow. The person opens the authorize URL, Enphase redirects to our
 * redirect URI with `?code=`; the code arrives pasted on stdin (the code or the whole redirected URL), via
 * `--code`, or through a small loopback listener on the redirect URI. The exchange uses Basic client auth and the
 * tokens are stored encrypted; a re-connect re-activates sites that were waiting for re-authorisation.
 */
import { createServer } from 'node:http';
import { exchangeCode, type OAuthClientConfig } from '../../adapters/enphase/oauth.js';
import { InputError } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import { getSiteByEnphaseSystemId, setSiteStatus } from '../../store/sites-repo.js';
import { withAccountLock } from '../../store/credentials-repo.js';
import { getAccount, lockKeyFor, storeTokens } from './tokens.js';

/** The code from what a person pasted: the bare code or the redirected URL holding `code=`. */
export function codeFromInput(input: string): string {
  const text = input.trim();
  if (!text) throw new InputError('no authorization code given', { field: 'code' });
  if (/^https?:\/\//.test(text)) {
    const url = new URL(text);
    const error = url.searchParams.get('error');
    if (error) throw new InputError(`Enphase returned an error instead of a code: ${error}`, { field: 'code' });
    const code = url.searchParams.get('code');
    if (!code) throw new InputError('the pasted URL has no code parameter', { field: 'code' });
    return code;
  }
  if (!/^[\w.~+/=-]+$/.test(text)) throw new InputError('the authorization code has unexpected characters', { field: 'code' });
  return text;
}

export async function connectAccount(opts: { db: Executor; box: SecretBox; oauth: OAuthClientConfig; clock: Clock; accountKey: string; code: string }): Promise<{ expiresAtMs: number; reactivatedSites: string[] }> {
  const tokens = await exchangeCode(opts.oauth, opts.code, opts.clock.nowMs());
  const before = await withAccountLock(opts.db, lockKeyFor(opts.accountKey), async (trx) => {
    const previous = await getAccount(trx, opts.accountKey);
    await storeTokens(trx, opts.box, opts.accountKey, tokens, {
      status: 'active', systemIds: previous?.systemIds ?? [], connectedAtMs: opts.clock.nowMs(), lastRefreshAtMs: opts.clock.nowMs(),
    });
    return previous;
  });
  const reactivatedSites: string[] = [];
  for (const systemId of before?.systemIds ?? []) {
    const site = await getSiteByEnphaseSystemId(opts.db, systemId);
    if (site?.status === 'needs_reauth') {
      await setSiteStatus(opts.db, site.siteId, 'active');
      reactivatedSites.push(site.siteId);
    }
  }
  return { expiresAtMs: tokens.expiresAtMs, reactivatedSites };
}

/** Listens on the redirect URI's loopback host/port for one `?code=` redirect (or times out). */
export function awaitRedirectCode(redirectUri: string, timeoutMs: number): Promise<string> {
  const url = new URL(redirectUri);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    return Promise.reject(new InputError('--listen needs a loopback ENPHASE_REDIRECT_URI (http://127.0.0.1:PORT/...)', { field: 'ENPHASE_REDIRECT_URI' }));
  }
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const got = new URL(req.url ?? '/', redirectUri);
      if (got.pathname !== url.pathname) {
        res.writeHead(404).end();
        return;
      }
      try {
        const code = codeFromInput(got.toString());
        res.writeHead(200, { 'content-type': 'text/plain' }).end('Enphase account connected; you can close this window.\n');
        finish(() => resolve(code));
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('No authorization code in this request.\n');
        finish(() => reject(error));
      }
    });
    const timer = setTimeout(() => finish(() => reject(new InputError(`no redirect arrived within ${Math.round(timeoutMs / 1000)} s`, { field: 'code' }))), timeoutMs);
    function finish(then: () => void): void {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      then();
    }
    server.listen(Number(url.port || 80), url.hostname.replace(/^\[|\]$/g, ''));
  });
}
