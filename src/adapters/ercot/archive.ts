/**
 * Historical backfill through ERCOT's archive endpoints, for dates older than the query endpoints hold:
 * list a product's documents posted in a window (GET /archive/{emilId}, paged), download them as a zip bundle
 * (POST /archive/{emilId}/download {docIds}), unzip (bundles may nest one zip per document) and parse the legacy CSVs.
 */
import { unzipSync } from 'fflate';
import { DateTime } from 'luxon';
import { ERCOT_TIME_ZONE } from '../../domain/time/ercot-calendar.js';
import type { ErcotClient } from './client.js';
import { parseLegacyCsv } from './legacy-csv.js';
import type { ErcotPriceRow, ErcotProduct } from './products.js';
import { archiveListSchema, InvalidErcotData, parseJsonBody, parseWith } from './wire.js';

export interface ArchiveDoc {
  docId: number;
  friendlyName?: string;
  postDatetime: string;
}

/** Documents of a product posted in [fromDate 00:00, toDate 24:00) local time, every page followed. */
export async function listArchive(client: ErcotClient, product: ErcotProduct, fromDate: string, toDate: string, pageSize = 1000): Promise<ArchiveDoc[]> {
  const docs: ArchiveDoc[] = [];
  const to = DateTime.fromISO(toDate, { zone: ERCOT_TIME_ZONE }).plus({ days: 1 }).toFormat('yyyy-MM-dd');
  for (let page = 1; ; page++) {
    const what = `${product.id} archive list ${fromDate}..${toDate} page ${page}`;
    const text = await client.http.getText(`/archive/${product.id}`, {
      postDatetimeFrom: `${fromDate}T00:00:00`, postDatetimeTo: `${to}T00:00:00`, page, size: pageSize,
    }, what);
    const list = parseWith(archiveListSchema, parseJsonBody(text, what), what);
    docs.push(...list.archives.map((a) => ({ docId: a.docId, friendlyName: a.friendlyName, postDatetime: a.postDatetime })));
    if (list._meta.totalPages === 0 || list._meta.currentPage >= list._meta.totalPages) break;
  }
  return docs;
}

/** Downloads documents (in batches) and returns the parsed rows of every CSV inside. */
export async function downloadArchiveRows(client: ErcotClient, product: ErcotProduct, docIds: readonly number[], batchSize = 500): Promise<ErcotPriceRow[]> {
  const rows: ErcotPriceRow[] = [];
  for (let i = 0; i < docIds.length; i += batchSize) {
    const batch = docIds.slice(i, i + batchSize);
    const what = `${product.id} archive download of ${batch.length} document(s) from ${batch[0]}`;
    const bytes = await client.http.postForBytes(`/archive/${product.id}/download`, { docIds: batch }, what);
    for (const [name, text] of csvFilesInZip(bytes, what)) rows.push(...parseLegacyCsv(product, text, { fileName: name }));
  }
  return rows;
}

/** Rows of a product for delivery dates [fromDate, toDate] from the archive (documents posted up to a day later). */
export async function fetchArchivedPrices(client: ErcotClient, product: ErcotProduct, fromDate: string, toDate: string, points: readonly string[]): Promise<ErcotPriceRow[]> {
  const listFrom = DateTime.fromISO(fromDate, { zone: ERCOT_TIME_ZONE }).minus({ days: 1 }).toFormat('yyyy-MM-dd');
  const listTo = DateTime.fromISO(toDate, { zone: ERCOT_TIME_ZONE }).plus({ days: 1 }).toFormat('yyyy-MM-dd');
  const docs = await listArchive(client, product, listFrom, listTo);
  const rows = await downloadArchiveRows(client, product, docs.map((d) => d.docId));
  const wanted = new Set(points);
  return rows.filter((r) => wanted.has(r.settlementPoint) && r.deliveryDate >= fromDate && r.deliveryDate <= toDate);
}

/** [name, text] of every CSV in a zip, descending into nested zips. */
export function csvFilesInZip(bytes: Uint8Array, what: string): Array<[string, string]> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new InvalidErcotData(`${what}: not a valid zip (${(error as Error).message})`);
  }
  const out: Array<[string, string]> = [];
  for (const [name, data] of Object.entries(entries)) {
    if (/\.zip$/i.test(name)) out.push(...csvFilesInZip(data, `${what} / ${name}`));
    else if (/\.csv$/i.test(name)) out.push([name, Buffer.from(data).toString('utf8')]);
  }
  return out;
}
