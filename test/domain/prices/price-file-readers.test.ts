import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readKwFile, readPriceFile, readPriceSeries } from '../../../src/adapters/files/price-file-readers.js';
import { InvalidPriceData } from '../../../src/domain/errors.js';
import { priceAt } from '../../../src/domain/prices/price-series.js';
import { ercotDay, parseIsoInstant } from '../../../src/domain/time/ercot-calendar.js';
import { HOUR_MS } from '../../../src/domain/time/interval.js';
import { ercotDatasetText } from '../../datasets.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/prices/${name}`, import.meta.url), 'utf8');
const iso = parseIsoInstant;

function thrown(fn: () => unknown): InvalidPriceData {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPriceData);
    return error as InvalidPriceData;
  }
  throw new Error('expected an InvalidPriceData');
}

describe('ercot-rtm-yearly', () => {
  it('reads a whole month for one settlement point, including the 2024-08-20 spike', () => {
    const s = readPriceSeries(ercotDatasetText('rtm-spp-15min/August_2024.csv.gz'), {
      format: 'ercot-rtm-yearly', fileName: 'August_2024.csv', settlementPoint: 'HB_HOUSTON',
      startMs: iso('2024-08-01T00:00:00-05:00'), endMs: iso('2024-09-01T00:00:00-05:00'),
    });
    expect(s.pricesUsdPerMwh.length).toBe(31 * 96);
    expect(priceAt(s, iso('2024-08-20T19:30:00-05:00'))).toBe(4855.55);
    expect(priceAt(s, iso('2024-08-01T00:00:00-05:00'))).toBe(16.4);
  });

  it('keeps negative prices (HB_WEST, February 2025)', () => {
    const points = readPriceFile(ercotDatasetText('rtm-spp-15min/February_2025.csv.gz'), { format: 'ercot-rtm-yearly', fileName: 'February_2025.csv', settlementPoint: 'HB_WEST' });
    expect(points.length).toBe(28 * 96);
    expect(Math.min(...points.map((p) => p.priceUsdPerMwh))).toBeLessThan(0);
  });

  it('fall-back day: 100 intervals, the flagged copy of hour-ending 2 is the second 01:00 hour whatever the row order', () => {
    const day = ercotDay('2024-11-03');
    const s = readPriceSeries(fixture('rtm-yearly-fall-back-2024-11-03.csv'), { format: 'ercot-rtm-yearly', fileName: 'f.csv', settlementPoint: 'HB_HOUSTON', startMs: day.startMs, endMs: day.endMs });
    expect(s.pricesUsdPerMwh.length).toBe(100);
    // 01:00 CDT (first) = 06:00Z; 01:00 CST (repeated, flag Y) = 07:00Z, priced +50 in the fixture
    expect(priceAt(s, iso('2024-11-03T06:00:00Z'))).toBeCloseTo(22.1, 9);
    expect(priceAt(s, iso('2024-11-03T07:00:00Z'))).toBeCloseTo(72.1, 9);
  });

  it('spring-forward day: 92 intervals', () => {
    const day = ercotDay('2024-03-10');
    const s = readPriceSeries(fixture('rtm-yearly-spring-forward-2024-03-10.csv'), { format: 'ercot-rtm-yearly', fileName: 's.csv', settlementPoint: 'HB_HOUSTON', startMs: day.startMs, endMs: day.endMs });
    expect(s.pricesUsdPerMwh.length).toBe(92);
    // hour-ending 4 (03:00 CDT) follows hour-ending 2 (01:00 CST) directly
    expect(priceAt(s, day.startMs + 2 * HOUR_MS)).toBeCloseTo(24.1, 9);
  });

  it('a fall-back day without its flagged rows has the wrong row count', () => {
    const text = fixture('rtm-yearly-fall-back-2024-11-03.csv').split('\n').filter((l) => !l.includes(',Y,')).join('\n');
    const e = thrown(() => readPriceFile(text, { format: 'ercot-rtm-yearly', fileName: 'f.csv', settlementPoint: 'HB_HOUSTON' }));
    expect(e.message).toMatch(/f\.csv.*2024-11-03 has 96 rows, expected 100 \(a 25-hour DST day\)/);
  });

  it('a spring-forward day with the missing hour present is rejected', () => {
    const text = `${fixture('rtm-yearly-spring-forward-2024-03-10.csv')}03/10/2024,3,1,N,HB_HOUSTON,HU,30\n`;
    const e = thrown(() => readPriceFile(text, { format: 'ercot-rtm-yearly', fileName: 's.csv', settlementPoint: 'HB_HOUSTON' }));
    expect(e.location.line).toBe(94);
    expect(e.message).toMatch(/does not exist/);
  });
});

