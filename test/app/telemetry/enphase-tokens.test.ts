import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/app/logger.js';
import { ReauthRequired } from '../../../src/adapters/enphase/errors.js';
import { refreshTokens, type TokenSet } from '../../../src/adapters/enphase/oauth.js';
import { oauthConfig } from '../../../src/app/enphase/account.js';
import { AccountTokens, ENPHASE_OAUTH_KIND, getAccount } from '../../../src/app/enphase/tokens.js';
import { pollAccount } from '../../../src/app/telemetry/poller.js';
import { listSites } from '../../../src/store/sites-repo.js';
import { readSecretJson, listCredentials } from '../../../src/store/credentials-repo.js';
import { backends } from '../../store/harness.js';
import { ACCOUNT, makeWorld, type World } from './world.js';

const DAY = 86_400_000;

describe.each(backends())('Enphase token rotation on $name', (backend) => {
  let w: World;
  afterEach(async () => w?.close());

  const stored = () => readSecretJson<TokenSet>(w.db.db, w.box, { accountKey: ACCOUNT }, ENPHASE_OAUTH_KIND);
  const tokenCalls = () => w.fake.requests.filter((r) => r.path === '/oauth/token').length;

  it('stores tokens encrypted, refreshes before expiry and stores the rotated refresh token', async () => {
    w = await makeWorld(backend, { sync: false });
    const before = (await stored())!;
    const row = await w.db.db.selectFrom('credentials').select('ciphertext').executeTakeFirstOrThrow();
    expect(row.ciphertext).not.toContain(before.refreshToken);
    expect(row.ciphertext).not.toContain(before.accessToken);
    expect(await w.account.tokens.accessToken()).toBe(before.accessToken); // fresh: no refresh
    expect(w.fake.oauth.refreshCount).toBe(0);
    w.clock.advance(DAY - 5 * 60_000); // inside the 10-minute margin
    const access = await w.account.tokens.accessToken();
    const after = (await stored())!;
    expect(w.fake.oauth.refreshCount).toBe(1);
    expect(access).toBe(after.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // The old refresh token is dead on a strict server: only the stored one works.
    await expect(refreshTokens(oauthConfig(w.settings), before.refreshToken, w.clock.nowMs())).rejects.toBeInstanceOf(ReauthRequired);
    expect((await listCredentials(w.db.db, { accountKey: ACCOUNT }))[0].expiresAtMs).toBe(after.expiresAtMs);
  });

  it('logs the refresh without any token in the log', async () => {
    w = await makeWorld(backend, { sync: false });
    let logged = '';
    const sink = new PassThrough();
    sink.on('data', (c) => (logged += c));
    const tokens = new AccountTokens({ db: w.db.db, box: w.box, oauth: oauthConfig(w.settings), clock: w.clock, accountKey: ACCOUNT, logger: createLogger({ level: 'debug', pretty: false, destination: sink }) });
    w.clock.advance(DAY + 1);
    await tokens.accessToken();
    await new Promise((r) => setImmediate(r));
    const now = (await stored())!;
    expect(logged).toMatch(/Enphase token refreshed and stored/);
    expect(logged).not.toContain(now.accessToken);
    expect(logged).not.toContain(now.refreshToken);
    expect(logged).not.toContain('fake-secret');
  });

  it('two concurrent refreshers: one refreshes, the other uses the stored result', async () => {
    w = await makeWorld(backend, { sync: false });
    // On PostgreSQL the second refresher has a pool of its own, as a second engine process would.
    const other = w.db.openAnother ? await w.db.openAnother() : undefined;
    try {
      const a = w.openAccount();
      const b = w.openAccount(undefined, other?.db);
      w.clock.advance(DAY + 1);
      const [ta, tb] = await Promise.all([a.tokens.accessToken(), b.tokens.accessToken()]);
      expect(w.fake.oauth.refreshCount).toBe(1);
      expect(ta).toBe(tb);
      expect(ta).toBe((await stored())!.accessToken);
    } finally {
      await other?.close();
    }
  });

  it('a crash between refresh and store heals when the server allows the previous refresh token for a grace period', async () => {
    w = await makeWorld(backend, { sync: false, fake: { oauth: { refreshGraceMs: 5 * 60_000 } } });
    const before = (await stored())!;
    const crashing = w.openAccount({ afterRefreshBeforeStore: async () => { throw new Error('process killed'); } });
    w.clock.advance(DAY + 1);
    await expect(crashing.tokens.accessToken()).rejects.toThrow('process killed');
    expect((await stored())!.refreshToken).toBe(before.refreshToken); // the transaction rolled back: nothing half-written
    expect(w.fake.oauth.refreshCount).toBe(1);
    const restarted = w.openAccount();
    const access = await restarted.tokens.accessToken();
    expect(w.fake.oauth.refreshCount).toBe(2);
    expect(access).toBe((await stored())!.accessToken);
    expect((await getAccount(w.db.db, ACCOUNT))!.status).toBe('active');
    expect((await restarted.client.summary(1001)).system_id).toBe(1001);
  });

  it('a crash on a strict server leaves the account visibly needing re-auth, not stranded in a retry loop', async () => {
    w = await makeWorld(backend, { fake: { oauth: { refreshGraceMs: 0 } } });
    const crashing = w.openAccount({ afterRefreshBeforeStore: async () => { throw new Error('process killed'); } });
    w.clock.advance(DAY + 1);
    await expect(crashing.tokens.accessToken()).rejects.toThrow('process killed');
    const restarted = w.openAccount();
    await expect(restarted.tokens.accessToken()).rejects.toBeInstanceOf(ReauthRequired);
    const account = (await getAccount(w.db.db, ACCOUNT))!;
    expect(account.status).toBe('needs_reauth');
    expect((await listSites(w.db.db)).map((s) => s.status)).toEqual(['needs_reauth', 'needs_reauth']);
    const calls = tokenCalls();
    const report = await pollAccount({ ...w.ctx(), client: restarted.client });
    expect(report.stopped).toMatch(/re-authorisation/);
    await expect(restarted.tokens.accessToken()).rejects.toBeInstanceOf(ReauthRequired);
    expect(tokenCalls()).toBe(calls); // no further refresh attempts
  });

  it('a revoked grant marks the account needs-reauth; connecting again re-activates its sites', async () => {
    w = await makeWorld(backend);
    w.fake.oauth.revokeAll();
    const report = await pollAccount(w.ctx());
    expect(report.stopped).toBeDefined();
    expect((await getAccount(w.db.db, ACCOUNT))!.status).toBe('needs_reauth');
    const { connectAccount } = await import('../../../src/app/enphase/connect.js');
    const res = await connectAccount({ db: w.db.db, box: w.box, oauth: oauthConfig(w.settings), clock: w.clock, accountKey: ACCOUNT, code: w.fake.oauth.issueCode() });
    expect(res.reactivatedSites.sort()).toEqual(['enphase-1001', 'enphase-1002']);
    const fresh = new AccountTokens({ db: w.db.db, box: w.box, oauth: oauthConfig(w.settings), clock: w.clock, accountKey: ACCOUNT });
    expect(await fresh.accessToken()).toBe((await stored())!.accessToken);
  });
});
