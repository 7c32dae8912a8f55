/**
 * Opening the embedded PGlite store in `<dataDir>/pglite`, safely:
 * - one process at a time (the lock file `<dataDir>/pglite.lock`, see store-lock.ts);
 * - a new store appears complete or not at all: it is unpacked in a temporary sibling folder `<dataDir>/.pglite-new-*`
 *   and renamed into place (a rename within one folder is atomic), so a kill during creation leaves no half-made
 *   store; temporary folders of killed creators are removed by the next opener (under the lock);
 * - the data directory is checked before anything is created (NotAPgliteStore, left untouched).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { NotAPgliteStore } from './errors.js';
import { freshDataDirArchive, loadPglite, pgliteOptions, unpackArchive } from './pglite-template.js';
import { acquireStoreLock, type StoreLock } from './store-lock.js';

const NEW_STORE_PREFIX = '.pglite-new-';

/** The PGlite store directory inside a data directory. */
export function pgliteDir(dataDir: string): string {
  return join(resolve(dataDir), 'pglite');
}

export interface OpenedPglite {
  pglite: PGlite;
  /** The store folder, or undefined in memory. */
  dir?: string;
  /** True when this call created the store. */
  created: boolean;
  /** Closes PGlite, then releases the lock. */
  close(): Promise<void>;
}

export async function openPgliteInMemory(): Promise<OpenedPglite> {
  const { PGlite } = await loadPglite();
  const archive = await freshDataDirArchive();
  const pglite = await PGlite.create({ ...(await pgliteOptions()), loadDataDir: new Blob([archive]) });
  return { pglite, created: true, close: () => closeQuietly(pglite) };
}

export async function openPgliteFolder(dataDir: string): Promise<OpenedPglite> {
  const root = resolve(dataDir);
  const dir = pgliteDir(root);
  checkPgliteDir(dir);
  mkdirSync(root, { recursive: true });
  const lock = acquireStoreLock(root, dir);
  try {
    checkPgliteDir(dir);
    removeAbandonedNewStores(root);
    const created = !isStore(dir);
    if (created) await createStoreAtomically(root, dir);
    const { PGlite } = await loadPglite();
    const pglite = await PGlite.create(dir, await pgliteOptions());
    return { pglite, dir, created, close: () => closeAndRelease(pglite, lock) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function closeAndRelease(pglite: PGlite, lock: StoreLock): Promise<void> {
  try {
    await closeQuietly(pglite);
  } finally {
    lock.release();
  }
}

async function closeQuietly(pglite: PGlite): Promise<void> {
  if (!pglite.closed) await pglite.close();
}

function isStore(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

async function createStoreAtomically(root: string, dir: string): Promise<void> {
  const temp = join(root, `${NEW_STORE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    unpackArchive(await freshDataDirArchive({ keep: false }), temp);
    if (existsSync(dir)) rmdirSync(dir); // empty (checked above)
    renameSync(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** Temporary folders of creators that were killed before their rename (we hold the lock: nobody else is creating). */
function removeAbandonedNewStores(root: string): void {
  for (const name of readdirSync(root)) {
    if (name.startsWith(NEW_STORE_PREFIX)) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/**
 * Before anything is created: the store directory must be absent, empty, or an existing PostgreSQL data directory
 * (PG_VERSION). Anything else is refused and left untouched.
 */
export function checkPgliteDir(dir: string): void {
  if (!existsSync(dir)) {
    const parent = resolve(dir, '..');
    if (existsSync(parent) && !statSync(parent).isDirectory()) throw new NotAPgliteStore(parent, 'the data directory is a file');
    return;
  }
  if (!statSync(dir).isDirectory()) throw new NotAPgliteStore(dir, 'a file, not a directory');
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!entries.includes('PG_VERSION')) {
    throw new NotAPgliteStore(dir, `the directory holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} but no PG_VERSION`);
  }
}
