/**
 * The `enphase-vpp` control channel: Enphase grid-services events (specs/enphase/vpp.openapi.json.gz, from ../shared/specs).
 * One command = one event for one site, function BATTERY, measuring reference ASSET:
 *  - charge    → mode Charge_From_PV_Grid (Charge_From_PV when the site may not charge from the grid), rate_watt < 0,
 *                target_soc = the SoC at which charging stops;
 *  - discharge → mode Discharge_To_Load_Grid (Discharge_To_Load when export is not allowed), rate_watt > 0,
 *                target_soc = the SoC at which discharging stops;
 *  - idle      → mode Idle, rate_watt 0, no target.
 * start_time "yyyy-MM-dd HH:mm" UTC, duration in whole minutes (5–300; the battery itself stops after 4 h, so the
 * capabilities say 4 h). Status is polled (no webhooks). The create request carries no client reference: after a
 * lost reply, `findSent` lists the site's events for the start date and matches site, mode, start, duration and
 * target. Every request carries `x-api-key` and a client-credentials bearer token; a 401 renews the token once.
 */
import {
  ChannelError, type ChannelCapabilities, type ChannelCommandRequest, type ChannelCommandState, type ControlChannel, type DeviceSettingsReading,
} from '../../domain/ports/control-channel.js';
import { DEVICE_MIN_RESERVE_PERCENT } from '../../domain/battery/battery.js';
import { normaliseBatteryMode } from '../enphase/normalise.js';
import { channelRequest, type ChannelDeps, type ChannelHttpRequest } from './http.js';
import { VppTokenSource } from './enphase-vpp-auth.js';
import {
  batterySettingsSchema, channelModeOf, eventResponseSchema, eventsListSchema, formatVppDate, formatVppTime, parseVppTime, stormGuardSchema,
  VPP_PATHS, vppEventSchema, vppStatus, type VppBatteryMode, type VppCreateEventBody, type WireSiteEvent,
} from './enphase-vpp-wire.js';

export interface EnphaseVppConfig {
  baseUrl: string;
  programId: string;
  apiKey: string;
  clientId: string;
  clientSecret: string;
  /** The site is enrolled for export (Discharge_To_Load_Grid); else discharges cover home load only. */
  exportAllowed: boolean;
  /** Charge from PV and grid; else from PV only. */
  gridCharge: boolean;
  /** Page size when listing events (1–100). */
  pageSize: number;
  timeoutMs: number;
}

