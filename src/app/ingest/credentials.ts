/**
 * Where the ERCOT API credentials come from: the environment (ERCOT_API_USERNAME / _PASSWORD / _SUBSCRIPTION_KEY),
 * else the encrypted credentials table (account "ercot", kind "ercot_api", needs ERCOT_ARB_SECRET_KEY). Each
 * variable set in the environment wins over the stored value. Never logged, never echoed.
 */
import { z } from 'zod';
import { MissingErcotCredentials } from '../../adapters/ercot/client.js';
import type { ErcotCredentials } from '../../adapters/ercot/token-manager.js';
import type { Executor } from '../../store/database.js';
import { readSecretJson, saveSecretJson, type CredentialInfo } from '../../store/credentials-repo.js';
import { createSecretBox } from '../../store/secret-box.js';
import type { Config } from '../config.js';

export const ERCOT_CREDENTIAL = { owner: { accountKey: 'ercot' }, kind: 'ercot_api' } as const;

const storedSchema = z.object({ username: z.string().min(1), password: z.string().min(1), subscriptionKey: z.string().min(1) }).partial();

type CredentialConfig = Pick<Config, 'ERCOT_API_USERNAME' | 'ERCOT_API_PASSWORD' | 'ERCOT_API_SUBSCRIPTION_KEY' | 'ERCOT_ARB_SECRET_KEY'>;

export async function resolveErcotCredentials(db: Executor, cfg: CredentialConfig): Promise<ErcotCredentials> {
  let stored: z.infer<typeof storedSchema> = {};
  const envComplete = cfg.ERCOT_API_USERNAME && cfg.ERCOT_API_PASSWORD && cfg.ERCOT_API_SUBSCRIPTION_KEY;
  if (!envComplete && cfg.ERCOT_ARB_SECRET_KEY) {
    const raw = await readSecretJson<unknown>(db, createSecretBox(cfg.ERCOT_ARB_SECRET_KEY), ERCOT_CREDENTIAL.owner, ERCOT_CREDENTIAL.kind);
    const parsed = storedSchema.safeParse(raw ?? {});
    if (parsed.success) stored = parsed.data;
  }
  const creds = {
    username: cfg.ERCOT_API_USERNAME ?? stored.username,
    password: cfg.ERCOT_API_PASSWORD ?? stored.password,
    subscriptionKey: cfg.ERCOT_API_SUBSCRIPTION_KEY ?? stored.subscriptionKey,
  };
  const missing = [
    ['ERCOT_API_USERNAME', creds.username],
    ['ERCOT_API_PASSWORD', creds.password],
    ['ERCOT_API_SUBSCRIPTION_KEY', creds.subscriptionKey],
  ].filter(([, v]) => !v).map(([k]) => k as string);
  if (missing.length) throw new MissingErcotCredentials(missing);
  return creds as ErcotCredentials;
}

/** Stores the given credentials encrypted (for `prices credentials save`). */
export async function saveErcotCredentials(db: Executor, cfg: Pick<Config, 'ERCOT_ARB_SECRET_KEY'>, creds: ErcotCredentials): Promise<CredentialInfo> {
  return saveSecretJson(db, createSecretBox(cfg.ERCOT_ARB_SECRET_KEY), {
    owner: ERCOT_CREDENTIAL.owner,
    kind: ERCOT_CREDENTIAL.kind,
    secret: creds,
    label: 'ERCOT Public API',
  });
}