describe('ercot-api', () => {
  it('DAM hourly: unsorted rows, 23 and 25 hours on DST days, "24:00" is the hour before midnight, DSTFlag marks the repeat', () => {
    const points = readPriceFile(fixture('dam-houston-dst-days.csv'), { format: 'ercot-api', fileName: 'dam.csv', settlementPoint: 'HB_HOUSTON' });
    const spring = ercotDay('2024-03-10');
    const fall = ercotDay('2024-11-03');
    const inDay = (d: { startMs: number; endMs: number }) => points.filter((p) => p.intervalStartMs >= d.startMs && p.intervalStartMs < d.endMs);
    expect(inDay(spring)).toHaveLength(92);
    expect(inDay(fall)).toHaveLength(100);
    const at = (ms: number) => points.find((p) => p.intervalStartMs === ms)?.priceUsdPerMwh;
    expect(at(iso('2024-11-03T06:00:00Z'))).toBe(11.6); // 02:00 hour-ending, first (CDT)
    expect(at(iso('2024-11-03T07:00:00Z'))).toBe(14.11); // 02:00 hour-ending, DSTFlag True (CST)
    expect(at(iso('2024-11-03T23:00:00-06:00'))).toBe(14.97); // "24:00"
    expect(at(iso('2024-11-03T23:45:00-06:00'))).toBe(14.97);
  });

  it('DAM: a fall-back day without its DSTFlag row has the wrong row count', () => {
    const text = fixture('dam-houston-dst-days.csv').split('\n').filter((l) => !(l.startsWith('2024-11-03') && l.endsWith('True'))).join('\n');
    const e = thrown(() => readPriceFile(text, { format: 'ercot-api', fileName: 'dam.csv', settlementPoint: 'HB_HOUSTON' }));
    expect(e.message).toMatch(/dam\.csv:\d+.*2024-11-03 has 24 rows, expected 25/);
  });

  it('NP6-905-CD real time: detected by header, filtered by settlement point type, repeated hour by DSTFlag', () => {
    const points = readPriceFile(fixture('api-rt-fall-back-2024-11-03.csv'), { format: 'ercot-api', fileName: 'rt.csv', settlementPoint: 'LZ_HOUSTON', settlementPointType: 'LZ' });
    expect(points).toHaveLength(100);
    expect(points.find((p) => p.intervalStartMs === iso('2024-11-03T07:15:00Z'))?.priceUsdPerMwh).toBeCloseTo(72.2, 9);
    expect(Math.max(...points.map((p) => p.priceUsdPerMwh))).toBeLessThan(1000); // LZEW rows left out
  });

  it('the bundled DAM file reads whole (2024-01-01..2025-02-25, every day counted)', () => {
    const points = readPriceFile(ercotDatasetText('dam-spp-hourly/dam_spp_HB_HOUSTON.csv.gz'), { format: 'ercot-api', fileName: 'dam_spp_HB_HOUSTON.csv', settlementPoint: 'HB_HOUSTON' });
    expect(points.length).toBe((10128) * 4);
  });
});

