/**
 * The control-channel port: what the dispatcher may ask of a battery's control channel, and what a channel says it
 * can do. Adapters live in src/adapters/control/ (enphase-vpp, texture, enphase-basic, simulator), each exported with
 * `satisfies ControlChannel` and registered by name. Pure types only: no I/O here.
 *
 * Capabilities are explicit, never discovered by trying: the planner is told them (export allowed, grid charge) so a
 * plan never asks for what the channel cannot deliver, and the dispatcher is told them (start time, duration, status
 * lookup, listing) so it knows whether it must end a window itself or how it recovers after a lost response.
 */

export type ChannelMode = 'charge' | 'discharge' | 'idle';

export interface ChannelCapabilities {
  /** A "discharge" may push energy to the grid. When false, discharge only covers home load. */
  exportAllowed: boolean;
  /** A "charge" may draw from the grid (forced grid charge). When false, only surplus solar charges the battery. */
  gridCharge: boolean;
  /** A command carries its own start time (else it takes effect on receipt, and the engine times the send). */
  scheduledStart: boolean;
  /** A command carries its own duration (else the engine ends the window itself: `idle`/reset or the next command). */
  duration: boolean;
  /** A sent command can be looked up by its channel id. */
  statusLookup: boolean;
  /** A site's commands can be listed: recovery after a lost response is by listing and matching. */
  listCommands: boolean;
  /** A requested power (rate) is honoured; when false the device runs at its own rate. */
  powerSetpoint: boolean;
  /** Shortest and longest command the channel accepts, ms. */
  minDurationMs: number;
  maxDurationMs: number;
  /** Least time between sending and taking effect, ms (1 minute for Enphase). */
  minLeadMs: number;
}

/** One command as the dispatcher asks for it. Times are UTC epoch ms; powers kW; reserve in percent of capacity. */
export interface ChannelCommandRequest {
  /** Our unique key, written to the command row before the send. Channels that accept a client reference pass it on. */
  idempotencyKey: string;
  /** The channel's id for the site or device (VPP site id, Texture deviceId, Enphase system id). */
  siteRef: string;
  mode: ChannelMode;
  powerKw: number;
  /** The SoC (percent) at which the battery returns to its base mode; never below 10 % nor the site's reserve. */
  targetReservePercent: number;
  startMs: number;
  endMs: number;
  /** Replace whatever the channel has scheduled that overlaps this command. */
  supersede: boolean;
}

/** Where a command stands on the channel, in the channel-neutral words the dispatcher understands. */
export type ChannelCommandStatus =
  | 'accepted' /** received, not yet scheduled or delivered */
  | 'scheduled' /** delivered/queued, not started */
  | 'active'
  | 'completed'
  | 'stopped' /** ended early (cancelled by us, or the target was reached) */
  | 'failed'
  | 'rejected'
  | 'opted-out' /** the homeowner declined */
  | 'deleted' /** the channel removed it (e.g. an overlapping event replaced it) */
  | 'unknown';

export interface ChannelCommandState {
  /** The channel's id for the command. */
  externalId: string;
  status: ChannelCommandStatus;
  /** The channel's own words (e.g. VPP command_delivery_status), for people. */
  detail?: string;
  startMs?: number;
  endMs?: number;
  mode?: ChannelMode;
  targetReservePercent?: number;
  /** The raw channel reply, stored with the command (never holds credentials). */
  raw?: unknown;
}

/** What the device is set to now, read back after a write to detect a person's manual change. */
export interface DeviceSettingsReading {
  asOfMs: number;
  reservePercent?: number;
  /** The device's own profile/mode name, e.g. "self-consumption", "backup_only". */
  profile?: string;
  stormGuardActive?: boolean;
  offGrid?: boolean;
}

export type ChannelErrorKind =
  /** 400/422: the command is wrong and will stay wrong. */
  | 'permanent'
  /** 401/403: credentials revoked or expired; re-authorise and pause the site. */
  | 'auth'
  /** 429: wait retryAfterMs. */
  | 'throttled'
  /** 5xx / network: retry with backoff, never past the command's start. */
  | 'transient'
  /** The request may or may not have reached the channel (timeout, connection reset after sending). */
  | 'unknown-outcome'
  /** The channel cannot do this at all (e.g. grid charge on enphase-basic for a site that forbids it). */
  | 'unsupported';

export class ChannelError extends Error {
  readonly kind: ChannelErrorKind;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  constructor(kind: ChannelErrorKind, message: string, options: { httpStatus?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'ChannelError';
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface ControlChannel {
  /** The registry name: 'enphase-vpp' | 'texture' | 'enphase-basic' | 'simulator'. */
  readonly name: string;
  capabilities(): ChannelCapabilities;
  /** Sends one command. Throws ChannelError; 'unknown-outcome' means: resolve with findSent before any resend. */
  send(request: ChannelCommandRequest): Promise<ChannelCommandState>;
  /** The command's current state (statusLookup). */
  status(siteRef: string, externalId: string): Promise<ChannelCommandState>;
  /** After a lost response: the command on the channel that matches this request, or null when there is no trace. */
  findSent(request: ChannelCommandRequest): Promise<ChannelCommandState | null>;
  /** Cancels a scheduled command or ends an active one. */
  cancel(siteRef: string, externalId: string): Promise<ChannelCommandState>;
  /** Reads the device's current settings, when the channel can (manual-change detection, Storm Guard). */
  readSettings?(siteRef: string): Promise<DeviceSettingsReading>;
  /**
   * What `readSettings` reads, when the engine also has it from elsewhere: 'enphase-system' = the Enphase system's
   * battery settings and Storm Guard, which the telemetry poll reads from the monitoring API and stores
   * (enphase_site_state). The dispatcher then uses a reading the poll stored moments ago instead of asking again.
   */
  readonly settingsSource?: 'enphase-system';
}
