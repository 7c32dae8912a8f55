/**
 * ERCOT's calendar: local prevailing time in America/Chicago, hour-ending hours (1–24, "24:00" = midnight at the end
 * of the delivery date), 15-minute DeliveryIntervals 1–4, and DST days of 23 or 25 hours (92 or 100 intervals).
 * The fall-back day's repeated hour is told apart by a flag (DSTFlag / Repeated Hour Flag / repeatHourFlag), never by
 * row order. These functions are the only place that converts ERCOT local conventions to UTC instants and back.
 */
import { DateTime } from 'luxon';
import { InputError, quoteInput, type InputLocation } from '../errors.js';
import { HOUR_MS, INTERVAL_MS, MINUTE_MS } from './interval.js';

export const ERCOT_TIME_ZONE = 'America/Chicago';

/** An ERCOT local time that does not exist (spring-forward hour), is out of range, or is flagged wrongly. */
export class InvalidErcotTime extends InputError {
  constructor(message: string, location: InputLocation = {}) {
    super(message, location);
    this.name = 'InvalidErcotTime';
  }
}

export interface ErcotDay {
  /** Delivery date, YYYY-MM-DD. */
  date: string;
  /** UTC instant of local midnight at the start of the day. */
  startMs: number;
  /** UTC instant of local midnight at the end of the day (exclusive). */
  endMs: number;
  /** 23, 24 or 25. */
  hours: number;
  /** 92, 96 or 100. */
  intervals: number;
  /** Spring-forward day: the local clock hour that does not exist (e.g. 2 for 02:00–03:00). */
  skippedClockHour?: number;
  /** Fall-back day: the local clock hour that happens twice (e.g. 1 for 01:00–02:00). */
  repeatedClockHour?: number;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayCache = new Map<string, ErcotDay>();

/** Facts about one ERCOT delivery date (cached; cheap to call per row). */
export function ercotDay(date: string): ErcotDay {
  const cached = dayCache.get(date);
  if (cached) return cached;
  const m = DATE_RE.exec(date);
  const start = m ? DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: ERCOT_TIME_ZONE }) : null;
  if (!m || !start || !start.isValid || start.toFormat('yyyy-MM-dd') !== date) {
    throw new InvalidErcotTime(`not a valid delivery date: ${quoteInput(date)} (expected YYYY-MM-DD)`);
  }
  const startMs = start.toMillis();
  const endMs = start.plus({ days: 1 }).toMillis();
  const hours = Math.round((endMs - startMs) / HOUR_MS);
  const day: ErcotDay = { date, startMs, endMs, hours, intervals: hours * 4 };
  if (hours !== 24) {
    // Find the clock hour where local time and elapsed time part ways.
    for (let elapsed = 0; elapsed < hours; elapsed++) {
      const clockHour = DateTime.fromMillis(startMs + elapsed * HOUR_MS, { zone: ERCOT_TIME_ZONE }).hour;
      if (hours === 23 && clockHour !== elapsed) {
        day.skippedClockHour = elapsed;
        break;
      }
      if (hours === 25 && clockHour !== elapsed) {
        day.repeatedClockHour = clockHour;
        break;
      }
    }
  }
  dayCache.set(date, day);
  return day;
}

/**
 * UTC start of the hour with the given hour-ending (1–24) on an ERCOT delivery date.
 * `repeated` marks the second (standard-time) copy of the fall-back day's repeated hour.
 */
export function ercotHourStartMs(date: string, hourEnding: number, repeated = false): number {
  const day = ercotDay(date);
  if (!Number.isInteger(hourEnding) || hourEnding < 1 || hourEnding > 24) {
    throw new InvalidErcotTime(`hour-ending ${hourEnding} is out of range 1–24 on ${date}`);
  }
  const clockHour = hourEnding - 1;
  if (day.skippedClockHour !== undefined) {
    if (repeated) throw new InvalidErcotTime(`repeated-hour flag set on ${date}, which has no repeated hour`);
    if (clockHour === day.skippedClockHour) {
      throw new InvalidErcotTime(`hour-ending ${hourEnding} does not exist on ${date} (clocks spring forward)`);
    }
    const elapsed = clockHour < day.skippedClockHour ? clockHour : clockHour - 1;
    return day.startMs + elapsed * HOUR_MS;
  }
  if (day.repeatedClockHour !== undefined) {
    if (repeated && clockHour !== day.repeatedClockHour) {
      throw new InvalidErcotTime(`repeated-hour flag set on hour-ending ${hourEnding} of ${date}; only hour-ending ${day.repeatedClockHour + 1} repeats`);
    }
    const elapsed = clockHour < day.repeatedClockHour ? clockHour : clockHour === day.repeatedClockHour ? clockHour + (repeated ? 1 : 0) : clockHour + 1;
    return day.startMs + elapsed * HOUR_MS;
  }
  if (repeated) throw new InvalidErcotTime(`repeated-hour flag set on ${date}, which has no repeated hour`);
  return day.startMs + clockHour * HOUR_MS;
}

