/**
 * Reads a data file (price CSV, load/solar CSV) as text, gunzipping it when its first bytes are the gzip magic
 * number, whatever its name: `August_2024.csv` and `August_2024.csv.gz` read the same. The bundled ERCOT data in
 * `datasets/ercot/` is stored gzipped.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InvalidPriceData } from '../../domain/errors.js';

/** Larger decompressed files are refused (a price file of a year at 15 minutes for every hub is ~20 MB). */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The text of a file's bytes: gunzipped first when gzip-compressed. `file` is named in the error if that fails. */
export function decodeDataFile(bytes: Uint8Array, file: string): string {
  if (!isGzip(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES }).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ERR_BUFFER_TOO_LARGE' ? `more than ${MAX_DECOMPRESSED_BYTES / 1024 / 1024} MB once decompressed` : (error as Error).message;
    throw new InvalidPriceData(`not a readable gzip file: ${why}`, { file });
  }
}

/** Reads a data file as text (gzip or plain). File-system errors are thrown as they are, for the caller to name. */
export async function readDataFile(path: string): Promise<string> {
  return decodeDataFile(await readFile(path), path);
}

export function readDataFileSync(path: string): string {
  return decodeDataFile(readFileSync(path), path);
}
