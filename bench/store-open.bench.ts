/**
 * What the embedded store costs a command: wall time and peak resident memory of the real CLI in a child process,
 * for creating a store (first on this machine, i.e. with PGlite's initdb; and later, from the cached archive),
 * opening an existing one (`db status`), and a 2-day replay with and without saving its report.
 * `npm run bench -- store-open` (the CLI must be built: npm run bench builds it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The bundled CLI bin/ercot-arb.js runs: dist/bench/ → dist/src/cli/main.bundle.mjs; bench/ (tsx) → the same file. */
const MAIN = [join(here, '../src/cli/main.bundle.mjs'), join(here, '../dist/src/cli/main.bundle.mjs')].find((p) => existsSync(p));
const REPO = [join(here, '../..'), join(here, '..')].find((p) => existsSync(join(p, 'scenarios/smoke-2day.json')))!;
const REPEAT = Number(process.env.BENCH_REPEAT ?? '3');

interface Measured {
  ms: number;
  maxRssMb: number;
}

/** Runs the CLI once; the child reports its own peak RSS (process.resourceUsage) on stderr. */
function measure(args: string[], env: Record<string, string> = {}): Promise<Measured> {
  const script = `const { main } = await import(${JSON.stringify(`file://${MAIN}`)});
    process.exitCode = await main(process.argv.slice(1));
    process.on('exit', () => process.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));`;
  const started = performance.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...env };
  delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { cwd: REPO, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const rss = /MAXRSS_KB (\d+)/.exec(stderr);
      if (code !== 0 || !rss) reject(new Error(`ercot-arb ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
      else resolve({ ms, maxRssMb: Number(rss[1]) / 1024 });
    });
  });
}

async function case_(name: string, once: () => Promise<Measured>): Promise<void> {
  const runs: Measured[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await once());
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const rss = Math.max(...runs.map((r) => r.maxRssMb));
  console.log(`${name.padEnd(44)} median ${(ms[Math.floor(ms.length / 2)] / 1000).toFixed(2)} s  (min ${(ms[0] / 1000).toFixed(2)})  peak RSS ${rss.toFixed(0)} MB`);
}

export async function run(): Promise<void> {
  if (!MAIN) {
    console.log('store-open bench: build first (npm run build)');
    return;
  }
  const temps: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'ercot-arb-bench-store-'));
    temps.push(d);
    return d;
  };
  console.log(`\nembedded store, real CLI in a child process (${REPEAT} runs each)`);
  try {
    await case_('create, first on this machine (initdb)', () => measure(['db', 'migrate', '--data-dir', tmp()], { ERCOT_ARB_CACHE_DIR: tmp() }));
    await case_('create (db migrate on a new folder)', () => measure(['db', 'migrate', '--data-dir', tmp()]));
    const existing = tmp();
    await measure(['db', 'migrate', '--data-dir', existing]);
    await case_('open existing (db status)', () => measure(['db', 'status', '--data-dir', existing]));
    await case_('replay smoke-2day --no-store', () => measure(['replay', 'scenarios/smoke-2day.json', '--no-store', '--data-dir', existing]));
    await case_('replay smoke-2day, report saved', () => measure(['replay', 'scenarios/smoke-2day.json', '--data-dir', existing]));
  } finally {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
}