describe('csv', () => {
  it('15-minute prices with offsets or Z', () => {
    const text = 'interval_start,price\n2024-08-20T19:30:00-05:00,4855.55\n2024-08-21T00:45:00Z,-12.5\n';
    const points = readPriceFile(text, { format: 'csv', fileName: 'p.csv' });
    expect(points.map((p) => p.priceUsdPerMwh)).toEqual([4855.55, -12.5]);
    expect(points[0].intervalStartMs).toBe(iso('2024-08-21T00:30:00Z'));
  });

  it('5-minute prices are averaged to 15 minutes', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00Z,10\n2024-08-01T00:05:00Z,20\n2024-08-01T00:10:00Z,60\n2024-08-01T00:15:00Z,1\n2024-08-01T00:20:00Z,2\n2024-08-01T00:25:00Z,3\n';
    const points = readPriceFile(text, { format: 'csv', fileName: 'p.csv' });
    expect(points.map((p) => p.priceUsdPerMwh)).toEqual([30, 2]);
  });

  it('hourly prices apply to their four intervals', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00-05:00,40\n2024-08-01T01:00:00-05:00,50\n';
    const points = readPriceFile(text, { format: 'csv', fileName: 'p.csv' });
    expect(points).toHaveLength(8);
    expect(points[4]).toMatchObject({ intervalStartMs: iso('2024-08-01T01:00:00-05:00'), priceUsdPerMwh: 50 });
  });

  it('load/solar files use a kw column', () => {
    const points = readKwFile('interval_start,kw\n2024-08-01T00:00:00Z,1.5\n2024-08-01T00:15:00Z,2\n', 'load.csv');
    expect(points.map((p) => p.kw)).toEqual([1.5, 2]);
  });
});

describe('bad price files', () => {
  it('a missing column names the file, line 1 and the column', () => {
    const e = thrown(() => readPriceFile('interval_start,cost\n2024-08-01T00:00:00Z,1\n', { format: 'csv', fileName: 'p.csv' }));
    expect(e.message).toMatch(/p\.csv:1, field price: missing column "price"/);
  });

  it('a non-numeric price names file, line, field and interval', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00-05:00,12\n2024-08-01T00:15:00-05:00,abc\n';
    const e = thrown(() => readPriceFile(text, { format: 'csv', fileName: 'p.csv' }));
    expect(e.message).toBe('p.csv:3, field price, interval 2024-08-01T00:15:00-05:00: not a number: "abc"');
  });

  it('a non-numeric ERCOT price names the line', () => {
    const text = fixture('rtm-aug-2024-excerpt.csv').replace(/(\n08\/19\/2024,1,1,N,HB_HOUSTON,HU,)[^\n]+/, '$1n/a');
    const e = thrown(() => readPriceFile(text, { format: 'ercot-rtm-yearly', fileName: 'rt.csv', settlementPoint: 'HB_HOUSTON' }));
    expect(e.location.field).toBe('Settlement Point Price');
    expect(e.location.interval).toBe('2024-08-19T00:00:00-05:00');
  });

  it('a duplicate interval', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00-05:00,12\n2024-08-01T05:00:00Z,13\n';
    const e = thrown(() => readPriceFile(text, { format: 'csv', fileName: 'p.csv' }));
    expect(e.message).toMatch(/p\.csv:3.*interval 2024-08-01T00:00:00-05:00: duplicate interval \(lines 2 and 3\)/);
  });

  it('a gap inside the requested period names the first missing interval', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00-05:00,12\n2024-08-01T00:15:00-05:00,13\n2024-08-01T00:45:00-05:00,14\n';
    const e = thrown(() => readPriceSeries(text, { format: 'csv', fileName: 'p.csv', startMs: iso('2024-08-01T00:00:00-05:00'), endMs: iso('2024-08-01T01:00:00-05:00') }));
    expect(e.message).toMatch(/p\.csv, interval 2024-08-01T00:30:00-05:00: price data has 1 missing interval/);
  });

  it('an interval length that fits neither rule', () => {
    const text = 'interval_start,price\n2024-08-01T00:00:00Z,1\n2024-08-01T00:20:00Z,2\n';
    expect(thrown(() => readPriceFile(text, { format: 'csv', fileName: 'p.csv' })).message).toMatch(/20 minutes/);
  });

  it('no rows for the settlement point', () => {
    expect(thrown(() => readPriceFile(fixture('rtm-aug-2024-excerpt.csv'), { format: 'ercot-rtm-yearly', fileName: 'rt.csv', settlementPoint: 'HB_NOWHERE' })).message).toMatch(/no rows for settlement point HB_NOWHERE/);
  });
});
