/**
 * Credentials (OAuth tokens, API keys) per site or per account, encrypted at rest (see secret-box.ts). List queries
 * never select the ciphertext; only `readSecret` decrypts, for the API clients. `withAccountLock` serializes token
 * refreshes across processes (a row lock held for the length of a transaction).
 */
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from './database.js';
import { inTransaction, jsonOrNull } from './database.js';
import { dateOrNull, msOrNull } from './mappers.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secret-box.js';

export type CredentialOwner = { siteId: string } | { accountKey: string };

export interface CredentialInput {
  owner: CredentialOwner;
  /** E.g. 'enphase_oauth', 'enphase_api_key', 'ercot_api'. */
  kind: string;
  /** The secret itself; for token sets, JSON.stringify them (or use saveSecretJson). */
  secret: string;
  label?: string | null;
  expiresAtMs?: number | null;
  /** Non-secret facts (scopes, user id): readable by anyone who can list. */
  metadata?: Record<string, unknown> | null;
}

/** What list queries return: never the secret. */
export interface CredentialInfo {
  id: number;
  siteId: string | null;
  accountKey: string | null;
  kind: string;
  label: string | null;
  expiresAtMs: number | null;
  metadata: Record<string, unknown> | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export function ownerKey(owner: CredentialOwner): string {
  return 'siteId' in owner ? `site:${owner.siteId}` : `account:${owner.accountKey}`;
}

/** Additional authenticated data: binds a ciphertext to its owner and kind. */
function aad(owner: CredentialOwner, kind: string): string {
  return `${ownerKey(owner)}|${kind}`;
}

const INFO_COLUMNS = ['id', 'site_id', 'account_key', 'kind', 'label', 'expires_at', 'metadata', 'created_at', 'updated_at'] as const;

type InfoRow = {
  id: number;
  site_id: string | null;
  account_key: string | null;
  kind: string;
  label: string | null;
  expires_at: Date | null;
  metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
};

function infoFromRow(r: InfoRow): CredentialInfo {
  return {
    id: r.id,
    siteId: r.site_id,
    accountKey: r.account_key,
    kind: r.kind,
    label: r.label,
    expiresAtMs: msOrNull(r.expires_at),
    metadata: r.metadata ?? null,
    createdAtMs: r.created_at.getTime(),
    updatedAtMs: r.updated_at.getTime(),
  };
}

/** Creates or replaces the (owner, kind) credential. */
export async function saveCredential(db: Executor, box: SecretBox, input: CredentialInput): Promise<CredentialInfo> {
  const key = ownerKey(input.owner);
  const ciphertext = box.encrypt(input.secret, aad(input.owner, input.kind));
  const values = {
    owner_key: key,
    site_id: 'siteId' in input.owner ? input.owner.siteId : null,
    account_key: 'accountKey' in input.owner ? input.owner.accountKey : null,
    kind: input.kind,
    label: input.label ?? null,
    ciphertext,
    expires_at: dateOrNull(input.expiresAtMs),
    metadata: jsonOrNull(input.metadata),
  };
  const row = await db
    .insertInto('credentials')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['owner_key', 'kind']).doUpdateSet({
        label: values.label,
        ciphertext,
        expires_at: values.expires_at,
        metadata: values.metadata,
        updated_at: sql<Date>`now()` as unknown as Date,
      }),
    )
    .returning(INFO_COLUMNS)
    .executeTakeFirstOrThrow();
  return infoFromRow(row as InfoRow);
}

export async function saveSecretJson(db: Executor, box: SecretBox, input: Omit<CredentialInput, 'secret'> & { secret: unknown }): Promise<CredentialInfo> {
  return saveCredential(db, box, { ...input, secret: JSON.stringify(input.secret) });
}

/** Credentials without their secrets; filter by site, account or kind. */
export async function listCredentials(db: Executor, filter: { siteId?: string; accountKey?: string; kind?: string } = {}): Promise<CredentialInfo[]> {
  let q = db.selectFrom('credentials').select(INFO_COLUMNS).orderBy('owner_key').orderBy('kind');
  if (filter.siteId) q = q.where('site_id', '=', filter.siteId);
  if (filter.accountKey) q = q.where('account_key', '=', filter.accountKey);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  return (await q.execute()).map((r) => infoFromRow(r as InfoRow));
}

/** The decrypted secret, or null when there is none. For API clients only: never log or return it to a page. */
export async function readSecret(db: Executor, box: SecretBox, owner: CredentialOwner, kind: string): Promise<string | null> {
  const row = await db.selectFrom('credentials').select('ciphertext').where('owner_key', '=', ownerKey(owner)).where('kind', '=', kind).executeTakeFirst();
  return row ? box.decrypt(row.ciphertext, aad(owner, kind)) : null;
}

export async function readSecretJson<T>(db: Executor, box: SecretBox, owner: CredentialOwner, kind: string): Promise<T | null> {
  const text = await readSecret(db, box, owner, kind);
  return text === null ? null : (JSON.parse(text) as T);
}

export async function deleteCredential(db: Executor, owner: CredentialOwner, kind: string): Promise<boolean> {
  const res = await db.deleteFrom('credentials').where('owner_key', '=', ownerKey(owner)).where('kind', '=', kind).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/**
 * Runs `fn` inside a transaction holding a row lock on `lockKey` (SELECT ... FOR UPDATE on a row of `locks`), so
 * only one process at a time (e.g.) refreshes an account's token. Others wait until the holder commits or rolls back.
 * Works on PostgreSQL and PGlite (one session: callers are serialized anyway). Do the refresh and the save with the
 * `trx` given to `fn`. If `db` is already a transaction, the lock is taken in it and held until it ends.
 */
export async function withAccountLock<T>(db: Executor, lockKey: string, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return inTransaction(db, async (trx) => {
    await trx.insertInto('locks').values({ lock_key: lockKey }).onConflict((oc) => oc.column('lock_key').doNothing()).execute();
    await trx.selectFrom('locks').select('lock_key').where('lock_key', '=', lockKey).forUpdate().execute();
    return fn(trx);
  });
}
