/**
 * The fake VPP's event book: validation of create requests as the spec's 400 cases describe them, the overlap rules
 * (`superseded: true` replaces overlapping events; `false` leaves the new event unconsidered), event status over
 * simulated time, and the faults a test can switch on (opt-out, system delete, delivery failure). Each site's
 * FakeBattery receives the events as commands, so the battery follows them as time advances.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../domain/time/clock.js';
import { FakeBattery, type FakeBatteryOptions } from '../control/fake-battery.js';

export interface FakeVppSiteSpec extends FakeBatteryOptions {
  siteId: number;
}

export interface FakeVppEvent {
  eventId: string;
  siteId: number;
  mode: string;
  rateWatt: number;
  targetSoc?: number;
  startMs: number;
  endMs: number;
  durationMin: number;
  superseded: boolean;
  createdAtMs: number;
  /** A final status set by a person, the system or a fault (else derived from time). */
  finalStatus?: 'stopped' | 'deleted' | 'optedout' | 'failed';
  finalAtMs?: number;
  failureReason?: string;
  /** The homeowner opts out when the event starts (optOutNext). */
  optOutAtStart?: boolean;
}

const BATTERY_MODES = ['Idle', 'Charge_From_PV', 'Charge_From_NetPV', 'Charge_From_PV_Grid', 'Discharge_To_Load', 'Discharge_To_NetLoad', 'Discharge_To_Load_Grid'];
const MINUTE_MS = 60_000;

export class BadRequest extends Error {}

export class VppEventBook {
  readonly events = new Map<string, FakeVppEvent>();
  readonly batteries = new Map<number, FakeBattery>();
  /** How many of the next created events the homeowner will opt out of when they start. */
  optOutQueue = 0;

  constructor(readonly programId: string, sites: FakeVppSiteSpec[], private readonly clock: Clock) {
    for (const s of sites) this.batteries.set(s.siteId, new FakeBattery(clock.nowMs(), s));
  }

  battery(siteId: number): FakeBattery {
    const b = this.batteries.get(siteId);
    if (!b) throw new Error(`no fake VPP site ${siteId}`);
    b.advanceTo(this.clock.nowMs());
    return b;
  }

