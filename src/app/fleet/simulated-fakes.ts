/**
 * The loopback fakes of a simulated fleet (tests and the fleet bench): the fake VPP (the sites' control channel) and
 * the fake Enphase monitoring API whose telemetry is what the VPP fake's batteries really did (battery-backed sites,
 * src/adapters/fakes/enphase/battery-backed-site.ts). Both run on one pinned clock that starts an hour before
 * SIM_NOW_MS and is moved to it, so each site has four reported intervals; the Enphase quotas count wall-clock
 * minutes (`quotaClock`), as the workers' budget does. `connectSimulatedAccount` connects one Enphase account that
 * lists every site's system, as `enphase connect` and `sites sync` would.
 */
import { siteSpecOfBattery } from '../../adapters/fakes/enphase/battery-backed-site.js';
import { startFakeEnphase, type FakeEnphase } from '../../adapters/fakes/enphase/server.js';
import { startFakeVpp, type FakeVpp } from '../../adapters/fakes/vpp/server.js';
import { FixedClock } from '../../domain/time/clock.js';
import { HOUR_MS, intervalFloor } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { createSecretBox } from '../../store/secret-box.js';
import { DEFAULT_REDIRECT_URI } from '../enphase/account.js';
import { connectAccount } from '../enphase/connect.js';
import { updateAccountMetadata } from '../enphase/tokens.js';
import { systemClock } from '../system-clock.js';
import { SIM_BATTERY, SIM_NOW_MS, simVppSiteId, simVppSites } from './simulated-fleet.js';

export const SIM_SECRET_KEY = 'simulated fleet secret key';
export const SIM_ACCOUNT = 'sim-fleet';

export interface SimulatedFakes {
  clock: FixedClock;
  vpp: FakeVpp;
  enphase: FakeEnphase;
  /** What a worker process needs to reach both fakes (FLEET_VPP_* and the Enphase application, the secret key). */
  workerEnv(limits: { perMinute: number; perMonth: number }): Record<string, string>;
  close(): Promise<void>;
}

export async function startSimulatedFakes(n: number, o: { enphasePerMinuteLimit?: number } = {}): Promise<SimulatedFakes> {
  const clock = new FixedClock(intervalFloor(SIM_NOW_MS) - HOUR_MS);
  const vpp = await startFakeVpp({ clock, sites: simVppSites(n) });
  const ids = Array.from({ length: n }, (_, i) => simVppSiteId(i));
  const enphase = await startFakeEnphase({
    clock, quotaClock: systemClock, perMinuteLimit: o.enphasePerMinuteLimit,
    sites: ids.map((systemId) => siteSpecOfBattery(systemId, SIM_BATTERY)),
    batteries: Object.fromEntries(ids.map((id) => [id, () => vpp.book.battery(id)])),
  });
  vpp.advanceTo(SIM_NOW_MS);
  return {
    clock, vpp, enphase,
    workerEnv: (limits) => ({
      FLEET_VPP_URL: vpp.url, FLEET_VPP_PROGRAM: vpp.programId, FLEET_VPP_API_KEY: vpp.apiKey, FLEET_VPP_CLIENT_ID: vpp.clientId, FLEET_VPP_CLIENT_SECRET: vpp.clientSecret,
      ERCOT_ARB_SECRET_KEY: SIM_SECRET_KEY, ENPHASE_API_BASE_URL: enphase.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: enphase.apiKey,
      ENPHASE_CALLS_PER_MINUTE: String(limits.perMinute), ENPHASE_CALLS_PER_MONTH: String(limits.perMonth),
    }),
    async close() {
      await Promise.all([vpp.close(), enphase.close()]);
    },
  };
}

/** Connects the simulated account (tokens from the fake's OAuth, stored encrypted) listing the n sites' systems. */
export async function connectSimulatedAccount(db: Executor, fakes: SimulatedFakes, n: number): Promise<void> {
  const box = createSecretBox(SIM_SECRET_KEY);
  const oauth = { baseUrl: fakes.enphase.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: DEFAULT_REDIRECT_URI };
  await connectAccount({ db, box, oauth, clock: systemClock, accountKey: SIM_ACCOUNT, code: fakes.enphase.oauth.issueCode() });
  await updateAccountMetadata(db, box, SIM_ACCOUNT, { systemIds: Array.from({ length: n }, (_, i) => String(simVppSiteId(i))) });
}
