/** The optimizer's planner for replays (createPlanner from the solvers area); an unknown solver name is bad input. */
import { InputError } from '../../domain/errors.js';
import { SOLVER_NAMES, type SolverName } from '../../domain/optimizer/planner.js';
import type { Planner } from '../../domain/ports/planner.js';

export async function loadPlanner(solver?: string): Promise<Planner> {
  if (solver !== undefined && !SOLVER_NAMES.includes(solver as SolverName)) {
    throw new InputError(`unknown solver "${solver}" (expected one of ${SOLVER_NAMES.join(', ')})`, { field: '--solver' });
  }
  const { createPlanner } = await import('../../adapters/solvers/planner-factory.js');
  return createPlanner(solver as SolverName | undefined);
}
