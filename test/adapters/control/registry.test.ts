/**
 * The control-channel registry: channels by name, strictly validated configs (an unknown key is an InvalidConfig
 * naming the key), defaults, and clear errors for an unknown channel or a missing Enphase account.
 */
import { describe, expect, it } from 'vitest';
import { CONTROL_CHANNEL_NAMES, createControlChannel } from '../../../src/adapters/control/registry.js';
import { channelAccountConfig } from '../../../src/app/control-channels.js';
import { configSchema } from '../../../src/app/config.js';
import { InvalidConfig, isInputError } from '../../../src/domain/errors.js';
import { FixedClock } from '../../../src/domain/time/clock.js';

const deps = { clock: new FixedClock(Date.UTC(2026, 0, 1)) };
const vpp = { programId: 'p', apiKey: 'k', clientId: 'c', clientSecret: 's' };

function configError(fn: () => unknown): InvalidConfig {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfig);
    expect(isInputError(error)).toBe(true);
    return error as InvalidConfig;
  }
  throw new Error('expected InvalidConfig');
}

describe('control-channel registry', () => {
  it('knows the remote channels by name', () => {
    expect(CONTROL_CHANNEL_NAMES()).toEqual(expect.arrayContaining(['enphase-vpp', 'texture', 'enphase-basic']));
    expect(createControlChannel('enphase-vpp', vpp, deps).name).toBe('enphase-vpp');
    expect(createControlChannel('texture', { apiKey: 'k' }, deps).name).toBe('texture');
    expect(CONTROL_CHANNEL_NAMES()).toContain('simulator');
  });

  it('simulator: sites and capabilities from config; the simulated battery is there to command', async () => {
    const sim = createControlChannel('simulator', {
      sites: [{ siteRef: 's1', battery: { capacityKwh: 10, maxChargeKw: 5, maxDischargeKw: 5 }, initialSocPercent: 80 }],
      capabilities: { scheduledStart: false, duration: false },
    }, deps);
    expect(sim.capabilities()).toMatchObject({ scheduledStart: false, duration: false, statusLookup: true });
    const t = deps.clock.nowMs();
    const sent = await sim.send({ idempotencyKey: 'k', siteRef: 's1', mode: 'discharge', powerKw: 2, targetReservePercent: 20, startMs: t + 60_000, endMs: t + 3_600_000, supersede: true });
    expect(sent.externalId).toBeTruthy();
    expect(configError(() => createControlChannel('simulator', { sites: [{ siteRef: 's1', battery: { capacityKwh: 10, maxChargeKw: 5, maxDischargeKw: 5, colour: 'red' } }] }, deps)).message).toMatch(/"colour"/);
  });

  it('an unknown key is an error naming the key and the channel', () => {
    const e = configError(() => createControlChannel('enphase-vpp', { ...vpp, programID: 'typo' }, deps));
    expect(e.message).toMatch(/enphase-vpp/);
    expect(e.message).toMatch(/"programID"/);
    expect(e.location.field).toBe('programID');
    expect(configError(() => createControlChannel('texture', { apiKey: 'k', webhookSecret: 'x' }, deps)).message).toMatch(/unknown key "webhookSecret"/);
  });

  it('missing or wrong values name the field; defaults fill the rest', () => {
    expect(configError(() => createControlChannel('enphase-vpp', { ...vpp, programId: undefined }, deps)).location.field).toBe('programId');
    expect(configError(() => createControlChannel('enphase-vpp', { ...vpp, pageSize: 500 }, deps)).location.field).toBe('pageSize');
    expect(configError(() => createControlChannel('texture', { apiKey: 'k', baseUrl: 'not a url' }, deps)).location.field).toBe('baseUrl');
    const ch = createControlChannel('enphase-vpp', vpp, deps);
    expect(ch.capabilities()).toMatchObject({ exportAllowed: true, gridCharge: true, maxDurationMs: 4 * 3_600_000 });
    expect(createControlChannel('texture', { apiKey: 'k' }, deps).capabilities().exportAllowed).toBe(false);
  });

  it('an unknown channel lists the known ones; enphase-basic without an Enphase account says how to connect one', () => {
    expect(configError(() => createControlChannel('tesla', {}, deps)).message).toMatch(/unknown control channel "tesla" \(known: .*enphase-vpp/);
    expect(configError(() => createControlChannel('enphase-basic', {}, deps)).message).toMatch(/enphase connect/);
    expect(configError(() => createControlChannel('enphase-basic', { reserve: 20 }, deps)).message).toMatch(/"reserve"/);
  });

  it('a secret never appears in a config error', () => {
    const e = configError(() => createControlChannel('enphase-vpp', { ...vpp, clientSecret: 'sup3r-s3cret', timeoutMs: -1 }, deps));
    expect(e.message).not.toContain('sup3r-s3cret');
  });

  it('account config from the environment: the VPP and Texture credentials; a missing one names the variable', () => {
    const env = configSchema.parse({ ENPHASE_VPP_PROGRAM_ID: 'prog', ENPHASE_VPP_API_KEY: 'k', ENPHASE_VPP_CLIENT_ID: 'c', ENPHASE_VPP_CLIENT_SECRET: 's', TEXTURE_API_KEY: 't' });
    expect(channelAccountConfig('enphase-vpp', env)).toMatchObject({ baseUrl: 'https://vpp.enphaseenergy.com', programId: 'prog' });
    expect(createControlChannel('enphase-vpp', { ...channelAccountConfig('enphase-vpp', env), exportAllowed: false }, deps).capabilities().exportAllowed).toBe(false);
    expect(createControlChannel('texture', channelAccountConfig('texture', env), deps).name).toBe('texture');
    const e = configError(() => channelAccountConfig('enphase-vpp', configSchema.parse({ ENPHASE_VPP_PROGRAM_ID: 'prog' })));
    expect(e.message).toMatch(/ENPHASE_VPP_API_KEY/);
  });
});
