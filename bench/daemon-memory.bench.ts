/**
 * The daemon's resident memory while it runs cycles on the embedded store: the compiled `demo` (the daemon's own
 * dispatch jobs on the simulator channel, `DAEMON_BENCH_SITES` sites (default 10), 30 simulated 15-minute steps as
 * fast as they go) in a child process, which reports its peak RSS (process.resourceUsage). Once on a store it creates,
 * once on a store an earlier `db migrate` created (not an earlier demo: that would leave no job slot to run). `npm run bench -- daemon-memory`. Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The bundled CLI bin/ercot-arb.js runs: dist/bench/ → dist/src/cli/main.bundle.mjs; bench/ (tsx) → the same file. */
const MAIN = [join(here, '../src/cli/main.bundle.mjs'), join(here, '../dist/src/cli/main.bundle.mjs')].find((p) => existsSync(p));

function demoPeakRssMb(dataDir: string, sites: number): Promise<{ ms: number; maxRssMb: number }> {
  const script = `const { main } = await import(${JSON.stringify(`file://${MAIN}`)});
    process.exitCode = await main(process.argv.slice(1));
    process.on('exit', () => process.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));`;
  const args = ['demo', '--port', '0', '--sites', String(sites), '--speed', '0', '--steps', '30', '--exit', '--data-dir', dataDir];
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const rss = /MAXRSS_KB (\d+)/.exec(stderr);
      if (code !== 0 || !rss) reject(new Error(`ercot-arb demo exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ ms: performance.now() - started, maxRssMb: Number(rss[1]) / 1024 });
    });
  });
}

function dbMigrate(dataDir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [MAIN!, 'db', 'migrate', '--data-dir', dataDir], { env, stdio: 'ignore' });
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`db migrate exited ${code}`)))));
}

export async function run(): Promise<void> {
  if (!MAIN) {
    console.log('daemon-memory bench: build first (npm run build)');
    return;
  }
  const sites = Number.parseInt(process.env.DAEMON_BENCH_SITES ?? '10', 10);
  const dir = mkdtempSync(join(tmpdir(), 'ercot-arb-bench-daemon-'));
  try {
    // The existing store is made by an earlier process (`db migrate`), not by an earlier demo: a second demo on the
    // same folder replays the same simulated hours, finds every job slot already in job_runs and runs no cycle.
    await dbMigrate(join(dir, 'existing'));
    for (const [label, folder] of [['new store', 'new'], ['existing store', 'existing']] as const) {
      const r = await demoPeakRssMb(join(dir, folder), sites);
      console.log(`daemon running cycles (demo, ${sites} simulator sites, 30 steps), ${label}: peak RSS ${r.maxRssMb.toFixed(0)} MB, ${(r.ms / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
