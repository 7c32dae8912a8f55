import { describe, expect, it } from 'vitest';
import { MissingErcotCredentials } from '../../../src/adapters/ercot/client.js';
import { resolveErcotCredentials, saveErcotCredentials } from '../../../src/app/ingest/credentials.js';
import { listCredentials } from '../../../src/store/credentials-repo.js';
import { backends, useDatabase } from '../../store/harness.js';

describe.each(backends())('ERCOT credentials on $name', (backend) => {
  const database = useDatabase(backend);
  const base = { ERCOT_API_USERNAME: undefined, ERCOT_API_PASSWORD: undefined, ERCOT_API_SUBSCRIPTION_KEY: undefined, ERCOT_ARB_SECRET_KEY: 'test-secret' };

  it('come from the environment first, else from the encrypted table, and say what is missing without secrets', async () => {
    const db = database().db;
    const missing = await resolveErcotCredentials(db, base).catch((e) => e);
    expect(missing).toBeInstanceOf(MissingErcotCredentials);
    expect(missing.message).toMatch(/ERCOT_API_USERNAME, ERCOT_API_PASSWORD, ERCOT_API_SUBSCRIPTION_KEY/);
    await saveErcotCredentials(db, base, { username: 'stored-user', password: 'stored-pass-123', subscriptionKey: 'stored-key' });
    expect(await resolveErcotCredentials(db, base)).toEqual({ username: 'stored-user', password: 'stored-pass-123', subscriptionKey: 'stored-key' });
    expect(await resolveErcotCredentials(db, { ...base, ERCOT_API_PASSWORD: 'env-pass' })).toMatchObject({ username: 'stored-user', password: 'env-pass' });
    const listed = JSON.stringify(await listCredentials(db, { accountKey: 'ercot' }));
    expect(listed).not.toContain('stored-pass-123');
    const wrongKey = await resolveErcotCredentials(db, { ...base, ERCOT_ARB_SECRET_KEY: 'other' }).catch((e) => e);
    expect(String(wrongKey.message)).toMatch(/cannot decrypt/);
    expect(String(wrongKey.message)).not.toContain('stored-pass-123');
  });
});
