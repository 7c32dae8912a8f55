import { describe, expect, it } from 'vitest';
import { SimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { MINUTE_MS } from '../../../src/domain/time/interval.js';
import { listCommands } from '../../../src/store/commands-repo.js';
import { backends, useDatabase } from '../../store/harness.js';
import { battery, makeWorld, T_1850 } from './fixture.js';

describe.each(backends())('a channel without start time or duration (Texture-like) on $name', (backend) => {
  const db = useDatabase(backend);

  it('the engine sends at the window start and ends the window itself', async () => {
    const w = await makeWorld(db().db);
    const texture = new SimulatorChannel({ clock: w.clock, capabilities: { scheduledStart: false, duration: false, minDurationMs: MINUTE_MS }, sites: [{ siteRef: 'S1', battery, initialSocKwh: 12 }] });
    const cycle = () => w.cycle({}, () => texture);
    await cycle(); // 18:50: the 19:00 window is known but not sent yet (it would take effect on receipt)
    expect(texture.sendCount()).toBe(0);
    expect((await listCommands(db().db, 'S1')).map((c) => c.state)).toEqual(['planned']);
    w.clock.set(T_1850 + 9 * MINUTE_MS + 30_000); // 18:59:30
    await cycle();
    expect(texture.sendCount()).toBe(1);
    expect(texture.accepted[0].mode).toBe('discharge');
    w.clock.set(T_1850 + 30 * MINUTE_MS); // 19:20: running, nothing new
    await cycle();
    expect(texture.sendCount()).toBe(1);
    const during = await listCommands(db().db, 'S1', { states: ['active'] });
    expect(during).toHaveLength(1);
    w.clock.set(T_1850 + 69 * MINUTE_MS + 30_000); // 19:59:30, within the lead of its end: the engine ends it
    await cycle();
    const after = await listCommands(db().db, 'S1');
    expect(after.find((c) => c.commandId === during[0].commandId)?.state).toBe('completed');
    w.clock.set(T_1850 + 85 * MINUTE_MS); // 20:15
    const socAtEnd = texture.reading('S1').socKwh;
    expect(socAtEnd).toBeLessThan(12 - 1);
    w.clock.set(T_1850 + 130 * MINUTE_MS);
    expect(texture.reading('S1').socKwh).toBeCloseTo(socAtEnd, 9); // no longer discharging
  });
});