  /** Validates and books a create request (the spec's 400 cases); returns the new event. */
  create(body: Record<string, unknown>): FakeVppEvent {
    const now = this.clock.nowMs();
    if (body.program_id !== this.programId) throw new BadRequest('Please provide valid Program ID');
    if (body.vpp_ids !== undefined) throw new BadRequest('vpp ids not supported currently. Provide only site ids');
    const siteIds = body.site_ids;
    if (!Array.isArray(siteIds) || siteIds.length !== 1) throw new BadRequest('multiple site ids are not supported currently');
    const siteId = siteIds[0];
    if (typeof siteId !== 'number' || !this.batteries.has(siteId)) throw new BadRequest(`No enrollments found for the given program for some sites out of: [${String(siteId)}]`);
    if (body.measuring_reference !== 'ASSET') throw new BadRequest('measuring_reference cannot be null');
    const fns = body.functions;
    if (!Array.isArray(fns) || fns.length !== 1) throw new BadRequest('multiple functions are not supported currently. Provide only one function');
    if (fns[0] !== 'BATTERY') throw new BadRequest('program does not support this function');
    const rate = body.rate_watt;
    if (typeof rate !== 'number' || !Number.isInteger(rate)) throw new BadRequest('Either mode or rate_watt is required for BATTERY function');
    const mode = typeof body.mode === 'string' ? body.mode : rate > 0 ? 'Discharge_To_Load_Grid' : rate < 0 ? 'Charge_From_PV_Grid' : 'Idle';
    if (!BATTERY_MODES.includes(mode)) throw new BadRequest('Invalid mode for BATTERY function');
    if ((mode.startsWith('Charge') && rate >= 0) || (mode.startsWith('Discharge') && rate <= 0) || (mode === 'Idle' && rate !== 0)) {
      throw new BadRequest('rate_watt must be positive for discharge events and negative for charge events');
    }
    const target = body.target_soc;
    if (mode !== 'Idle') {
      if (target === undefined) throw new BadRequest('target_soc is required for BATTERY charge or discharge event');
      if (typeof target !== 'number' || target < 10 || target > 100) throw new BadRequest('target_soc should be between 10 and 100 for BATTERY charge or discharge event');
    }
    const startMs = body.start_time === undefined ? Math.ceil((now + 1) / MINUTE_MS) * MINUTE_MS : parseStart(body.start_time);
    if (startMs > now + 7 * 86_400_000) throw new BadRequest('Start time must be within 7 days');
    const duration = body.duration;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 5 || duration > 300) {
      throw new BadRequest('Maximum supported event duration is 300 mins and minimum supported event duration is 5 mins');
    }
    const ev: FakeVppEvent = {
      eventId: randomUUID(), siteId, mode, rateWatt: rate, targetSoc: typeof target === 'number' ? target : undefined, startMs,
      endMs: startMs + duration * MINUTE_MS, durationMin: duration, superseded: body.superseded === true, createdAtMs: now,
    };
    this.battery(siteId);
    this.applyOverlaps(ev);
    this.events.set(ev.eventId, ev);
    if (!ev.finalStatus && this.optOutQueue > 0) {
      this.optOutQueue--;
      ev.optOutAtStart = true;
    }
    if (!ev.finalStatus && !ev.optOutAtStart) {
      const m = mode.startsWith('Charge') ? 'charge' : mode.startsWith('Discharge') ? 'discharge' : 'idle';
      this.battery(siteId).add({ id: ev.eventId, mode: m, powerKw: Math.abs(rate) / 1000, targetReservePercent: ev.targetSoc ?? 0, sentAtMs: now, startMs, endMs: ev.endMs, exportAllowed: mode === 'Discharge_To_Load_Grid' });
    }
    return ev;
  }

  /** superseded → overlapped events are replaced (deleted before start, stopped once running); else the new one is not considered. */
  private applyOverlaps(ev: FakeVppEvent): void {
    const now = this.clock.nowMs();
    const overlapping = [...this.events.values()].filter((o) => o.siteId === ev.siteId && !o.finalStatus && o.startMs < ev.endMs && o.endMs > ev.startMs && this.derived(o, now) !== 'completed');
    if (overlapping.length === 0) return;
    if (!ev.superseded) {
      this.finish(ev, 'deleted', 'overlaps an existing event and superseded is false', now);
      return;
    }
    for (const o of overlapping) {
      if (o.startMs >= now) this.finish(o, 'deleted', 'cancelled by the system: superseded by an overlapping event', now);
      else this.finish(o, 'stopped', 'superseded by an overlapping event', Math.max(now, ev.startMs));
    }
  }

  finish(ev: FakeVppEvent, status: NonNullable<FakeVppEvent['finalStatus']>, reason: string | undefined, atMs: number): void {
    ev.finalStatus = status;
    ev.finalAtMs = atMs;
    ev.failureReason = reason;
    this.batteries.get(ev.siteId)?.end(ev.eventId, status === 'stopped' ? atMs : ev.startMs);
  }

  /** DELETE: cancel before start (deleted) or end a running event (stopped); completed/cancelled ones cannot be. */
  cancel(ev: FakeVppEvent): void {
    const now = this.clock.nowMs();
    this.battery(ev.siteId);
    const status = this.status(ev);
    if (status === 'scheduled') return this.finish(ev, 'deleted', undefined, now);
    if (status === 'in_progress') return this.finish(ev, 'stopped', undefined, now);
    throw new BadRequest('An event that is either completed or already cancelled cannot be cancelled or ended');
  }

  status(ev: FakeVppEvent): string {
    const now = this.clock.nowMs();
    if (!ev.finalStatus && ev.optOutAtStart && now >= ev.startMs) this.finish(ev, 'optedout', 'homeowner opted out', ev.startMs);
    return ev.finalStatus ?? this.derived(ev, now);
  }

  private derived(ev: FakeVppEvent, now: number): string {
    if (now < ev.startMs) return 'scheduled';
    return now < ev.endMs ? 'in_progress' : 'completed';
  }

  deliveryStatus(ev: FakeVppEvent): string {
    if (ev.finalStatus === 'failed') return 'Failed';
    if (ev.finalStatus === 'deleted' || ev.finalStatus === 'optedout') return 'Cancelled';
    return this.clock.nowMs() >= ev.startMs ? 'Delivered' : 'Scheduled';
  }
}

/** "yyyy-MM-dd HH:mm" (UTC) as the create request requires. */
function parseStart(value: unknown): number {
  const m = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$/.exec(value) : null;
  const ms = m ? Date.parse(`${m[1]}T${m[2]}:00Z`) : NaN;
  if (!Number.isFinite(ms)) throw new BadRequest('Invalid start_time format. start_time must be in yyyy-MM-dd HH:mm format');
  return ms;
}
