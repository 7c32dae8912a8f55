/** The ERCOT price data shipped in the repository (datasets/ercot/, gzipped), for tests. */
import { fileURLToPath } from 'node:url';
import { readDataFileSync } from '../src/adapters/files/text-files.js';

/** Absolute path of datasets/ercot/ (ends with a slash). */
export const ERCOT_DATASETS_DIR = fileURLToPath(new URL('../datasets/ercot/', import.meta.url));

/** Absolute path of a file under datasets/ercot/, e.g. `rtm-spp-15min/August_2024.csv.gz`. */
export function ercotDatasetPath(relative: string): string {
  return `${ERCOT_DATASETS_DIR}${relative}`;
}

/** The text of a file under datasets/ercot/ (gunzipped). */
export function ercotDatasetText(relative: string): string {
  return readDataFileSync(ercotDatasetPath(relative));
}
