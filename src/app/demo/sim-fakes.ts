/**
 * The outside world of the simulated live loop: the fake ERCOT, Enphase, Enphase VPP and Texture servers on loopback,
 * on one simulated clock, with the device simulator behind the control fakes (the Enphase fake reports what those
 * batteries did). `startLocalSimFakes` runs them in this process (tests inspect them); sim-fakes-child.ts runs the same
 * in a child process, so that the process running the daemon holds only the daemon, as a deployed one does.
 * What the daemon side needs from either is `SimFakesHandle`: where the fakes listen, and moving their clock.
 */
import type { FakeBattery, FakeBatteryOptions } from '../../adapters/fakes/control/fake-battery.js';
import { FakeErcotData } from '../../adapters/fakes/ercot/data.js';
import { FakeErcotServer } from '../../adapters/fakes/ercot/server.js';
import { siteSpecOfBattery } from '../../adapters/fakes/enphase/battery-backed-site.js';
import { startFakeEnphase, type FakeEnphase } from '../../adapters/fakes/enphase/server.js';
import { startFakeTexture, type FakeTexture } from '../../adapters/fakes/texture/server.js';
import { startFakeVpp, type FakeVpp } from '../../adapters/fakes/vpp/server.js';
import { readDataFileSync } from '../../adapters/files/text-files.js';
import { FixedClock } from '../../domain/time/clock.js';
import { intervalFloor } from '../../domain/time/interval.js';

export type SimChannel = 'enphase-vpp' | 'texture';

export interface SimSiteSpec {
  channel: SimChannel;
  /** The Enphase system id (also the VPP site id, and the Texture device id as text). */
  systemId: number;
  battery?: FakeBatteryOptions;
  /** The site's control_settings (e.g. `{ exportAllowed: true }` for a Texture site enrolled in grid services). */
  controlSettings?: Record<string, unknown>;
}

/** What the fakes are started with; `ercotFiles` (price CSV files, .gz allowed) is what a child process can be given. */
export interface SimFakesSpec {
  startMs: number;
  sites: SimSiteSpec[];
  ercotData?: FakeErcotData;
  ercotFiles?: string[];
}

/** Where the fakes listen and the credentials they accept: the settings the daemon's clients are configured with. */
export interface SimFakesEndpoints {
  ercot: { baseUrl: string; tokenUrl: string; username: string; password: string; subscriptionKey: string };
  enphase: { url: string; apiKey: string };
  vpp: { url: string; programId: string; apiKey: string; clientId: string; clientSecret: string };
  texture: { url: string; apiKey: string };
}

export interface SimFakesHandle {
  endpoints: SimFakesEndpoints;
  /** An OAuth authorization code from the Enphase fake, as the homeowner's consent would give. */
  issueOauthCode(): Promise<string>;
  /** Moves the fakes' clock (and the batteries behind the control fakes) to `ms`. */
  moveTo(ms: number): Promise<void>;
  socPercent(systemIds: number[]): Promise<number[]>;
  /** Commands the channel fakes really received (VPP events booked + Texture mode commands; a `reset` is a cancel). */
  commandsReceived(): Promise<number>;
  close(): Promise<void>;
}

export interface LocalSimFakes extends SimFakesHandle {
  clock: FixedClock;
  ercot: FakeErcotServer;
  enphase: FakeEnphase;
  vpp: FakeVpp;
  texture: FakeTexture;
  battery(systemId: number): FakeBattery;
  /** The same count as `commandsReceived`, read directly. */
  commandsReceivedNow(): number;
}

function ercotDataOf(spec: SimFakesSpec): FakeErcotData {
  if (spec.ercotData) return spec.ercotData;
  const data = new FakeErcotData();
  for (const file of spec.ercotFiles ?? []) data.loadCsv(readDataFileSync(file), file);
  return data;
}

export async function startLocalSimFakes(spec: SimFakesSpec): Promise<LocalSimFakes> {
  const clock = new FixedClock(intervalFloor(spec.startMs));
  const vppSites = spec.sites.filter((s) => s.channel === 'enphase-vpp');
  const textureSites = spec.sites.filter((s) => s.channel === 'texture');
  const ercot = await new FakeErcotServer({ clock, data: ercotDataOf(spec), publishedOnly: true, tokenLifetimeS: 30 * 86_400 }).start();
  const vpp = await startFakeVpp({ clock, sites: vppSites.map((s) => ({ siteId: s.systemId, ...s.battery })) });
  const texture = await startFakeTexture({ clock, devices: textureSites.map((s) => ({ deviceId: String(s.systemId), ...s.battery })) });
  const channelOf = new Map(spec.sites.map((s) => [s.systemId, s.channel]));
  const battery = (systemId: number): FakeBattery => {
    const channel = channelOf.get(systemId);
    if (!channel) throw new Error(`no simulated system ${systemId}`);
    return channel === 'enphase-vpp' ? vpp.book.battery(systemId) : texture.battery(String(systemId));
  };
  const enphase = await startFakeEnphase({
    clock,
    sites: spec.sites.map((s) => siteSpecOfBattery(s.systemId, battery(s.systemId).spec)),
    batteries: Object.fromEntries(spec.sites.map((s) => [s.systemId, () => battery(s.systemId)])),
  });
  const commandsReceivedNow = () => vpp.createdEvents().length + texture.createdCommands().filter((c) => c.input.operatingMode !== 'reset').length;
  return {
    clock, ercot, enphase, vpp, texture, battery, commandsReceivedNow,
    endpoints: {
      ercot: { baseUrl: ercot.baseUrl, tokenUrl: ercot.tokenUrl, ...ercot.credentials },
      enphase: { url: enphase.url, apiKey: enphase.apiKey },
      vpp: { url: vpp.url, programId: vpp.programId, apiKey: vpp.apiKey, clientId: vpp.clientId, clientSecret: vpp.clientSecret },
      texture: { url: texture.url, apiKey: texture.apiKey },
    },
    issueOauthCode: async () => enphase.oauth.issueCode(),
    async moveTo(ms) {
      clock.set(ms);
      vpp.advanceTo(ms);
      await texture.advanceTo(ms);
    },
    socPercent: async (systemIds) => systemIds.map((id) => battery(id).socPercent),
    commandsReceived: async () => commandsReceivedNow(),
    async close() {
      await Promise.all([ercot.stop(), enphase.close(), vpp.close(), texture.close()]);
    },
  };
}
