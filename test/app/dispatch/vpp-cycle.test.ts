/**
 * The dispatch cycle against the enphase-vpp channel (from the registry) and the fake VPP server on loopback, whose
 * battery is the device simulator: the peak window becomes one event; a lost create reply is resolved by listing
 * the site's events (the create has no client reference) and never creates a second event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import { startFakeVpp, type FakeVpp } from '../../../src/adapters/fakes/vpp/server.js';
import { runDispatchCycle } from '../../../src/app/dispatch/cycle.js';
import type { ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';
import { listCommands } from '../../../src/store/commands-repo.js';
import { getSite, upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry } from '../../../src/store/telemetry-repo.js';
import { backends, useDatabase } from '../../store/harness.js';
import { battery, makeWorld, planner, T_1850 } from './fixture.js';

let fake: FakeVpp | undefined;
afterEach(async () => fake?.close());

describe.each(backends())('dispatch cycle with enphase-vpp on the fake VPP ($name)', (backend) => {
  const db = useDatabase(backend);

  it('sends the peak window as one event; a lost create reply is resolved by listing, never a second event', async () => {
    await db().db.deleteFrom('sites').execute();
    const w = await makeWorld(db().db);
    const site = (await getSite(db().db, 'S1'))!;
    await upsertSite(db().db, { ...site, enphaseSystemId: '1001', controlChannel: 'enphase-vpp' });
    fake = await startFakeVpp({ clock: w.clock, sites: [{ siteId: 1001, battery, initialSocPercent: 60, conditions: () => ({ loadKw: 0, solarKw: 0 }) }] });
    const channel: ControlChannel = createControlChannel('enphase-vpp', { baseUrl: fake.url, programId: fake.programId, apiKey: fake.apiKey, clientId: fake.clientId, clientSecret: fake.clientSecret, timeoutMs: 5_000 }, { clock: w.clock });
    const p = await planner();
    const cycle = async () => {
      const nowMs = w.clock.nowMs();
      const soc = fake!.book.battery(1001).socPercent;
      await upsertTelemetry(db().db, [{ siteId: 'S1', intervalEndMs: nowMs - (nowMs % INTERVAL_MS), socPercent: soc, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
      return runDispatchCycle({ db: db().db, planner: p, channelFor: () => channel, sleep: async () => undefined }, { nowMs });
    };

    fake.loseNext(1, 'destroy');
    await cycle();
    expect(fake.createdEvents()).toHaveLength(1);
    w.clock.advance(MINUTE_MS);
    await cycle();
    expect(fake.createdEvents()).toHaveLength(1);
    const [row] = await listCommands(db().db, 'S1');
    expect(row.externalId).toBe(fake.createdEvents()[0].eventId);
    expect(['accepted', 'scheduled']).toContain(row.state);

    w.clock.set(T_1850 + 80 * MINUTE_MS); // 20:10
    await cycle();
    const done = (await listCommands(db().db, 'S1')).find((c) => c.commandId === row.commandId)!;
    expect(['completed', 'reverted_early']).toContain(done.state);
    expect(fake.book.battery(1001).socPercent).toBeLessThan(45);
    expect(fake.createdEvents().filter((e) => e.startMs < T_1850 + 80 * MINUTE_MS)).toHaveLength(1);
  });
});
