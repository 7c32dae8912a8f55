/**
 * 15-minute intervals keyed by their UTC start, as epoch milliseconds (numbers: cheap to store in typed arrays
 * and compare in hot loops). Everything inside the engine is a UTC instant; ERCOT local time exists only at the
 * edges (see ercot-calendar.ts).
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** 24 hours (a UTC day; an ERCOT day may have 23 or 25 hours: see ercot-calendar.ts). */
export const DAY_MS = 24 * HOUR_MS;
export const INTERVAL_MINUTES = 15;
export const INTERVAL_MS = INTERVAL_MINUTES * MINUTE_MS;
/** Length of one interval in hours (kW × hours = kWh). */
export const INTERVAL_HOURS = INTERVAL_MINUTES / 60;

export function isIntervalAligned(ms: number): boolean {
  return Number.isInteger(ms) && ms % INTERVAL_MS === 0;
}

/** The start of the interval that contains `ms`. */
export function intervalFloor(ms: number): number {
  return Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;
}

/** The first interval start at or after `ms`. */
export function intervalCeil(ms: number): number {
  return Math.ceil(ms / INTERVAL_MS) * INTERVAL_MS;
}

/** Number of whole intervals in [startMs, endMs). Both must be aligned. */
export function intervalCount(startMs: number, endMs: number): number {
  return Math.max(0, Math.round((endMs - startMs) / INTERVAL_MS));
}

/** Interval starts in [startMs, endMs). */
export function intervalStarts(startMs: number, endMs: number): number[] {
  const n = intervalCount(startMs, endMs);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = startMs + i * INTERVAL_MS;
  return out;
}

/** ISO 8601 UTC text for logs and errors. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
