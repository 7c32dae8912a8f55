import { describe, expect, it } from 'vitest';
import {
  ercotDateOf,
  ercotDay,
  ercotDayIntervalStarts,
  ercotHourStartMs,
  ercotIntervalStartMs,
  ercotLocalParts,
  ercotLocalTimestampToMs,
  InvalidErcotTime,
  parseErcotDate,
  parseErcotFlag,
  parseHourEnding,
  parseIsoInstant,
  toErcotIso,
} from '../../../src/domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS, intervalCeil, intervalFloor, intervalStarts, isIntervalAligned } from '../../../src/domain/time/interval.js';
import { InputError } from '../../../src/domain/errors.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('ERCOT days', () => {
  it('has 96 intervals on an ordinary day, 92 on spring-forward and 100 on fall-back', () => {
    expect(ercotDay('2024-08-20').intervals).toBe(96);
    expect(ercotDay('2024-03-10').intervals).toBe(92);
    expect(ercotDay('2024-11-03').intervals).toBe(100);
    expect(ercotDayIntervalStarts('2025-03-09')).toHaveLength(92);
    expect(ercotDayIntervalStarts('2025-11-02')).toHaveLength(100);
  });

  it('starts at local midnight (CDT in summer, CST in winter)', () => {
    expect(iso(ercotDay('2024-08-20').startMs)).toBe('2024-08-20T05:00:00.000Z');
    expect(iso(ercotDay('2025-01-15').startMs)).toBe('2025-01-15T06:00:00.000Z');
  });

  it('names the skipped and repeated clock hours', () => {
    expect(ercotDay('2024-03-10').skippedClockHour).toBe(2);
    expect(ercotDay('2024-11-03').repeatedClockHour).toBe(1);
  });

  it('rejects impossible dates', () => {
    expect(() => ercotDay('2024-02-30')).toThrow(InvalidErcotTime);
    expect(() => ercotDay('20240220')).toThrow(/YYYY-MM-DD/);
  });
});

describe('hour-ending and delivery intervals', () => {
  it('maps hour-ending 1 interval 1 to local midnight and hour-ending 24 to 23:00', () => {
    expect(iso(ercotIntervalStartMs('2024-08-20', 1, 1))).toBe('2024-08-20T05:00:00.000Z');
    expect(iso(ercotIntervalStartMs('2024-08-20', 20, 3))).toBe('2024-08-21T00:30:00.000Z');
    expect(iso(ercotHourStartMs('2024-08-20', 24))).toBe('2024-08-21T04:00:00.000Z');
  });

  it('treats "24:00" as the last hour of the delivery date', () => {
    expect(parseHourEnding('24:00')).toBe(24);
    expect(parseHourEnding('01:00')).toBe(1);
    expect(parseHourEnding('7')).toBe(7);
    expect(() => parseHourEnding('25:00')).toThrow(InvalidErcotTime);
    expect(() => parseHourEnding('00:00')).toThrow(InvalidErcotTime);
    expect(ercotHourStartMs('2024-08-20', 24) + HOUR_MS).toBe(ercotDay('2024-08-21').startMs);
  });

  it('has no hour-ending 3 on the spring-forward day and continues without a gap', () => {
    expect(() => ercotHourStartMs('2024-03-10', 3)).toThrow(/does not exist/);
    expect(ercotHourStartMs('2024-03-10', 4) - ercotHourStartMs('2024-03-10', 2)).toBe(HOUR_MS);
    expect(iso(ercotHourStartMs('2024-03-10', 4))).toBe('2024-03-10T08:00:00.000Z');
  });

  it('tells the fall-back repeated hour apart by the flag, not by order', () => {
    const first = ercotHourStartMs('2024-11-03', 2, false);
    const second = ercotHourStartMs('2024-11-03', 2, true);
    expect(iso(first)).toBe('2024-11-03T06:00:00.000Z');
    expect(second - first).toBe(HOUR_MS);
    expect(ercotHourStartMs('2024-11-03', 3) - second).toBe(HOUR_MS);
    expect(() => ercotHourStartMs('2024-11-03', 5, true)).toThrow(/only hour-ending 2 repeats/);
    expect(() => ercotHourStartMs('2024-08-20', 2, true)).toThrow(/no repeated hour/);
  });

  it('covers every interval of a DST day exactly once', () => {
    for (const date of ['2024-03-10', '2024-11-03', '2024-08-20']) {
      const day = ercotDay(date);
      const starts = new Set<number>();
      for (let he = 1; he <= 24; he++) {
        if (he - 1 === day.skippedClockHour) continue;
        const flags = he - 1 === day.repeatedClockHour ? [false, true] : [false];
        for (const flag of flags) for (let i = 1; i <= 4; i++) starts.add(ercotIntervalStartMs(date, he, i, flag));
      }
      expect(starts.size).toBe(day.intervals);
      expect([...starts].sort((a, b) => a - b)).toEqual(ercotDayIntervalStarts(date));
    }
  });

  it('inverts to local parts, including the repeated hour', () => {
    const ms = ercotIntervalStartMs('2024-11-03', 2, 3, true);
    expect(ercotLocalParts(ms)).toMatchObject({ date: '2024-11-03', hourEnding: 2, deliveryInterval: 3, repeated: true, minuteOfDay: 90 });
    expect(ercotLocalParts(ercotIntervalStartMs('2024-11-03', 2, 3, false)).repeated).toBe(false);
    expect(ercotDateOf(ercotIntervalStartMs('2024-08-20', 24, 4))).toBe('2024-08-20');
    expect(toErcotIso(ercotIntervalStartMs('2024-08-20', 20, 3))).toBe('2024-08-20T19:30:00-05:00');
  });

  it('rejects out-of-range intervals', () => {
    expect(() => ercotIntervalStartMs('2024-08-20', 1, 5)).toThrow(/out of range 1–4/);
    expect(() => ercotIntervalStartMs('2024-08-20', 0, 1)).toThrow(/out of range 1–24/);
  });
});

