/**
 * The command modules, one per area. Each file registers its own sub-commands; add a line here for a new area.
 * Modules that do not exist yet are skipped so areas can land independently.
 */
import type { RegisterCommands } from '../context.js';

const MODULES = [
  './replay.js', // replay, scenario (optimizer issue)
  './db.js', // db migrate / status (persistence issue)
  './prices.js', // prices import / status / ingest (ERCOT issue)
  './fake-ercot.js', // fake ercot
  './enphase.js', // enphase connect, sites, telemetry (Enphase issue)
  './fake-enphase.js', // fake enphase
];

export async function commandModules(): Promise<RegisterCommands[]> {
  const out: RegisterCommands[] = [];
  for (const path of MODULES) {
    try {
      const mod = (await import(path)) as { register: RegisterCommands };
      out.push(mod.register);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(path.slice(2, -3))) continue;
      throw error;
    }
  }
  return out;
}
