/** Reads the HB_HUBAVG (or any `csv`-format) real-time and day-ahead files for walk-forward evaluation. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataFile } from '../../adapters/files/text-files.js';
import { readPriceFile } from '../../adapters/files/price-file-readers.js';
import { InputError } from '../../domain/errors.js';
import type { MarketHistory } from '../../domain/forecast/known-at.js';
import { seriesFromPoints } from '../../domain/prices/price-series.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';

/** Where the data is looked for when `--data` is not given: the repository's copy first, then the shared one. */
export const DEFAULT_DATA_DIRS = ['datasets/ercot/hubavg', '../shared/data/ercot/hubavg'];

export interface EvaluationData {
  dir: string;
  files: { realTime: string; dayAhead: string };
  history: MarketHistory;
}

function pick(dir: string, pattern: RegExp, what: string): string {
  const names = readdirSync(dir).filter((n) => pattern.test(n) && /\.csv(\.gz)?$/.test(n)).sort();
  if (names.length === 0) throw new InputError(`no ${what} file (name matching ${pattern}) in ${dir}`, { field: '--data' });
  return join(dir, names[names.length - 1]);
}

export function findDataDir(dir?: string): string {
  if (dir) {
    if (!existsSync(dir)) throw new InputError(`data directory ${dir} does not exist`, { field: '--data' });
    return resolve(dir);
  }
  const found = DEFAULT_DATA_DIRS.find((d) => existsSync(d));
  if (!found) throw new InputError(`no price data: none of ${DEFAULT_DATA_DIRS.join(', ')} exists (give --data DIR)`, { field: '--data' });
  return resolve(found);
}

/** Reads `*rt15*` (15-minute real time) and `*dam*` (hourly day-ahead) `csv` files (plain or gzipped) of a directory. */
export async function readEvaluationData(dirOption?: string): Promise<EvaluationData> {
  const dir = findDataDir(dirOption);
  const rtFile = pick(dir, /rt/i, 'real-time');
  const damFile = pick(dir, /dam/i, 'day-ahead');
  const rtPoints = readPriceFile(await readDataFile(rtFile), { format: 'csv', fileName: rtFile });
  const damPoints = readPriceFile(await readDataFile(damFile), { format: 'csv', fileName: damFile });
  const span = (points: { intervalStartMs: number }[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of points) {
      lo = Math.min(lo, p.intervalStartMs);
      hi = Math.max(hi, p.intervalStartMs);
    }
    return [lo, hi + INTERVAL_MS] as const;
  };
  const [rtLo, rtHi] = span(rtPoints);
  const [damLo, damHi] = span(damPoints);
  return {
    dir,
    files: { realTime: rtFile, dayAhead: damFile },
    history: { realTime: seriesFromPoints(rtPoints, rtLo, rtHi, rtFile), dayAhead: seriesFromPoints(damPoints, damLo, damHi, damFile) },
  };
}