export const VPP_MIN_DURATION_MIN = 5;
export const VPP_MAX_DURATION_MIN = 300;
/** Commanded Enphase batteries stop after 4 h whatever the event says (shared/docs/domain.md). */
const DEVICE_MAX_COMMAND_MS = 4 * 3_600_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export class EnphaseVppChannel implements ControlChannel {
  readonly name = 'enphase-vpp';
  readonly settingsSource = 'enphase-system' as const;
  private readonly tokens: VppTokenSource;

  constructor(private readonly config: EnphaseVppConfig, private readonly deps: ChannelDeps) {
    this.tokens = new VppTokenSource(config, deps.clock, { ...deps.http, timeoutMs: config.timeoutMs });
  }

  capabilities(): ChannelCapabilities {
    return {
      exportAllowed: this.config.exportAllowed, gridCharge: this.config.gridCharge, scheduledStart: true, duration: true,
      statusLookup: true, listCommands: true, powerSetpoint: true,
      minDurationMs: VPP_MIN_DURATION_MIN * MINUTE_MS, maxDurationMs: DEVICE_MAX_COMMAND_MS, minLeadMs: MINUTE_MS,
    };
  }

  /** The create body for a request; throws ChannelError('permanent') for what the API would refuse anyway. */
  createBody(req: ChannelCommandRequest): VppCreateEventBody {
    const siteId = Number(req.siteRef);
    if (!Number.isInteger(siteId) || siteId <= 0) throw new ChannelError('permanent', `enphase-vpp: site id "${req.siteRef}" is not an integer`);
    if (req.startMs % MINUTE_MS !== 0) throw new ChannelError('permanent', `enphase-vpp: start ${new Date(req.startMs).toISOString()} is not on a whole minute`);
    const durationMin = (req.endMs - req.startMs) / MINUTE_MS;
    if (!Number.isInteger(durationMin) || durationMin < VPP_MIN_DURATION_MIN || durationMin > VPP_MAX_DURATION_MIN) {
      throw new ChannelError('permanent', `enphase-vpp: duration must be a whole number of minutes in ${VPP_MIN_DURATION_MIN}–${VPP_MAX_DURATION_MIN}, got ${durationMin}`);
    }
    if (req.startMs > this.deps.clock.nowMs() + 7 * DAY_MS) throw new ChannelError('permanent', 'enphase-vpp: start_time must be within 7 days');
    const body: VppCreateEventBody = {
      program_id: this.config.programId, site_ids: [siteId], measuring_reference: 'ASSET', functions: ['BATTERY'],
      mode: this.wireMode(req), rate_watt: this.rateWatt(req), start_time: formatVppTime(req.startMs), duration: durationMin, superseded: req.supersede,
    };
    if (req.mode !== 'idle') body.target_soc = targetSoc(req.targetReservePercent);
    return body;
  }

  async send(req: ChannelCommandRequest): Promise<ChannelCommandState> {
    const body = this.createBody(req);
    const { json } = await this.call({ method: 'POST', path: VPP_PATHS.events, body, mutating: true });
    const parsed = eventResponseSchema.safeParse(json);
    // The event may exist although we cannot read its id: treat as a lost reply (findSent resolves it).
    if (!parsed.success) throw new ChannelError('unknown-outcome', 'enphase-vpp: the create reply has no event_id');
    return { externalId: parsed.data.event_id, status: 'accepted', detail: parsed.data.message, startMs: req.startMs, endMs: req.endMs, mode: req.mode, targetReservePercent: body.target_soc, raw: json };
  }

  async status(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    const { json } = await this.call({ method: 'GET', path: VPP_PATHS.event.replace('{event_id}', encodeURIComponent(externalId)), mutating: false });
    const parsed = vppEventSchema.safeParse(json);
    if (!parsed.success) throw new ChannelError('transient', `enphase-vpp: event ${externalId} reply does not match the schema`);
    const site = parsed.data.events.find((e) => e.site_id === siteRef) ?? parsed.data.events[0];
    if (!site) return { externalId, status: 'unknown', detail: 'the event lists no site', raw: json };
    return stateOf(externalId, site, json);
  }

  async findSent(req: ChannelCommandRequest): Promise<ChannelCommandState | null> {
    const body = this.createBody(req);
    const matches: Array<{ state: ChannelCommandState; createdMs: number }> = [];
    for (const { eventId, site, raw } of await this.listSiteEvents(req.siteRef, req.startMs, req.endMs)) {
      if (parseVppTime(site.start_time) !== req.startMs) continue;
      if (site.duration != null && site.duration !== body.duration) continue;
      if (site.mode && sameMode(site.mode) !== sameMode(body.mode)) continue;
      if ((site.target_soc ?? undefined) !== body.target_soc) continue;
      if (site.functions && !site.functions.includes('BATTERY')) continue;
      matches.push({ state: stateOf(eventId, site, raw), createdMs: parseVppTime(site.created_at) ?? 0 });
    }
    if (matches.length === 0) return null;
    // Several identical events (a resend that did go through): the newest is the one in force.
    matches.sort((a, b) => b.createdMs - a.createdMs);
    return matches[0].state;
  }

  /** Every event of the site whose start date is in [fromMs, toMs] (UTC dates), all pages; at most 30 days. */
  async listSiteEvents(siteRef: string, fromMs: number, toMs: number): Promise<Array<{ eventId: string; site: WireSiteEvent; raw: unknown }>> {
    if (toMs - fromMs > 30 * DAY_MS) throw new ChannelError('permanent', 'enphase-vpp: events can be listed for at most 30 days at a time');
    const out: Array<{ eventId: string; site: WireSiteEvent; raw: unknown }> = [];
    const query = { program_id: this.config.programId, site_id: siteRef, start_date: formatVppDate(fromMs), end_date: formatVppDate(Math.max(toMs, fromMs + DAY_MS)), page_size: String(this.config.pageSize) };
    let seen = 0;
    for (let page = 1; page <= 1000; page++) {
      const { json } = await this.call({ method: 'GET', path: VPP_PATHS.events, query: { ...query, page_no: String(page) }, mutating: false });
      const parsed = eventsListSchema.safeParse(json);
      if (!parsed.success) throw new ChannelError('transient', 'enphase-vpp: the events list does not match the schema');
      for (const ev of parsed.data.eventList) {
        seen++;
        for (const site of ev.events) if (site.site_id === siteRef) out.push({ eventId: ev.event_id, site, raw: ev });
      }
      const total = parsed.data.total_count ?? seen;
      if (parsed.data.eventList.length === 0 || seen >= total) break;
    }
    return out;
  }

  async cancel(siteRef: string, externalId: string): Promise<ChannelCommandState> {
    await this.call({ method: 'DELETE', path: VPP_PATHS.event.replace('{event_id}', encodeURIComponent(externalId)), mutating: true });
    try {
      return await this.status(siteRef, externalId);
    } catch {
      return { externalId, status: 'stopped', detail: 'cancel accepted; status not read back' };
    }
  }

  async readSettings(siteRef: string): Promise<DeviceSettingsReading> {
    const site = encodeURIComponent(siteRef);
    const settings = batterySettingsSchema.safeParse((await this.call({ method: 'GET', path: VPP_PATHS.batterySettings.replace('{site_id}', site), mutating: false })).json);
    const storm = stormGuardSchema.safeParse((await this.call({ method: 'GET', path: VPP_PATHS.stormGuard.replace('{site_id}', site), mutating: false })).json);
    return {
      asOfMs: this.deps.clock.nowMs(),
      reservePercent: settings.success ? settings.data.reserve_soc ?? undefined : undefined,
      profile: settings.success && settings.data.battery_mode ? normaliseBatteryMode(settings.data.battery_mode) ?? settings.data.battery_mode : undefined,
      stormGuardActive: storm.success ? /^true$/i.test(String(storm.data.storm_alert)) && /^enabled$/i.test(String(storm.data.storm_guard_status)) : undefined,
    };
  }

  private wireMode(req: ChannelCommandRequest): VppBatteryMode {
    if (req.mode === 'idle') return 'Idle';
    if (req.mode === 'charge') return this.config.gridCharge ? 'Charge_From_PV_Grid' : 'Charge_From_PV';
    return this.config.exportAllowed ? 'Discharge_To_Load_Grid' : 'Discharge_To_Load';
  }

  private rateWatt(req: ChannelCommandRequest): number {
    if (req.mode === 'idle') return 0;
    const watts = Math.round(req.powerKw * 1000);
    if (!(watts > 0)) throw new ChannelError('permanent', `enphase-vpp: a ${req.mode} needs a positive power, got ${req.powerKw} kW`);
    return req.mode === 'charge' ? -watts : watts;
  }

  /** One authenticated exchange; a 401 renews the token and tries once more. */
  private async call(r: Pick<ChannelHttpRequest, 'method' | 'path' | 'query' | 'body' | 'mutating'>): Promise<{ json: unknown }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.accessToken(attempt > 0 ? { forceRefresh: true } : undefined);
      try {
        return await channelRequest({ ...r, channel: this.name, baseUrl: this.config.baseUrl, headers: { 'x-api-key': this.config.apiKey, authorization: `Bearer ${token}` } }, { ...this.deps.http, timeoutMs: this.config.timeoutMs }, this.deps.clock);
      } catch (error) {
        if (attempt === 0 && error instanceof ChannelError && error.kind === 'auth' && error.httpStatus === 401) continue;
        throw error;
      }
    }
  }
}

/** The spec spells one mode "Discharg_To_Load_Grid" in its reply schema: compare modes leniently. */
function sameMode(mode: string): string {
  return mode.toLowerCase().replace(/^discharg_/, 'discharge_');
}

function targetSoc(percent: number): number {
  const p = Math.round(percent);
  if (!Number.isFinite(p) || p < DEVICE_MIN_RESERVE_PERCENT || p > 100) throw new ChannelError('permanent', `enphase-vpp: target_soc must be 10–100, got ${percent}`);
  return p;
}

function stateOf(externalId: string, site: WireSiteEvent, raw: unknown): ChannelCommandState {
  const detail = [site.event_status, site.command_delivery_status && `delivery ${site.command_delivery_status}`, site.failure_reason].filter(Boolean).join('; ');
  return {
    externalId, status: vppStatus(site.event_status), detail,
    startMs: parseVppTime(site.start_time), endMs: parseVppTime(site.end_time), mode: channelModeOf(site.mode),
    targetReservePercent: site.target_soc ?? undefined, raw,
  };
}
