/**
 * A fresh PGlite data directory, made once per machine and PGlite version and kept as an archive in the user's cache
 * (`$ERCOT_ARB_CACHE_DIR`, else `$XDG_CACHE_HOME/ercot-arb`, else `~/.cache/ercot-arb`).
 *
 * PGlite's `initdb` (bootstrapping the catalogs in WebAssembly, in a second PGlite instance) is most of the cost of a
 * new store: 4–9 s and ~850 MB resident. Unpacking its result is ~0.1 s. So the first store on a machine runs initdb
 * once and keeps the result; every later store (and every in-memory test database) starts from that archive. The
 * archive is exactly what PGlite itself does with initdb's output (dump, then unpack into the data folder).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import type { PGliteOptions } from '@electric-sql/pglite';

let tiered = false;

/**
 * PGlite, with V8 told to keep WebAssembly on its baseline compiler (Liftoff) unless code is very hot. By default V8
 * recompiles PGlite's 10 MB module with TurboFan in background threads as soon as it runs: on a short command that
 * is ~0.9 s of CPU and ~100 MB resident spent on code that is used once. Measured on `db status`: 1.7 → 0.8 s CPU,
 * 250 → 150 MB; a 12,000-row import also got faster. The flag is process-wide and set only when a process first
 * opens PGlite (so processes without a store are untouched); `ERCOT_ARB_WASM_TIERUP=1` keeps V8's default.
 */
export async function loadPglite(): Promise<typeof import('@electric-sql/pglite')> {
  if (!tiered) {
    tiered = true;
    if (process.env.ERCOT_ARB_WASM_TIERUP !== '1') {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--wasm-tiering-budget=1000000000');
    }
  }
  return import('@electric-sql/pglite');
}

/**
 * PGlite options for every instance we open. `shared_buffers` 16 MB instead of 128 MB: our tables are small, PGlite
 * reads through the OS page cache anyway, and it saves ~110 MB resident per process. Durability is PGlite's own
 * (its default start parameters); nothing is relaxed here.
 */
export async function pgliteOptions(): Promise<Pick<PGliteOptions, 'startParams'>> {
  const { PGlite } = await loadPglite();
  const defaults = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams ?? [];
  return { startParams: [...defaults, '-c', 'shared_buffers=16MB'] };
}

let installedVersion: string | undefined;

/** The installed @electric-sql/pglite version (the archive only fits the version that made it). */
export function pgliteVersion(): string {
  if (installedVersion) return installedVersion;
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return (installedVersion = pkg.version);
    } catch {
      /* not here */
    }
  }
  return (installedVersion = 'unknown');
}

export function cacheDir(): string {
  if (process.env.ERCOT_ARB_CACHE_DIR) return resolve(process.env.ERCOT_ARB_CACHE_DIR);
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'ercot-arb');
  const home = homedir();
  return home ? join(home, '.cache', 'ercot-arb') : join(tmpdir(), 'ercot-arb-cache');
}

export function templateArchivePath(): string {
  return join(cacheDir(), `pglite-${pgliteVersion()}-initdb.tar.gz`);
}

let pending: Promise<Uint8Array> | undefined;

/**
 * The tar of a fresh data directory (uncompressed): from the cached archive, else made now (initdb) and cached.
 * `keep` (in-memory databases: test files open many) keeps it in memory for the life of the process; without it
 * (creating a store folder, once per process) it is dropped after use: the tar is ~40 MB, and a daemon that created
 * its store would otherwise carry it as resident memory for as long as it runs.
 */
export function freshDataDirArchive(options: { keep?: boolean } = { keep: true }): Promise<Uint8Array> {
  if (pending) return pending;
  // Node's zlib, not fflate: 0.1 s of CPU instead of 0.2–0.3 s for the ~40 MB tar, once per process that opens a store.
  const made = readOrMakeArchive().then((gz) => {
    const tar = gunzipSync(gz);
    return new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength);
  });
  if (!options.keep) return made;
  pending = made.catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function readOrMakeArchive(): Promise<Uint8Array> {
  const path = templateArchivePath();
  try {
    const bytes = new Uint8Array(readFileSync(path));
    if (isGzip(bytes)) return bytes;
  } catch {
    /* not cached yet */
  }
  const { PGlite } = await loadPglite();
  const pglite = await PGlite.create(await pgliteOptions());
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
  } finally {
    await pglite.close();
  }
  saveQuietly(path, bytes);
  return bytes;
}

/** Atomic (temporary file, then rename), and best effort: a read-only home only costs the next store an initdb. */
function saveQuietly(path: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch {
    /* no cache this time */
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length > 1024 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Unpacks a tar (plain ustar, files and directories only, as PGlite writes it) into `dir`, which must not exist. */
export function unpackArchive(tar: Uint8Array, dir: string): void {
  mkdirSync(dir, { recursive: false });
  const root = resolve(dir);
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = joinName(field(header, 345, 155), field(header, 0, 100));
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const target = resolve(root, `.${sep}${name}`);
    if (target !== root && !target.startsWith(root + sep)) throw new Error(`data directory archive: entry outside the folder: ${name}`);
    const body = offset + 512;
    if (type === '5') mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, tar.subarray(body, body + size));
    } else throw new Error(`data directory archive: unexpected entry type ${JSON.stringify(type)} for ${name}`);
    offset = body + Math.ceil(size / 512) * 512;
  }
}

function field(header: Uint8Array, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function joinName(prefix: string, name: string): string {
  return (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, '');
}
