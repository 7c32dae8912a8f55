import { zipSync, strToU8 } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { csvFilesInZip, downloadArchiveRows, fetchArchivedPrices, listArchive } from '../../../src/adapters/ercot/archive.js';
import { parseLegacyCsv } from '../../../src/adapters/ercot/legacy-csv.js';
import { DAM_SPP, RT_SPP } from '../../../src/adapters/ercot/products.js';
import { InvalidErcotData } from '../../../src/adapters/ercot/wire.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { HOUR_MS } from '../../../src/domain/time/interval.js';
import { rtDay, startHarness, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => h?.stop());

describe('ERCOT archive', () => {
  it('lists documents across pages, downloads a bundle of nested zips and parses the legacy RT layout', async () => {
    h = await startHarness({ defaultPageSize: 2 });
    for (const d of ['2023-11-04', '2023-11-05', '2023-11-06']) h.fake.data.upsert('NP6-905-CD', [...rtDay(d, 'HB_WEST', () => 12), ...rtDay(d, 'LZ_WEST', () => 13, 'LZEW')]);
    const docs = await listArchive(h.client, RT_SPP, '2023-11-04', '2023-11-07', 2);
    expect(docs).toHaveLength(3);
    expect(h.fake.apiRequests('/archive/NP6-905-CD').filter((r) => r.method === 'GET').map((r) => r.query.page)).toEqual(['1', '2']);
    const rows = await downloadArchiveRows(h.client, RT_SPP, docs.map((d) => d.docId));
    expect(rows.filter((r) => r.settlementPoint === 'LZ_WEST')).toHaveLength(0); // LZEW dropped
    expect(rows).toHaveLength(96 + 96 + 96);
    const wanted = await fetchArchivedPrices(h.client, RT_SPP, '2023-11-05', '2023-11-05', ['HB_WEST']);
    expect(wanted).toHaveLength(96); // the fall-back day 2023-11-05 without a flagged hour: 96 rows, one hour missing
  });

  it('parses the legacy DAM layout with its flag and "24:00", and lists every bad row with its line', () => {
    const csv = ['DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag',
      '11/03/2024,02:00,HB_NORTH,20,Y', '11/03/2024,02:00,HB_NORTH,19,N', '11/03/2024,24:00,HB_NORTH,30.5,N'].join('\n');
    const rows = parseLegacyCsv(DAM_SPP, csv, { fileName: 'dam.csv' });
    expect(rows.map((r) => r.intervalStartMs)).toEqual([Date.parse('2024-11-03T07:00:00Z'), Date.parse('2024-11-03T06:00:00Z'), ercotDay('2024-11-03').endMs - HOUR_MS]);
    const bad = `${csv}\n11/03/2024,25:00,HB_NORTH,1,N\n11/03/2024,03:00,HB_NORTH,x,N\n`;
    const err = (() => { try { parseLegacyCsv(DAM_SPP, bad, { fileName: 'dam.csv' }); } catch (e) { return e as InvalidErcotData; } })();
    expect(err).toBeInstanceOf(InvalidErcotData);
    expect(err!.details.join('\n')).toMatch(/dam\.csv:5/);
    expect(err!.details.join('\n')).toMatch(/dam\.csv:6.*settlementPointPrice/);
  });

  it('refuses a download that is not a zip, naming the request', () => {
    expect(() => csvFilesInZip(strToU8('<html>maintenance</html>'), 'NP6-905-CD archive download')).toThrow(/NP6-905-CD archive download: not a valid zip/);
    const nested = zipSync({ 'a.zip': zipSync({ 'inner.csv': strToU8('x\n1\n') }), 'readme.txt': strToU8('hi') });
    expect(csvFilesInZip(nested, 'x').map(([n]) => n)).toEqual(['inner.csv']);
  });
});
