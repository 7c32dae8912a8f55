/** `ercot-arb demo`: the live loop on one machine, no account, every outside service a loopback fake (src/app/demo/live-demo.ts, sim-world.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliContext } from '../context.js';
import { loadConfig } from '../../app/config.js';
import { createDemoWorld, formatDemoStep } from '../../app/demo/live-demo.js';
import { waitForSignal } from '../../app/scheduler/scheduler.js';
import { InputError } from '../../domain/errors.js';
import { openStore } from '../../store/open.js';
import { mountReviewPages } from '../../web/mount.js';

export interface DemoFlags {
  port: string;
  sites: string;
  speed: string;
  steps?: string;
  dataDir?: string;
  exit?: boolean;
}

function intFlag(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`--${name}: "${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

export async function runDemo(ctx: CliContext, flags: DemoFlags): Promise<void> {
  const port = intFlag('port', flags.port, 0, 65535);
  const sites = intFlag('sites', flags.sites, 1, 50);
  const msPerInterval = intFlag('speed', flags.speed, 0, 60_000);
  const steps = flags.steps === undefined ? undefined : intFlag('steps', flags.steps, 1, 10_000);
  const cfg = loadConfig({ ...process.env, DATABASE_URL: undefined });
  const dataDir = flags.dataDir ?? mkdtempSync(join(tmpdir(), 'ercot-arb-demo-'));
  const logger = ctx.logger();
  // The demo's own lines say what happens; the jobs' info logs would drown them. LOG_LEVEL=info shows them again.
  if (!process.env.LOG_LEVEL) logger.level = 'warn';
  const store = await openStore(cfg, { dataDir, logger, createInChild: true, leanWasm: true });
  try {
    const world = await createDemoWorld(store.db, logger, { sites, steps });
    mountReviewPages(world.daemon.http, { db: store.db, cfg, logger, publicRead: true, nowMs: () => world.world.clock.nowMs() });
    const bound = await world.daemon.listen(port, '127.0.0.1');
    const w = world.world;
    ctx.stdout.write(`demo store: ${store.location}\n`);
    ctx.stdout.write(`review pages: http://127.0.0.1:${bound}/fleet (read-only without a password; set ERCOT_ARB_WEB_PASSWORD to approve/hold)\n`);
    ctx.stdout.write(`metrics: http://127.0.0.1:${bound}/metrics\n`);
    const f = w.fakes.endpoints;
    ctx.stdout.write(`fakes on loopback (their own process): ERCOT ${new URL(f.ercot.baseUrl).origin}, Enphase ${f.enphase.url}, Enphase VPP ${f.vpp.url}, Texture ${f.texture.url}\n`);
    ctx.stdout.write(`${sites} simulated batteries (${w.sites.map((s) => `${s.siteId} on ${s.channel}`).join(', ')}), real HB_HOUSTON prices of 2024-08-19/20 as ERCOT published them; one 15-minute step every ${msPerInterval} ms\n`);
    let stop = false;
    const onSignal = () => (stop = true);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    for (let i = 0; i < world.steps && !stop; i++) {
      const step = await world.step();
      ctx.stdout.write(formatDemoStep(step));
      for (const line of step.statuses.filter((s) => !/: (dispatching|idle)\b/.test(s))) ctx.stdout.write(`  ${line}\n`);
      if (msPerInterval > 0) await sleep(msPerInterval);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    ctx.stdout.write(`demo finished: ${await w.fakes.commandsReceived()} commands reached the simulated batteries\n`);
    if (!flags.exit && !stop) {
      ctx.stdout.write('the pages stay up: Ctrl-C to stop\n');
      await waitForSignal();
    }
    await world.close();
  } finally {
    await store.close();
  }
}
