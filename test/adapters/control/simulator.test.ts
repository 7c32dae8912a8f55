import { describe, expect, it } from 'vitest';
import { SimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { ChannelError, type ChannelCommandRequest } from '../../../src/domain/ports/control-channel.js';
import type { BatterySpec } from '../../../src/domain/battery/battery.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { HOUR_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';

const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 20, degradationCostUsdPerKwh: 0 };
const t0 = Date.UTC(2026, 6, 1, 5);

function setup(capabilities = {}) {
  const clock = new FixedClock(t0);
  const channel = new SimulatorChannel({ clock, capabilities, sites: [{ siteRef: 'S1', battery, initialSocKwh: 5 }] });
  return { clock, channel };
}

function req(partial: Partial<ChannelCommandRequest> = {}): ChannelCommandRequest {
  return { idempotencyKey: 'k1', siteRef: 'S1', mode: 'charge', powerKw: 4, targetReservePercent: 100, startMs: t0 + 15 * MINUTE_MS, endMs: t0 + 75 * MINUTE_MS, supersede: false, ...partial };
}

describe('SimulatorChannel', () => {
  it('a scheduled charge really charges the simulated battery and walks scheduled → active → completed', async () => {
    const { clock, channel } = setup();
    const sent = await channel.send(req());
    expect(sent.status).toBe('scheduled');
    clock.set(t0 + 30 * MINUTE_MS);
    expect((await channel.status('S1', sent.externalId)).status).toBe('active');
    clock.set(t0 + 2 * HOUR_MS);
    expect((await channel.status('S1', sent.externalId)).status).toBe('completed');
    // 1 h at 4 kW, one-way efficiency 0.9: +3.6 kWh
    expect(channel.reading('S1').socKwh).toBeCloseTo(5 + 3.6, 9);
    expect(channel.violations('S1')).toEqual([]);
  });

  it('rejects a start less than the lead time ahead as permanent', async () => {
    const { channel } = setup();
    await expect(channel.send(req({ startMs: t0 + 30_000 }))).rejects.toMatchObject({ kind: 'permanent' });
    expect(channel.sendCount()).toBe(0);
  });

  it('a lost response creates the command; findSent finds it by key; nothing is created twice', async () => {
    const { channel } = setup();
    channel.failNextSends({ kind: 'unknown-outcome' });
    const err = await channel.send(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).kind).toBe('unknown-outcome');
    expect(channel.sendCount('S1')).toBe(1);
    const found = await channel.findSent(req());
    expect(found?.status).toBe('scheduled');
    expect(await channel.findSent(req({ idempotencyKey: 'other', startMs: t0 + HOUR_MS }))).toBeNull();
  });

  it('throttled and auth failures create nothing', async () => {
    const { channel } = setup();
    channel.failNextSends({ kind: 'throttled', retryAfterMs: 60_000 }, { kind: 'auth' });
    await expect(channel.send(req())).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 60_000, httpStatus: 429 });
    await expect(channel.send(req())).rejects.toMatchObject({ kind: 'auth', httpStatus: 401 });
    expect(channel.sendCount()).toBe(0);
    expect(await channel.findSent(req())).toBeNull();
  });

  it('cancel before the start deletes it: the battery does not move', async () => {
    const { clock, channel } = setup();
    const sent = await channel.send(req());
    expect((await channel.cancel('S1', sent.externalId)).status).toBe('deleted');
    clock.set(t0 + 2 * HOUR_MS);
    expect(channel.reading('S1').socKwh).toBeCloseTo(5, 12);
  });

  it('a discharge ends early at its target and reports stopped', async () => {
    const { clock, channel } = setup();
    const sent = await channel.send(req({ mode: 'discharge', targetReservePercent: 20 }));
    clock.set(t0 + 2 * HOUR_MS);
    expect((await channel.status('S1', sent.externalId)).status).toBe('stopped');
    expect(channel.reading('S1').socPercent).toBeCloseTo(20, 9);
  });

  it('without scheduled start (Texture-like) a command takes effect on receipt and runs until a reset', async () => {
    const { clock, channel } = setup({ scheduledStart: false, duration: false });
    const sent = await channel.send(req({ startMs: t0, endMs: t0 + HOUR_MS }));
    clock.set(t0 + 2 * HOUR_MS);
    expect((await channel.status('S1', sent.externalId)).status).toBe('active');
    await channel.send(req({ idempotencyKey: 'k2', mode: 'idle', startMs: clock.nowMs(), endMs: clock.nowMs() }));
    expect((await channel.status('S1', sent.externalId)).status).toBe('active'); // ends a minute after the reset was received
    clock.advance(HOUR_MS);
    expect((await channel.status('S1', sent.externalId)).status).toBe('stopped');
  });

  it('reads back Storm Guard and a manual reserve change; unavailable reads are transient', async () => {
    const { channel } = setup();
    expect(await channel.readSettings('S1')).toMatchObject({ reservePercent: 20, stormGuardActive: false });
    channel.setStormGuard('S1', true);
    channel.setManualChange('S1', { reservePercent: 80 });
    expect(await channel.readSettings('S1')).toMatchObject({ reservePercent: 80, stormGuardActive: true });
    channel.setSettingsUnavailable('S1', true);
    await expect(channel.readSettings('S1')).rejects.toMatchObject({ kind: 'transient' });
  });
});

describe('createSimulatorChannel', () => {
  it('creates a battery per site on first use from the site battery; unknown sites are refused', async () => {
    const clock = new FixedClock(t0);
    const channel = (await import('../../../src/adapters/control/simulator.js')).createSimulatorChannel({ clock, batteryFor: (ref) => (ref === 'S9' ? battery : undefined), initialSocPercent: 40 });
    expect(channel.reading('S9').socPercent).toBeCloseTo(40, 9);
    await channel.send(req({ siteRef: 'S9' }));
    expect(channel.sendCount('S9')).toBe(1);
    await expect(channel.send(req({ siteRef: 'nope' }))).rejects.toMatchObject({ kind: 'permanent' });
  });
});
