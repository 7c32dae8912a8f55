/**
 * The `texture` control channel: Texture's battery command API (wire format and assumptions in texture-wire.ts and
 * docs/control-channels.md). A command sets the device's operating mode NOW: there is no start time and no duration,
 * so the engine sends it at the window's start (the dispatcher times the send) and ends the window itself with the
 * next command or `cancel` (a `reset` command, returning the device to its own settings).
 *  - charge    → operatingMode charge, maximumBatteryReserve = target, enableGridInteraction = grid charge allowed;
 *  - discharge → operatingMode discharge, minimumBatteryReserve = target, enableGridInteraction = export allowed;
 *  - idle      → operatingMode idle.
 * Results arrive asynchronously (poll `status`, or the signed webhooks in texture-webhook.ts). The create request
 * has no client reference: `findSent` lists the device's commands and matches mode, reserves and creation time.
 */
import {
  ChannelError, type ChannelCapabilities, type ChannelCommandRequest, type ChannelCommandState, type ControlChannel,
} from '../../domain/ports/control-channel.js';
import { DEVICE_MIN_RESERVE_PERCENT } from '../../domain/battery/battery.js';
import { channelRequest, type ChannelDeps, type ChannelHttpRequest } from './http.js';
import {
  TEXTURE_PATHS, textureCommandListSchema, textureCommandSchema, textureStatus, type TextureOperatingMode, type TextureSetModeBody, type WireTextureCommand,
} from './texture-wire.js';

export interface TextureConfig {
  baseUrl: string;
  apiKey: string;
  exportAllowed: boolean;
  gridCharge: boolean;
  findLookbackMs: number;
  timeoutMs: number;
}

const MINUTE_MS = 60_000;

export class TextureChannel implements ControlChannel {
  readonly name = 'texture';

  constructor(private readonly config: TextureConfig, private readonly deps: ChannelDeps) {}

  capabilities(): ChannelCapabilities {
    return {
      exportAllowed: this.config.exportAllowed, gridCharge: this.config.gridCharge, scheduledStart: false, duration: false,
      statusLookup: true, listCommands: true, powerSetpoint: false, minDurationMs: MINUTE_MS, maxDurationMs: 4 * 3_600_000, minLeadMs: MINUTE_MS,
    };
  }

  body(req: Pick<ChannelCommandRequest, 'siteRef' | 'mode' | 'targetReservePercent'>): TextureSetModeBody {
    if (!req.siteRef) throw new ChannelError('permanent', 'texture: deviceId is empty');
    if (req.mode === 'idle') return { deviceId: req.siteRef, input: { operatingMode: 'idle' } };
    const target = Math.round(req.targetReservePercent);
    if (!(target >= DEVICE_MIN_RESERVE_PERCENT && target <= 100)) throw new ChannelError('permanent', `texture: target reserve must be 10–100 %, got ${req.targetReservePercent}`);
    if (req.mode === 'charge') return { deviceId: req.siteRef, input: { operatingMode: 'charge', maximumBatteryReserve: target, enableGridInteraction: this.config.gridCharge } };
    return { deviceId: req.siteRef, input: { operatingMode: 'discharge', minimumBatteryReserve: target, enableGridInteraction: this.config.exportAllowed } };
  }

  send(req: ChannelCommandRequest): Promise<ChannelCommandState> {
    return this.setMode(this.body(req));
  }

  async status(_siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const { json } = await this.call({ method: 'GET', path: TEXTURE_PATHS.command.replace('{id}', encodeURIComponent(externalId)), mutating: false });
    return stateOf(parseCommand(json));
  }

  async findSent(req: ChannelCommandRequest): Promise<ChannelCommandState | null> {
    const want = this.body(req).input;
    const fromMs = req.startMs - this.config.findLookbackMs;
    let best: WireTextureCommand | undefined;
    for (const c of await this.listDeviceCommands(req.siteRef)) {
      const created = c.createdAt ? Date.parse(c.createdAt) : NaN;
      if (!(created >= fromMs && created <= req.endMs)) continue;
      const got = c.input ?? {};
      if (got.operatingMode !== want.operatingMode) continue;
      if ((got.minimumBatteryReserve ?? undefined) !== want.minimumBatteryReserve) continue;
      if ((got.maximumBatteryReserve ?? undefined) !== want.maximumBatteryReserve) continue;
      if (!best || created > Date.parse(best.createdAt!)) best = c;
    }
    return best ? stateOf(best) : null;
  }

  /** The device's commands, newest first as the API lists them, all pages. */
  async listDeviceCommands(deviceId: string): Promise<WireTextureCommand[]> {
    const out: WireTextureCommand[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const query: Record<string, string> = { deviceId };
      if (cursor) query.cursor = cursor;
      const { json } = await this.call({ method: 'GET', path: TEXTURE_PATHS.commands, query, mutating: false });
      const parsed = textureCommandListSchema.safeParse(json);
      if (!parsed.success) throw new ChannelError('transient', 'texture: the command list does not match the expected shape');
      out.push(...parsed.data.data);
      cursor = parsed.data.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return out;
  }

  /** Ends whatever mode the engine set: a `reset` command (the device returns to its own settings). */
  async cancel(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const reset = await this.setMode({ deviceId: siteRef, input: { operatingMode: 'reset' } });
    return { externalId, status: 'stopped', detail: `reset command ${reset.externalId} ${reset.status}`, raw: reset.raw };
  }

  private async setMode(body: TextureSetModeBody): Promise<ChannelCommandState> {
    const { json } = await this.call({ method: 'POST', path: TEXTURE_PATHS.setOperatingMode, body, mutating: true });
    const parsed = textureCommandSchema.safeParse(json);
    if (!parsed.success) throw new ChannelError('unknown-outcome', 'texture: the command reply has no id');
    return stateOf(parsed.data, body.input.operatingMode);
  }

  private call(r: Pick<ChannelHttpRequest, 'method' | 'path' | 'query' | 'body' | 'mutating'>): Promise<{ json: unknown }> {
    return channelRequest({ ...r, channel: this.name, baseUrl: this.config.baseUrl, headers: { 'texture-api-key': this.config.apiKey } }, { ...this.deps.http, timeoutMs: this.config.timeoutMs }, this.deps.clock);
  }
}

function parseCommand(json: unknown): WireTextureCommand {
  const parsed = textureCommandSchema.safeParse(json);
  if (!parsed.success) throw new ChannelError('transient', 'texture: the command does not match the expected shape');
  return parsed.data;
}

export function stateOf(c: WireTextureCommand, sentMode?: TextureOperatingMode): ChannelCommandState {
  const mode = (c.input?.operatingMode ?? sentMode) as string | undefined;
  const target = mode === 'charge' ? c.input?.maximumBatteryReserve : mode === 'discharge' ? c.input?.minimumBatteryReserve : undefined;
  return {
    externalId: c.id, status: textureStatus(c.status), detail: [c.status, typeof c.error === 'string' ? c.error : undefined].filter(Boolean).join('; '),
    mode: mode === 'charge' || mode === 'discharge' || mode === 'idle' ? mode : undefined,
    targetReservePercent: target ?? undefined, raw: c,
  };
}
