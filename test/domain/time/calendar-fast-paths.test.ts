/**
 * The calendar's fast paths (no Luxon on hot loops) must answer exactly what Luxon answers: ercotDateOf's per-hour
 * cache and parseIsoInstant's strict-layout parser. Expected values come from Luxon here, not from the code under test.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ercotDateOf, parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';

const luxonInstant = (t: string): number => DateTime.fromISO(t, { setZone: true }).toMillis();
const luxonDate = (ms: number): string => DateTime.fromMillis(ms, { zone: 'America/Chicago' }).toFormat('yyyy-MM-dd');

describe('calendar fast paths', () => {
  it('parseIsoInstant agrees with Luxon on Z, offsets, fractions and DST edges', () => {
    const texts = [
      '2024-01-01T06:00:00.000Z', '2024-01-01T06:15:00Z', '2024-03-10T07:45:00.5Z', '2024-11-03T06:00:00-05:00',
      '2024-11-03T01:30:00-06:00', '2024-11-03T01:30:00-05:00', '2024-02-29T23:59:59.999+14:00', '1999-12-31T23:00:00+05:30',
      '2025-02-28T18:00:00-06:00',
    ];
    for (const t of texts) expect(parseIsoInstant(t), t).toBe(luxonInstant(t));
  });

  it('parseIsoInstant still rejects impossible dates and text without an offset', () => {
    expect(() => parseIsoInstant('2024-02-30T00:00:00Z')).toThrow(/not an ISO 8601 instant/);
    expect(() => parseIsoInstant('2023-02-29T00:00:00Z')).toThrow(/not an ISO 8601 instant/);
    expect(() => parseIsoInstant('2024-01-01T25:00:00Z')).toThrow(/not an ISO 8601 instant/);
    expect(() => parseIsoInstant('2024-01-01T00:00:00')).toThrow(/no UTC offset/);
  });

  it('ercotDateOf agrees with Luxon every 15 minutes across both 2024 DST changes', () => {
    for (const [from, to] of [['2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z'], ['2024-11-02T00:00:00Z', '2024-11-05T00:00:00Z']]) {
      for (let ms = Date.parse(from); ms < Date.parse(to); ms += 15 * 60_000) {
        expect(ercotDateOf(ms)).toBe(luxonDate(ms));
        expect(ercotDateOf(ms + 14 * 60_000)).toBe(luxonDate(ms + 14 * 60_000));
      }
    }
  });
});
