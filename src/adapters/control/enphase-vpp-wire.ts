/**
 * Wire format of the Enphase VPP (grid services) API, specs/enphase/vpp.openapi.json.gz: the event create
 * request (EventCreateRequestV2), the create/cancel reply (EventResponse), one event (GsApiVppEventResponse with
 * its per-site GsApiEventResponse) and the paged list (EventsListResponse). Replies are parsed leniently (extra
 * fields allowed, unknown status words kept as strings) so a new field on Enphase's side never stops dispatch.
 */
import { z } from 'zod';
import type { ChannelCommandStatus, ChannelMode } from '../../domain/ports/control-channel.js';

export const VPP_PATHS = {
  token: '/auth/oauth2/token',
  events: '/api/v2/events',
  event: '/api/v2/events/{event_id}',
  batterySettings: '/api/v1/systems/{site_id}/battery_settings',
  stormGuard: '/api/v1/systems/{site_id}/storm_guard_settings',
} as const;

export type VppBatteryMode =
  | 'Idle' | 'Charge_From_PV' | 'Charge_From_NetPV' | 'Charge_From_PV_Grid'
  | 'Discharge_To_Load' | 'Discharge_To_NetLoad' | 'Discharge_To_Load_Grid';

export const VPP_EVENT_STATUSES = ['scheduled', 'in_progress', 'completed', 'stopped', 'failed', 'deleted', 'optedout'] as const;
export type VppEventStatus = (typeof VPP_EVENT_STATUSES)[number];

/** The body of POST /api/v2/events for one site's battery. */
export interface VppCreateEventBody {
  program_id: string;
  site_ids: number[];
  measuring_reference: 'ASSET';
  functions: ['BATTERY'];
  mode: VppBatteryMode;
  rate_watt: number;
  target_soc?: number;
  /** "yyyy-MM-dd HH:mm", UTC. */
  start_time: string;
  duration: number;
  superseded: boolean;
}

export const eventResponseSchema = z.object({
  message: z.string().optional(),
  event_id: z.string().min(1),
  name: z.string().optional(),
  no_of_sites: z.number().optional(),
  program_id: z.string().optional(),
  total_watts: z.number().optional(),
});

const nullableString = z.string().nullish();
export const siteEventSchema = z.object({
  site_id: z.union([z.string(), z.number()]).transform(String),
  event_status: z.string(),
  failure_code: nullableString,
  failure_reason: nullableString,
  start_time: nullableString,
  end_time: nullableString,
  created_at: nullableString,
  completed_at: nullableString,
  cancelled_at: nullableString,
  functions: z.array(z.string()).nullish(),
  duration: z.number().nullish(),
  mode: nullableString,
  target_soc: z.number().nullish(),
  rate_watt: z.number().nullish(),
  superseded: z.boolean().nullish(),
  command_delivery_status: nullableString,
});
export type WireSiteEvent = z.infer<typeof siteEventSchema>;

export const vppEventSchema = z.object({
  event_id: z.string().min(1),
  name: nullableString,
  program_id: nullableString,
  events: z.array(siteEventSchema).default([]),
});
export type WireVppEvent = z.infer<typeof vppEventSchema>;

export const eventsListSchema = z.object({
  program_id: nullableString,
  total_count: z.number().nullish(),
  eventList: z.array(vppEventSchema).nullish().transform((v) => v ?? []),
});

export const accessTokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().default(3600),
  token_type: z.string().optional(),
});

export const batterySettingsSchema = z.object({
  battery_mode: nullableString,
  reserve_soc: z.number().nullish(),
  charge_from_grid: z.union([z.string(), z.boolean()]).nullish(),
}).passthrough();

export const stormGuardSchema = z.object({
  storm_guard_status: nullableString,
  storm_alert: z.union([z.string(), z.boolean()]).nullish(),
}).passthrough();

/** "yyyy-MM-dd HH:mm" in UTC, as the create request wants it. */
export function formatVppTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** "yyyy-MM-dd" (UTC) for the list's start_date / end_date. */
export function formatVppDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Reads the API's date-times: ISO with offset ("2024-03-24T13:15:00.000+00:00") or "yyyy-MM-dd HH:mm" (UTC). */
export function parseVppTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const plain = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/.exec(value);
  const ms = plain ? Date.parse(`${plain[1]}T${plain[2]}${plain[3] ?? ':00'}Z`) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export function vppStatus(eventStatus: string): ChannelCommandStatus {
  switch (eventStatus.toLowerCase()) {
    case 'scheduled': return 'scheduled';
    case 'in_progress': return 'active';
    case 'completed': return 'completed';
    case 'stopped': return 'stopped';
    case 'failed': return 'failed';
    case 'deleted': return 'deleted';
    case 'optedout': return 'opted-out';
    default: return 'unknown';
  }
}

export function channelModeOf(mode: string | null | undefined): ChannelMode | undefined {
  if (!mode) return undefined;
  if (mode.startsWith('Charge')) return 'charge';
  if (mode.startsWith('Discharg')) return 'discharge'; // the spec spells it "Discharg_To_Load_Grid" once
  if (mode === 'Idle') return 'idle';
  return undefined;
}
