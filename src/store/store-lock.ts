/**
 * One writer per embedded store: a lock file `<dataDir>/pglite.lock` held by the process that has the PGlite folder
 * open. Two PGlite instances on one folder (two processes, or two opens in one process) lose writes and corrupt
 * indexes, so a second opener is refused with `StoreLocked`, naming the holder.
 *
 * - Created atomically: the holder's record is written to a private temporary file and hard-linked to the lock path
 *   (`link` fails with EEXIST when the lock exists), so the lock file is never seen half written.
 * - Stale locks are taken over: a holder on this host whose pid is gone (or was reused by another program, told apart
 *   by the process start time on Linux) no longer holds the store. The takeover itself is serialised by a second
 *   O_EXCL file so two openers cannot both take over.
 * - The record has room for an `endpoint` (a loopback socket where the holder serves the store), so a later version
 *   can route a second process through the holder instead of refusing it.
 */
import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StoreLocked } from './errors.js';

export const LOCK_FILE = 'pglite.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** The command line of the holder, for people ("ercot-arb prices import June.csv"). */
  command: string;
  /** ISO 8601, when the holder took the lock. */
  since: string;
  /** Linux: the holder's start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused pid apart. */
  processStart?: string;
  /** Where the holder serves the store to other processes (none yet: reserved for routing). */
  endpoint?: string | null;
}

export interface StoreLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Locks held by this process, by lock path (released on exit, refused on a second open). */
const heldHere = new Map<string, LockHolder>();
let exitHookInstalled = false;

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

/** Takes the lock on `dataDir` (which must exist) or throws `StoreLocked` naming the holder. */
export function acquireStoreLock(dataDir: string, storeDir: string): StoreLock {
  const path = lockPath(dataDir);
  if (heldHere.has(path)) throw new StoreLocked(storeDir, path, heldHere.get(path)!, true);
  const holder = describeThisProcess();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, holder)) return remember(path, holder);
    const current = readHolder(path);
    if (current === 'absent') continue;
    if (current !== 'unreadable' && !isStale(current)) throw new StoreLocked(storeDir, path, current, false);
    if (current === 'unreadable' && ageMs(path) < 10_000) throw new StoreLocked(storeDir, path, undefined, false);
    takeOverStale(path, current);
  }
  throw new StoreLocked(storeDir, path, undefined, false);
}

/** The lock's current holder, or undefined when nobody holds it (for `db status` and tests). */
export function readStoreLock(dataDir: string): LockHolder | undefined {
  const current = readHolder(lockPath(dataDir));
  return typeof current === 'string' ? undefined : current;
}

/** True when the holder cannot still hold the store: same host and its process is gone (or the pid was reused). */
export function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) {
    // Our own pid, but not a lock this process took (that is checked first): a previous process that had our pid
    // (containers start every run with the same pid), unless the record carries this process's own start time.
    return holder.processStart === undefined || holder.processStart !== processStartOf(process.pid);
  }
  if (!processAlive(holder.pid)) return true;
  if (holder.processStart) {
    const start = processStartOf(holder.pid);
    if (start !== undefined && start !== holder.processStart) return true;
  }
  return false;
}

function tryCreate(path: string, holder: LockHolder): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

function readHolder(path: string): LockHolder | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Removes a stale lock, under a takeover guard so that two openers never both remove (one may remove a fresh lock). */
function takeOverStale(path: string, seen: LockHolder | 'unreadable'): void {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Someone else is taking over; a guard left by a crashed opener is removed after a while.
    if (ageMs(guard) > 10_000) unlinkQuietly(guard);
    return;
  }
  try {
    const again = readHolder(path);
    const same = again === 'unreadable' ? seen === 'unreadable' : again !== 'absent' && seen !== 'unreadable' && again.pid === seen.pid && again.since === seen.since;
    if (same) renameSync(path, `${path}.stale-${Date.now()}-${randomBytes(3).toString('hex')}`);
  } finally {
    closeSync(fd);
    unlinkQuietly(guard);
  }
  // The renamed stale file is kept only long enough to be looked at; remove it at once.
  cleanStaleCopies(path);
}

function cleanStaleCopies(path: string): void {
  const dir = join(path, '..');
  const prefix = `${basename(path)}.stale-`;
  try {
    for (const name of readdirSync(dir)) if (name.startsWith(prefix)) unlinkQuietly(join(dir, name));
  } catch {
    /* best effort */
  }
}

function remember(path: string, holder: LockHolder): StoreLock {
  heldHere.set(path, holder);
  installExitHook();
  let released = false;
  return {
    path,
    holder,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      const current = readHolder(path);
      if (typeof current !== 'string' && current.pid === holder.pid && current.since === holder.since) unlinkQuietly(path);
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, holder] of heldHere) {
      const current = readHolder(path);
      if (typeof current !== 'string' && current.pid === holder.pid && current.since === holder.since) unlinkQuietly(path);
    }
  });
}

function describeThisProcess(): LockHolder {
  const [script, ...args] = process.argv.slice(1);
  const name = script ? basename(script).replace(/\.(c|m)?js$|\.ts$/, '') : 'node';
  const command = [name === 'main' ? 'ercot-arb' : name, ...args].join(' ').slice(0, 300);
  const processStart = processStartOf(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    command,
    since: new Date().toISOString(),
    ...(processStart ? { processStart } : {}),
    endpoint: null,
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time since boot); undefined where there is no procfs. */
function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterName[19];
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
