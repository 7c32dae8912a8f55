/**
 * Control channels by name, each with a strictly validated config (zod `.strict()`: an unknown key is an error
 * naming the key, so a typo never silently falls back to a default). `createControlChannel(name, config, deps)`
 * builds one; a wrong name or config throws InvalidConfig (exit code 2, message names the channel and the field).
 */
import { z } from 'zod';
import { InvalidConfig } from '../../domain/errors.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import type { Clock } from '../../domain/time/clock.js';
import type { EnphaseClient } from '../enphase/client.js';
import type { ChannelHttpOptions } from './http.js';
import { EnphaseVppChannel } from './enphase-vpp.js';
import { TextureChannel } from './texture.js';
import { EnphaseBasicChannel } from './enphase-basic.js';
import { SimulatorChannel } from './simulator.js';

export interface ControlChannelDeps {
  clock: Clock;
  http?: ChannelHttpOptions;
  /** enphase-basic talks through the account's v4 client (its token store, call budget and throttling). */
  enphaseClient?: EnphaseClient;
}

const url = z.string().url();
const secret = z.string().min(1);

export const enphaseVppConfigSchema = z.object({
  baseUrl: url.default('https://vpp.enphaseenergy.com'),
  programId: z.string().min(1),
  apiKey: secret,
  clientId: secret,
  clientSecret: secret,
  exportAllowed: z.boolean().default(true),
  gridCharge: z.boolean().default(true),
  pageSize: z.number().int().min(1).max(100).default(100),
  timeoutMs: z.number().int().positive().default(30_000),
}).strict();

export const textureConfigSchema = z.object({
  baseUrl: url.default('https://api.texturehq.com'),
  apiKey: secret,
  /** Only with grid-services enrollment may a discharge export. */
  exportAllowed: z.boolean().default(false),
  gridCharge: z.boolean().default(true),
  /** How far before a window's start a command may have been sent, for findSent's matching. */
  findLookbackMs: z.number().int().positive().default(3_600_000),
  timeoutMs: z.number().int().positive().default(30_000),
}).strict();

export const enphaseBasicConfigSchema = z.object({
  /** The site lets the battery charge from the grid ("charge_from_grid" enabled): a charge may pull from the grid. */
  gridCharge: z.boolean().default(false),
  /** The site's own settings, restored when a window ends (cancel). */
  baseProfile: z.enum(['Self-consumption', 'Savings Mode', 'Full Backup']).default('Self-consumption'),
  baseReservePercent: z.number().int().min(0).max(100).default(20),
  /** A command must be sent within this long of its start (the API has no schedule). */
  startToleranceMs: z.number().int().min(0).default(5 * 60_000),
  /** Also read Storm Guard in readSettings (one more call from the account's budget). */
  readStormGuard: z.boolean().default(true),
}).strict();

const simulatedBatterySchema = z.object({
  capacityKwh: z.number().positive(),
  maxChargeKw: z.number().positive(),
  maxDischargeKw: z.number().positive(),
  roundTripEfficiency: z.number().gt(0).max(1).default(0.9),
  minReservePercent: z.number().min(0).max(100).default(10),
  degradationCostUsdPerKwh: z.number().min(0).default(0),
}).strict();

export const simulatorConfigSchema = z.object({
  sites: z.array(z.object({
    siteRef: z.string().min(1),
    battery: simulatedBatterySchema,
    initialSocPercent: z.number().min(0).max(100).default(50),
    baseMode: z.enum(['idle', 'self-consumption']).default('idle'),
  }).strict()).default([]),
  /** Behave like another channel (e.g. Texture: no scheduledStart / duration). */
  capabilities: z.object({
    exportAllowed: z.boolean(), gridCharge: z.boolean(), scheduledStart: z.boolean(), duration: z.boolean(), statusLookup: z.boolean(),
    listCommands: z.boolean(), powerSetpoint: z.boolean(), minDurationMs: z.number().int().min(0), maxDurationMs: z.number().int().positive(), minLeadMs: z.number().int().min(0),
  }).partial().strict().optional(),
}).strict();

type Factory = (config: unknown, deps: ControlChannelDeps) => ControlChannel;

function parse<S extends z.ZodType>(name: string, schema: S, config: unknown): z.infer<S> {
  const r = schema.safeParse(config ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
  const field = [...issue.path.map(String), ...keys].join('.') || '(config)';
  const message = keys.length ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  throw new InvalidConfig(`control channel "${name}": ${message}`, { field });
}

const FACTORIES: Record<string, Factory> = {
  'enphase-vpp': (config, deps) => new EnphaseVppChannel(parse('enphase-vpp', enphaseVppConfigSchema, config), deps),
  texture: (config, deps) => new TextureChannel(parse('texture', textureConfigSchema, config), deps),
  'enphase-basic': (config, deps) => {
    const cfg = parse('enphase-basic', enphaseBasicConfigSchema, config);
    if (!deps.enphaseClient) throw new InvalidConfig('control channel "enphase-basic" needs a connected Enphase account (run `ercot-arb enphase connect`)', { field: 'enphaseClient' });
    return new EnphaseBasicChannel(cfg, { clock: deps.clock, client: deps.enphaseClient });
  },
  simulator: (config, deps) => {
    const cfg = parse('simulator', simulatorConfigSchema, config);
    return new SimulatorChannel({
      clock: deps.clock, capabilities: cfg.capabilities,
      sites: cfg.sites.map((s) => ({ siteRef: s.siteRef, battery: s.battery, initialSocKwh: (s.battery.capacityKwh * s.initialSocPercent) / 100, baseMode: s.baseMode })),
    });
  },
};

export const CONTROL_CHANNEL_NAMES = (): string[] => Object.keys(FACTORIES);

export function createControlChannel(name: string, config: unknown, deps: ControlChannelDeps): ControlChannel {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) throw new InvalidConfig(`unknown control channel "${name}" (known: ${Object.keys(FACTORIES).join(', ')})`, { field: 'channel' });
  return factory(config, deps);
}