/** UTC start of a real-time interval: DeliveryHour 1–24 (hour-ending), DeliveryInterval 1–4. */
export function ercotIntervalStartMs(date: string, deliveryHour: number, deliveryInterval: number, repeated = false): number {
  if (!Number.isInteger(deliveryInterval) || deliveryInterval < 1 || deliveryInterval > 4) {
    throw new InvalidErcotTime(`delivery interval ${deliveryInterval} is out of range 1–4 on ${date}`);
  }
  return ercotHourStartMs(date, deliveryHour, repeated) + (deliveryInterval - 1) * INTERVAL_MS;
}

/** Parses an hour-ending label: "01:00".."24:00", "1".."24", "01".."24". */
export function parseHourEnding(text: string): number {
  const m = /^(\d{1,2})(?::00)?$/.exec(text.trim());
  const h = m ? Number(m[1]) : NaN;
  if (!(h >= 1 && h <= 24)) throw new InvalidErcotTime(`not an hour-ending: ${quoteInput(text)} (expected 01:00–24:00)`);
  return h;
}

/** Parses ERCOT's date layouts: YYYY-MM-DD or MM/DD/YYYY. Returns YYYY-MM-DD. */
export function parseErcotDate(text: string): string {
  const t = text.trim();
  if (DATE_RE.test(t)) return t;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (!m) throw new InvalidErcotTime(`not a date: ${quoteInput(text)} (expected YYYY-MM-DD or MM/DD/YYYY)`);
  return `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}`;
}

/** Parses ERCOT's flag spellings: Y/N, true/false, True/False, 1/0, empty = false. */
export function parseErcotFlag(text: string | boolean | undefined | null): boolean {
  if (typeof text === 'boolean') return text;
  const t = (text ?? '').trim().toLowerCase();
  if (t === 'y' || t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'n' || t === 'false' || t === '0' || t === 'no' || t === '') return false;
  throw new InvalidErcotTime(`not a flag: ${quoteInput(String(text))} (expected Y/N or true/false)`);
}

/**
 * A local ERCOT timestamp without offset (e.g. SCEDTimestamp "2024-11-03T01:27:10") to UTC.
 * `repeated` selects the second (standard-time) occurrence inside the fall-back hour.
 */
export function ercotLocalTimestampToMs(text: string, repeated = false): number {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(text.trim());
  if (!m) throw new InvalidErcotTime(`not a local timestamp: ${quoteInput(text)} (expected YYYY-MM-DDTHH:mm:ss)`);
  const hourStart = ercotHourStartMs(m[1], Number(m[2]) + 1, repeated);
  const millis = m[5] ? Math.round(Number(`0.${m[5]}`) * 1000) : 0;
  return hourStart + Number(m[3]) * MINUTE_MS + Number(m[4] ?? 0) * 1000 + millis;
}

/** All interval starts of an ERCOT delivery date (92, 96 or 100). */
export function ercotDayIntervalStarts(date: string): number[] {
  const day = ercotDay(date);
  const out: number[] = [];
  for (let ms = day.startMs; ms < day.endMs; ms += INTERVAL_MS) out.push(ms);
  return out;
}

export interface ErcotLocalParts {
  date: string;
  hourEnding: number;
  deliveryInterval: number;
  repeated: boolean;
  /** Minutes since local midnight on the wall clock (0–1439), for time-of-day windows. */
  minuteOfDay: number;
}

const localPartsByMinute = new Map<number, ErcotLocalParts>();
const LOCAL_PARTS_CACHE_MAX = 20_000;

/**
 * The ERCOT local description of a UTC instant (inverse of ercotIntervalStartMs). Every field depends only on the
 * UTC minute (offsets change on whole hours), so results are memoised per minute: plans' window reasons ask for the
 * same few boundaries at every site, and Luxon's zone conversion was most of a fleet site's reason text.
 */
export function ercotLocalParts(ms: number): ErcotLocalParts {
  const minute = Math.floor(ms / MINUTE_MS);
  const hit = localPartsByMinute.get(minute);
  if (hit) return { ...hit };
  const parts = localPartsUncached(ms);
  if (localPartsByMinute.size >= LOCAL_PARTS_CACHE_MAX) localPartsByMinute.clear();
  localPartsByMinute.set(minute, parts);
  return { ...parts };
}

