/**
 * One writer per embedded store: the lock file, the refusal (naming the holder and what to do), stale-lock takeover,
 * and atomic creation of a new store (a temporary sibling folder renamed into place).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.js';
import { openDatabase, pgliteDir } from '../../src/store/database.js';
import { StoreLocked } from '../../src/store/errors.js';
import { migrateToLatest, migrationStatus } from '../../src/store/migrator.js';
import { acquireStoreLock, lockPath, readStoreLock, type LockHolder } from '../../src/store/store-lock.js';
import { runCli } from '../support/cli.js';
import { builtOrSource } from '../support/entry.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ercot-arb-lock-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A process that is certainly gone: spawned, then waited for. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function writeLock(dataDir: string, holder: LockHolder): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(lockPath(dataDir), JSON.stringify(holder));
}

describe('the embedded store lock', () => {
  it('a second open of the same store is refused while the first holds it, and allowed after close', async () => {
    const dataDir = tmp();
    const first = await openDatabase({ dataDir });
    const holder = readStoreLock(dataDir);
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    const error = await openDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLocked);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('already open in this process');
    await first.close();
    expect(existsSync(lockPath(dataDir))).toBe(false);
    const second = await openDatabase({ dataDir });
    await second.close();
  });

  it('a lock held by another live process: refused, the message names pid, host, command, since and what to do', async () => {
    const dataDir = tmp();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(sleeper);
    writeLock(dataDir, { pid: sleeper.pid!, host: hostname(), command: 'ercot-arb prices import June.csv', since: '2026-11-30T10:00:00.000Z' });
    const error = (await openDatabase({ dataDir }).catch((e: unknown) => e)) as StoreLocked;
    expect(error).toBeInstanceOf(StoreLocked);
    expect(error.message).toContain(`pid ${sleeper.pid}`);
    expect(error.message).toContain(hostname());
    expect(error.message).toContain('ercot-arb prices import June.csv');
    expect(error.message).toContain('2026-11-30T10:00:00.000Z');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain(lockPath(dataDir));
    // Nothing was created while refused.
    expect(existsSync(pgliteDir(dataDir))).toBe(false);
    sleeper.kill('SIGKILL');
  });

  it('the CLI maps a refused open to exit code 2 with one line', async () => {
    const dataDir = tmp();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(sleeper);
    writeLock(dataDir, { pid: sleeper.pid!, host: hostname(), command: 'ercot-arb daemon', since: new Date().toISOString() });
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const run = await runCli(['db', 'status', '--data-dir', dataDir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: the embedded store .* is in use by pid \d+ .*ercot-arb daemon/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      sleeper.kill('SIGKILL');
    }
  });

  it('a stale lock (holder on this host is dead) is taken over', async () => {
    const dataDir = tmp();
    writeLock(dataDir, { pid: await deadPid(), host: hostname(), command: 'ercot-arb prices import (killed)', since: '2026-01-01T00:00:00.000Z' });
    const opened = await openDatabase({ dataDir });
    expect(readStoreLock(dataDir)?.pid).toBe(process.pid);
    await opened.close();
    expect(readdirSync(dataDir).filter((n) => n.startsWith('pglite.lock'))).toEqual([]);
  });

  it('a reused pid (alive, but started at another time) counts as stale on Linux', async () => {
    if (!existsSync('/proc/self/stat')) return;
    const dataDir = tmp();
    // Our own parent is alive, but it did not start at "1": the recorded holder is another process.
    writeLock(dataDir, { pid: process.ppid, host: hostname(), command: 'old', since: '2026-01-01T00:00:00.000Z', processStart: '1' });
    const lock = acquireStoreLock(dataDir, pgliteDir(dataDir));
    expect(readStoreLock(dataDir)?.pid).toBe(process.pid);
    lock.release();
  });

  it('a lock left by an earlier process with our pid (containers reuse pids) is taken over', async () => {
    const dataDir = tmp();
    writeLock(dataDir, { pid: process.pid, host: hostname(), command: 'ercot-arb daemon (previous container run)', since: '2026-01-01T00:00:00.000Z', processStart: '1' });
    const lock = acquireStoreLock(dataDir, pgliteDir(dataDir));
    expect(readStoreLock(dataDir)?.since).not.toBe('2026-01-01T00:00:00.000Z');
    lock.release();
  });

  it('a lock from another host is never taken over (its pid means nothing here)', async () => {
    const dataDir = tmp();
    writeLock(dataDir, { pid: await deadPid(), host: `not-${hostname()}`, command: 'ercot-arb daemon', since: '2026-01-01T00:00:00.000Z' });
    expect(() => acquireStoreLock(dataDir, pgliteDir(dataDir))).toThrow(StoreLocked);
  });

  it('many concurrent acquirers in separate processes: exactly one wins', async () => {
    const dataDir = tmp();
    const lockModule = builtOrSource('src/store/store-lock.ts');
    const script = `
      const { acquireStoreLock } = await import(${JSON.stringify(pathToFileURL(lockModule.path).href)});
      try { acquireStoreLock(process.argv[1], process.argv[1] + '/pglite'); console.log('won'); setTimeout(() => {}, 3000); }
      catch (e) { console.log(e.name); }`;
    const runs = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, [...lockModule.execArgv, '--input-type=module', '-e', script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (c) => (out += c));
      return new Promise<string>((resolve) => child.on('exit', () => resolve(out.trim())));
    });
    const results = await Promise.all(runs);
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'StoreLocked')).toHaveLength(5);
  });
});

describe('creating a new embedded store', () => {
  it('appears complete (PG_VERSION) and migrates; an abandoned temporary folder from a killed creator is removed', async () => {
    const dataDir = tmp();
    const abandoned = join(dataDir, '.pglite-new-99999-dead');
    mkdirSync(join(abandoned, 'base'), { recursive: true });
    const opened = await openDatabase({ dataDir });
    try {
      expect(readFileSync(join(pgliteDir(dataDir), 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
      expect(existsSync(abandoned)).toBe(false);
      expect(readdirSync(dataDir).filter((n) => n.startsWith('.pglite-new-'))).toEqual([]);
      await migrateToLatest(opened.db);
      expect((await migrationStatus(opened.db)).pending).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('an empty store folder (made by hand or by an older version) becomes a store', async () => {
    const dataDir = tmp();
    mkdirSync(pgliteDir(dataDir));
    const opened = await openDatabase({ dataDir });
    await opened.close();
    expect(existsSync(join(pgliteDir(dataDir), 'PG_VERSION'))).toBe(true);
  });
});
