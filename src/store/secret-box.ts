/**
 * Encryption at rest for credentials: AES-256-GCM with a 32-byte key derived by scrypt from ERCOT_ARB_SECRET_KEY.
 * Stored form: "v1.<iv b64>.<tag b64>.<ciphertext b64>". The owner/kind are bound as additional authenticated
 * data, so a ciphertext copied onto another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { InvalidConfig } from '../domain/errors.js';

const SALT = 'ercot-arb credentials v1';

export interface SecretBox {
  encrypt(plaintext: string, aad: string): string;
  decrypt(stored: string, aad: string): string;
}

export class SecretDecryptFailed extends Error {
  constructor(what: string) {
    super(`cannot decrypt ${what}: wrong ERCOT_ARB_SECRET_KEY or damaged data`);
    this.name = 'SecretDecryptFailed';
  }
}

/**
 * The derived key of the last secret key: scrypt is deliberately slow (~50–100 ms of CPU), and the daemon's jobs and
 * the CLI's actions make a box per run from the same ERCOT_ARB_SECRET_KEY. One entry, so a process holds no more
 * key material than the box it uses.
 */
let lastDerived: { secretKey: string; key: Buffer } | undefined;

function deriveKey(secretKey: string): Buffer {
  if (lastDerived?.secretKey !== secretKey) lastDerived = { secretKey, key: scryptSync(secretKey, SALT, 32) };
  return lastDerived.key;
}

/** A box for the given secret key; missing key → InvalidConfig naming ERCOT_ARB_SECRET_KEY. */
export function createSecretBox(secretKey: string | undefined): SecretBox {
  if (!secretKey) throw new InvalidConfig('ERCOT_ARB_SECRET_KEY must be set to store or read credentials', { field: 'ERCOT_ARB_SECRET_KEY' });
  const key = deriveKey(secretKey);
  return {
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join('.');
    },
    decrypt(stored, aad) {
      const [version, iv, tag, data] = stored.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) throw new SecretDecryptFailed(aad);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretDecryptFailed(aad);
      }
    },
  };
}