function localPartsUncached(ms: number): ErcotLocalParts {
  const local = DateTime.fromMillis(ms, { zone: ERCOT_TIME_ZONE });
  const date = local.toFormat('yyyy-MM-dd');
  const day = ercotDay(date);
  const repeated = day.repeatedClockHour === local.hour && ms - day.startMs >= (day.repeatedClockHour + 1) * HOUR_MS;
  return {
    date,
    hourEnding: local.hour + 1,
    deliveryInterval: Math.floor(local.minute / 15) + 1,
    repeated,
    minuteOfDay: local.hour * 60 + local.minute,
  };
}

const dateOfHourCache = new Map<number, string>();
/** Central time is UTC−6 (CST) or UTC−5 (CDT): the date is one of those two readings, whichever day contains `ms`. */
const CENTRAL_OFFSETS_MS = [6 * HOUR_MS, 5 * HOUR_MS];

/** The delivery date containing `ms` from the cached ercotDay bounds (one Luxon call per date, not per hour). */
function dateOfByDayBounds(ms: number): string | undefined {
  for (const offsetMs of CENTRAL_OFFSETS_MS) {
    const date = new Date(ms - offsetMs).toISOString().slice(0, 10);
    if (!DATE_RE.test(date)) return undefined;
    const day = ercotDay(date);
    if (ms >= day.startMs && ms < day.endMs) return date;
  }
  return undefined;
}
const DATE_CACHE_LIMIT = 200_000;

/**
 * The ERCOT delivery date that contains a UTC instant. Cached per UTC hour (every ERCOT day starts and ends on a whole
 * UTC hour, so an hour lies in one delivery date): hot loops (per-interval day lookups) cost a map read, not Luxon.
 */
export function ercotDateOf(ms: number): string {
  const hourKey = Math.floor(ms / HOUR_MS);
  let date = dateOfHourCache.get(hourKey);
  if (date === undefined) {
    date = dateOfByDayBounds(hourKey * HOUR_MS) ?? DateTime.fromMillis(hourKey * HOUR_MS, { zone: ERCOT_TIME_ZONE }).toFormat('yyyy-MM-dd');
    if (dateOfHourCache.size >= DATE_CACHE_LIMIT) dateOfHourCache.clear();
    dateOfHourCache.set(hourKey, date);
  }
  return date;
}

const localHourCache = new Map<number, number>();
/**
 * The ERCOT local wall-clock hour (0–23) of a UTC instant. Cached per UTC hour (Central time changes offset only on
 * whole UTC hours): on the fall-back day both 01:00 hours give 1, on the spring-forward day no instant gives 2.
 */
export function ercotLocalHour(ms: number): number {
  const hourKey = Math.floor(ms / HOUR_MS);
  let hour = localHourCache.get(hourKey);
  if (hour === undefined) {
    hour = DateTime.fromMillis(hourKey * HOUR_MS, { zone: ERCOT_TIME_ZONE }).hour;
    if (localHourCache.size >= DATE_CACHE_LIMIT) localHourCache.clear();
    localHourCache.set(hourKey, hour);
  }
  return hour;
}

/** ISO 8601 text in ERCOT local time with its offset, e.g. 2024-08-20T19:30:00-05:00 (for people). */
export function toErcotIso(ms: number): string {
  return DateTime.fromMillis(ms, { zone: ERCOT_TIME_ZONE }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

const STRICT_ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * The common strict layout (YYYY-MM-DDTHH:mm:ss[.sss] with Z or ±HH:MM) without Luxon, or NaN when the text is not in
 * it or a field is out of range (the caller then asks Luxon, which gives the precise complaint).
 */
function parseStrictIsoInstant(t: string): number {
  const m = STRICT_ISO_RE.exec(t);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(utc).getUTCDate() !== day || year < 1000) return NaN;
  if (m[8]) return utc;
  const offsetHours = +m[10];
  const offsetMinutes = +m[11];
  if (offsetHours > 14 || offsetMinutes > 59) return NaN;
  return utc - (m[9] === '-' ? -1 : 1) * (offsetHours * HOUR_MS + offsetMinutes * MINUTE_MS);
}

/** Parses an ISO 8601 instant that carries an offset or Z; text without one is rejected (ambiguous). */
export function parseIsoInstant(text: string): number {
  const t = text.trim();
  const fast = parseStrictIsoInstant(t);
  if (!Number.isNaN(fast)) return fast;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    throw new InputError(`${quoteInput(text)} has no UTC offset (write e.g. 2024-08-01T00:00:00-05:00 or ...Z)`);
  }
  const dt = DateTime.fromISO(t, { setZone: true });
  if (!dt.isValid) throw new InputError(`${quoteInput(text)} is not an ISO 8601 instant (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.toMillis();
}
