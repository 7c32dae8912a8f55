/**
 * Texture's command API as this project models it (there is no Texture spec in ../shared/specs; the shapes follow
 * issue 9 and shared/docs/domain.md exactly, and every assumption beyond them is listed in docs/control-channels.md):
 *  - POST /v1/commands/battery/set-operating-mode  {deviceId, input: {operatingMode, minimumBatteryReserve?,
 *    maximumBatteryReserve?, enableGridInteraction?}} → {id, status: pending|success|failed}
 *  - GET /v1/commands/{id} → the command; GET /v1/commands?deviceId=…&cursor=… → {data: [command], nextCursor}
 *  - header Texture-Api-Key
 *  - webhooks command.succeeded / command.failed: {key, type, createdAt, data: {command}} signed with
 *    Texture-Signature (hex HMAC-SHA256 of the raw body) and dated by Texture-Timestamp.
 */
import { z } from 'zod';
import type { ChannelCommandStatus } from '../../domain/ports/control-channel.js';

export const TEXTURE_PATHS = {
  setOperatingMode: '/v1/commands/battery/set-operating-mode',
  command: '/v1/commands/{id}',
  commands: '/v1/commands',
} as const;

export type TextureOperatingMode = 'charge' | 'discharge' | 'idle' | 'reset';

export interface TextureSetModeBody {
  deviceId: string;
  input: {
    operatingMode: TextureOperatingMode;
    minimumBatteryReserve?: number;
    maximumBatteryReserve?: number;
    enableGridInteraction?: boolean;
  };
}

export const textureCommandSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  deviceId: z.string().optional(),
  type: z.string().optional(),
  input: z.object({
    operatingMode: z.string().optional(),
    minimumBatteryReserve: z.number().nullish(),
    maximumBatteryReserve: z.number().nullish(),
    enableGridInteraction: z.boolean().nullish(),
  }).passthrough().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  error: z.unknown().optional(),
}).passthrough();
export type WireTextureCommand = z.infer<typeof textureCommandSchema>;

export const textureCommandListSchema = z.object({
  data: z.array(textureCommandSchema),
  nextCursor: z.string().nullish(),
});

/** Issue 9 names succeeded and failed; Texture's docs also list COMMAND_OVERRIDDEN (a person or the device overrode it). */
export const TEXTURE_WEBHOOK_TYPES = ['command.succeeded', 'command.failed', 'command.overridden'] as const;

export const textureWebhookSchema = z.object({
  key: z.string().min(1),
  type: z.string(),
  createdAt: z.string().optional(),
  data: z.object({ command: textureCommandSchema }).passthrough(),
}).passthrough();
export type WireTextureWebhook = z.infer<typeof textureWebhookSchema>;

/** pending → accepted; success → active (the device runs that mode until the next command or reset); failed. */
export function textureStatus(status: string): ChannelCommandStatus {
  switch (status) {
    case 'pending': return 'accepted';
    case 'success': return 'active';
    case 'failed': return 'failed';
    default: return 'unknown';
  }
}