describe('parsing ERCOT text', () => {
  it('reads both date layouts and all flag spellings', () => {
    expect(parseErcotDate('08/20/2024')).toBe('2024-08-20');
    expect(parseErcotDate('2024-08-20')).toBe('2024-08-20');
    expect(() => parseErcotDate('20.08.2024')).toThrow(InvalidErcotTime);
    for (const t of ['Y', 'true', 'True', '1']) expect(parseErcotFlag(t)).toBe(true);
    for (const t of ['N', 'false', 'False', '0', '']) expect(parseErcotFlag(t)).toBe(false);
    expect(() => parseErcotFlag('maybe')).toThrow(InvalidErcotTime);
  });

  it('converts SCED local timestamps, with the repeated hour by flag', () => {
    expect(iso(ercotLocalTimestampToMs('2024-08-20T19:27:10'))).toBe('2024-08-21T00:27:10.000Z');
    const a = ercotLocalTimestampToMs('2024-11-03T01:05:00', false);
    const b = ercotLocalTimestampToMs('2024-11-03T01:05:00', true);
    expect(b - a).toBe(HOUR_MS);
  });

  it('requires an offset on ISO instants', () => {
    expect(parseIsoInstant('2024-08-01T00:00:00-05:00')).toBe(Date.UTC(2024, 7, 1, 5));
    expect(parseIsoInstant('2024-08-01T05:00:00Z')).toBe(Date.UTC(2024, 7, 1, 5));
    expect(() => parseIsoInstant('2024-08-01T00:00:00')).toThrow(/no UTC offset/);
    expect(() => parseIsoInstant('2024-13-01T00:00:00Z')).toThrow(InputError);
  });
});

describe('interval arithmetic', () => {
  it('floors, ceils and enumerates 15-minute intervals', () => {
    const t = Date.UTC(2024, 7, 20, 12, 7);
    expect(intervalFloor(t)).toBe(Date.UTC(2024, 7, 20, 12, 0));
    expect(intervalCeil(t)).toBe(Date.UTC(2024, 7, 20, 12, 15));
    expect(isIntervalAligned(t)).toBe(false);
    expect(intervalStarts(Date.UTC(2024, 7, 20), Date.UTC(2024, 7, 20, 1))).toHaveLength(4);
    expect(INTERVAL_MS).toBe(900_000);
  });
});
