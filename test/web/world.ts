/**
 * The review app's test world: a PGlite store (PostgreSQL too when DATABASE_URL is set, via the harness) filled by a
 * short simulated run (sites on the simulator channel, the real planner, dispatch cycles on a fixed clock), a stored
 * replay run, and the app on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { insertReplayRun } from '../../src/store/replay-runs-repo.js';
import type { Executor } from '../../src/store/database.js';
import { createReviewApp } from '../../src/web/app.js';
import { hashSecret } from '../../src/web/auth.js';
import { makeWorld, type World } from '../app/dispatch/fixture.js';

export const PASSWORD = 'correct horse battery staple';

export interface WebWorld {
  world: World;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startWebWorld(db: Executor, siteIds: string[], prepare: (db: Executor) => Promise<void> = async () => undefined): Promise<WebWorld> {
  const world = await makeWorld(db, siteIds, 60);
  await prepare(db);
  await world.cycle();
  await insertReplayRun(db, { scenarioName: 'july-week', scenarioHash: 'abc123', strategy: 'perfect-foresight', report: { start: '2026-07-01', end: '2026-07-08', settlementPoint: 'HB_HOUSTON', baselineCostUsd: 40, strategy: { kind: 'lp', netValueUsd: 12.5, captureRate: 1, chargedKwh: 100, dischargedKwh: 81, cycles: 4, commands: 0, cumulativeValueUsd: [{ atMs: 1_782_864_000_000, valueUsd: 0 }, { atMs: 1_783_468_800_000, valueUsd: 12.5 }] }, violations: [] } });
  const handler = createReviewApp({ db, secretHash: hashSecret(PASSWORD), nowMs: () => world.clock.nowMs(), secureCookies: true });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { world, baseUrl: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
