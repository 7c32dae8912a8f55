/**
 * Finds the optimizer's planner. The optimizer area exports `createPlanner(solver?)`; until its module settles this
 * looks in the places it may live and, failing those, assembles one from the optimizer's parts.
 */
import { performance } from 'node:perf_hooks';
import type { Planner } from '../../domain/replay/replay-data.js';

type Factory = (solver?: string) => Promise<Planner> | Planner;

const FACTORY_MODULES = ['../../adapters/solvers/planner-factory.js', '../../domain/optimizer/index.js', '../../adapters/solvers/index.js'];

async function tryImport(path: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(path)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

export async function loadPlanner(solver?: string): Promise<Planner> {
  for (const path of FACTORY_MODULES) {
    const mod = await tryImport(path);
    if (mod && typeof mod.createPlanner === 'function') return await (mod.createPlanner as Factory)(solver);
  }
  const planner = await tryImport('../../domain/optimizer/planner.js');
  const dp = await tryImport('../../domain/optimizer/dp-solver.js');
  const highs = await tryImport('../../adapters/solvers/highs.js');
  if (planner && dp && typeof planner.plannerFromSolver === 'function') {
    const fallback = highs && typeof highs.createHighsSolver === 'function' ? await (highs.createHighsSolver as () => Promise<unknown>)() : undefined;
    const primary = solver === 'highs' && fallback ? fallback : new (dp.DpSolver as new () => unknown)();
    return (planner.plannerFromSolver as (p: unknown, o: unknown) => Planner)(primary, { fallback, timer: () => performance.now() });
  }
  throw new Error('the optimizer is not available (no createPlanner in src/domain/optimizer or src/adapters/solvers)');
}
