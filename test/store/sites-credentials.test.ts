import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteCredential, listCredentials, readSecret, readSecretJson, saveCredential, saveSecretJson, withAccountLock } from '../../src/store/credentials-repo.js';
import { createSecretBox, SecretDecryptFailed } from '../../src/store/secret-box.js';
import { getSite, getSiteByEnphaseSystemId, listSites, setSiteStatus, upsertSite } from '../../src/store/sites-repo.js';
import { NotFound } from '../../src/store/errors.js';
import { InvalidConfig } from '../../src/domain/errors.js';
import { backends, useDatabase } from './harness.js';
import { testSite } from './fixtures.js';

const box = createSecretBox('correct horse battery staple');
const ACCESS = 'eyJhbGciOiJSUzI1NiJ9.access-token-SECRET-1234567890';
const REFRESH = 'refresh-token-SECRET-abcdefghij';

describe.each(backends())('sites and credentials on $name', (backend) => {
  const db = useDatabase(backend);
  beforeAll(async () => {
    await upsertSite(db().db, testSite('home-1'));
  });

  it('sites round-trip, update in place, status change', async () => {
    const site = await getSite(db().db, 'home-1');
    expect(site).toMatchObject({ siteId: 'home-1', enphaseSystemId: 'sys-home-1', timeZone: 'America/Chicago', reservePercent: 20, status: 'active', gridServicesEnrolled: false });
    expect(site!.battery.capacityKwh).toBe(13.5);
    expect(site!.tariff).toEqual({ importAdderUsdPerKwh: 0.06, exportFactor: 1 });
    await upsertSite(db().db, testSite('home-1', { reservePercent: 35, name: 'Renamed' }));
    expect((await getSite(db().db, 'home-1'))).toMatchObject({ reservePercent: 35, name: 'Renamed' });
    expect((await getSiteByEnphaseSystemId(db().db, 'sys-home-1'))?.siteId).toBe('home-1');
    await setSiteStatus(db().db, 'home-1', 'needs_reauth');
    expect((await listSites(db().db, { status: 'needs_reauth' })).map((s) => s.siteId)).toEqual(['home-1']);
    await expect(setSiteStatus(db().db, 'ghost', 'paused')).rejects.toBeInstanceOf(NotFound);
    await setSiteStatus(db().db, 'home-1', 'active');
  });

  it('secrets are encrypted in the table, absent from lists, readable only through readSecret', async () => {
    await saveSecretJson(db().db, box, {
      owner: { siteId: 'home-1' },
      kind: 'enphase_oauth',
      secret: { accessToken: ACCESS, refreshToken: REFRESH },
      expiresAtMs: Date.UTC(2030, 0, 1),
      metadata: { scope: 'read' },
    });
    await saveCredential(db().db, box, { owner: { accountKey: 'enphase-app' }, kind: 'enphase_api_key', secret: 'api-key-SECRET-xyz' });
    const raw = await sql<{ t: string }>`select credentials::text as t from credentials`.execute(db().db);
    expect(raw.rows).toHaveLength(2);
    for (const { t } of raw.rows) {
      expect(t).not.toContain('SECRET');
      expect(t).not.toContain(Buffer.from(ACCESS).toString('base64').slice(0, 16));
    }
    const listed = await listCredentials(db().db);
    expect(JSON.stringify(listed)).not.toContain('SECRET');
    expect(JSON.stringify(listed)).not.toContain('ciphertext');
    expect(listed.map((c) => [c.siteId, c.accountKey, c.kind])).toEqual([
      [null, 'enphase-app', 'enphase_api_key'],
      ['home-1', null, 'enphase_oauth'],
    ]);
    expect(listed[1]).toMatchObject({ expiresAtMs: Date.UTC(2030, 0, 1), metadata: { scope: 'read' } });
    expect(await readSecretJson(db().db, box, { siteId: 'home-1' }, 'enphase_oauth')).toEqual({ accessToken: ACCESS, refreshToken: REFRESH });
    expect(await readSecret(db().db, box, { accountKey: 'enphase-app' }, 'enphase_api_key')).toBe('api-key-SECRET-xyz');
    expect(await readSecret(db().db, box, { accountKey: 'other' }, 'enphase_api_key')).toBeNull();
  });

  it('a wrong key or a ciphertext moved to another row does not decrypt', async () => {
    await saveCredential(db().db, box, { owner: { accountKey: 'a1' }, kind: 'k', secret: 'SECRET-one' });
    await saveCredential(db().db, box, { owner: { accountKey: 'a2' }, kind: 'k', secret: 'SECRET-two' });
    await expect(readSecret(db().db, createSecretBox('another key'), { accountKey: 'a1' }, 'k')).rejects.toBeInstanceOf(SecretDecryptFailed);
    await sql`update credentials set ciphertext = (select ciphertext from credentials where account_key = 'a1') where account_key = 'a2'`.execute(db().db);
    await expect(readSecret(db().db, box, { accountKey: 'a2' }, 'k')).rejects.toBeInstanceOf(SecretDecryptFailed);
    expect(await deleteCredential(db().db, { accountKey: 'a2' }, 'k')).toBe(true);
    expect(await deleteCredential(db().db, { accountKey: 'a2' }, 'k')).toBe(false);
    expect(() => createSecretBox(undefined)).toThrow(InvalidConfig);
  });

  it('saving again replaces the secret (one row per owner and kind)', async () => {
    await saveCredential(db().db, box, { owner: { accountKey: 'rot' }, kind: 'k', secret: 'SECRET-old' });
    await saveCredential(db().db, box, { owner: { accountKey: 'rot' }, kind: 'k', secret: 'SECRET-new' });
    expect(await readSecret(db().db, box, { accountKey: 'rot' }, 'k')).toBe('SECRET-new');
    expect(await listCredentials(db().db, { accountKey: 'rot' })).toHaveLength(1);
  });

  it('withAccountLock: holders of the same key never overlap', async () => {
    const events: string[] = [];
    const holder = (name: string) =>
      withAccountLock(db().db, 'enphase-account:1', async (trx) => {
        events.push(`${name}:in`);
        await sql`select 1`.execute(trx);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name}:out`);
        return name;
      });
    const others = backend.name === 'postgres' ? await db().openAnother!() : undefined;
    try {
      const results = await Promise.all([
        holder('a'),
        others
          ? withAccountLock(others.db, 'enphase-account:1', async () => {
              events.push('b:in');
              await new Promise((r) => setTimeout(r, 30));
              events.push('b:out');
              return 'b';
            })
          : holder('b'),
        holder('c'),
      ]);
      expect(results.sort()).toEqual(['a', 'b', 'c']);
    } finally {
      await others?.close();
    }
    expect(events).toHaveLength(6);
    for (let i = 0; i < events.length; i += 2) {
      const name = events[i].split(':')[0];
      expect(events[i]).toBe(`${name}:in`);
      expect(events[i + 1]).toBe(`${name}:out`);
    }
  });

  it.runIf(backend.name === 'postgres')('control: the same holders without the lock do overlap on PostgreSQL (so the test above can fail)', async () => {
    const events: string[] = [];
    const others = await db().openAnother!();
    const holder = (executor: typeof others.db, name: string) =>
      executor.transaction().execute(async (trx) => {
        events.push(`${name}:in`);
        await sql`select pg_sleep(0.05)`.execute(trx);
        events.push(`${name}:out`);
      });
    try {
      await Promise.all([holder(db().db, 'a'), holder(others.db, 'b'), holder(db().db, 'c')]);
    } finally {
      await others.close();
    }
    const paired = events.every((e, i) => (i % 2 === 0 ? e.endsWith(':in') : e === `${events[i - 1].split(':')[0]}:out`));
    expect(paired).toBe(false);
  });

  it('withAccountLock: an error inside rolls back what was written', async () => {
    await expect(
      withAccountLock(db().db, 'acct-x', async (trx) => {
        await saveCredential(trx, box, { owner: { accountKey: 'acct-x' }, kind: 'oauth', secret: 'SECRET-x' });
        throw new Error('refresh failed');
      }),
    ).rejects.toThrow('refresh failed');
    expect(await readSecret(db().db, box, { accountKey: 'acct-x' }, 'oauth')).toBeNull();
  });
});
