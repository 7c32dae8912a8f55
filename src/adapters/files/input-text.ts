/**
 * Reads a user's input file as text, refusing quickly what cannot be a scenario or a CSV: anything that is not a
 * regular file (/dev/zero, a directory, a FIFO), a file over the size limit, binary content (a NUL byte or bytes
 * that are not UTF-8) and absurdly long lines. A leading byte-order mark is dropped; data files may be gzipped
 * (decompressed within the same size limit; see text-files.ts). Every refusal is an InputError naming the file
 * (and the line where there is one).
 */
import { open } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InputError, InvalidPriceData } from '../../domain/errors.js';
import { isGzip } from './text-files.js';

export interface InputTextLimits {
  /** Largest file accepted, bytes (also once decompressed). */
  maxBytes: number;
  /** Longest line accepted, characters. */
  maxLineChars: number;
  /** Gunzip content that starts with the gzip magic number (data files). */
  gunzip?: boolean;
}

/** Scenario files: a few kB in practice. */
export const SCENARIO_FILE_LIMITS: InputTextLimits = { maxBytes: 1 << 20, maxLineChars: 100_000 };
/** Price, load and solar CSV files (plain or gzipped): a year of 15-minute rows for many settlement points fits easily. */
export const CSV_FILE_LIMITS: InputTextLimits = { maxBytes: 256 << 20, maxLineChars: 10_000, gunzip: true };

const MB = 1 << 20;

/** The file could not be opened or is not a regular file of acceptable size: `reason` says which ("no such file"). */
export class UnreadableInput extends InputError {
  constructor(what: string, readonly reason: string, file: string) {
    super(`cannot read ${what}: ${reason}`, { file });
    this.name = 'UnreadableInput';
  }
}

/** `what` ("scenario file", "price file") and `file` (the name to show) go into every message. */
export async function readInputText(path: string, limits: InputTextLimits, what: string, file = path): Promise<string> {
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw new UnreadableInput(what, 'a directory, not a file', file);
      if (!stat.isFile()) throw new UnreadableInput(what, 'not a regular file (a device, pipe or socket is not read)', file);
      if (stat.size > limits.maxBytes) throw new UnreadableInput(what, `${(stat.size / MB).toFixed(1)} MB, more than the ${(limits.maxBytes / MB).toFixed(0)} MB limit`, file);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : code === 'EACCES' ? 'permission denied' : code ?? String(error);
    throw new UnreadableInput(what, reason, file);
  }
  if (limits.gunzip && isGzip(bytes)) bytes = gunzip(bytes, limits, what, file);
  return checkInputText(bytes, limits, what, file);
}

function gunzip(bytes: Buffer, limits: InputTextLimits, what: string, file: string): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: limits.maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ERR_BUFFER_TOO_LARGE' ? `more than ${(limits.maxBytes / MB).toFixed(0)} MB once decompressed` : (error as Error).message;
    throw new InvalidPriceData(`${what} is not a readable gzip file: ${why}`, { file });
  }
}

/** The content checks of readInputText on bytes already read: binary content, long lines, BOM. */
export function checkInputText(bytes: Buffer, limits: InputTextLimits, what: string, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputError(`${what} is binary, not text (a NUL byte at offset ${nul})`, { file, line: lineAt(bytes, nul) });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new InputError(`${what} is not UTF-8 text (an invalid byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad})`, { file, line: lineAt(bytes, bad) });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let lineStart = 0;
  let line = 1;
  for (;;) {
    const end = text.indexOf('\n', lineStart);
    const stop = end < 0 ? text.length : end;
    if (stop - lineStart > limits.maxLineChars) {
      throw new InputError(`line is ${stop - lineStart} characters long, more than the ${limits.maxLineChars} accepted in a ${what}`, { file, line });
    }
    if (end < 0) return text;
    lineStart = end + 1;
    line++;
  }
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 (a prefix decodes, the next byte does not). */
function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // Smallest prefix length that fails (ignoring a sequence merely cut at the end of the prefix).
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let ok = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
    } catch {
      ok = false;
    }
    if (ok) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, bytes.length - 1);
}
