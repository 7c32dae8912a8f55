/**
 * Plan a site, verify, store it with the next plan version (exact inputs, outputs, decided windows), and hand the
 * dispatcher a DispatchPlan — or null with the reason (no SoC, no prices, the solver failed, verification failed).
 * `replayStoredPlan` re-solves a stored plan from its stored inputs and compares the outputs bit for bit.
 */
import { planWindows, type DispatchPlan } from '../../domain/dispatch/plan-windows.js';
import type { Plan } from '../../domain/optimizer/plan-types.js';
import type { Planner } from '../../domain/ports/planner.js';
import type { ChannelCapabilities } from '../../domain/ports/control-channel.js';
import type { Executor } from '../../store/database.js';
import { randomUUID } from 'node:crypto';
import type { RawBuilder } from 'kysely';
import { getPlanInputsOutputs, insertVersionedPlan, insertVersionedPlanSql } from '../../store/dispatch-repo.js';
import { NotFound } from '../../store/errors.js';
import type { Site } from '../../store/sites-repo.js';
import { buildPlanInput, deserializePlanInput, planOutputs, storedPlanOutputs, siteBattery, type CyclePriceCache, type DispatchPlanInputs, type PlanningOptions, type PlanOutputs } from './plan-site.js';
import { INTERVAL_MS } from '../../domain/time/interval.js';
import type { SiteKnowledge } from './plan-knowledge.js';

export interface PlannedSite {
  plan: DispatchPlan | null;
  problem: string | null;
}

export async function planSite(
  db: Executor,
  planner: Planner,
  site: Site,
  caps: ChannelCapabilities,
  socPercent: number | null,
  socAsOfMs: number | null,
  nowMs: number,
  options: PlanningOptions,
  cache?: CyclePriceCache,
  /** Already-loaded planning knowledge (commands, home history, calibration); what is absent is read from the store. */
  known?: Partial<SiteKnowledge>,
  /**
   * Write the plan later: its insert is added to `writes` (the cycle runs it with the site's next write, the first
   * command row or the status record) under a new id and the version after `latestPlanVersion`, both known now.
   */
  defer?: { latestPlanVersion: number | null; writes: RawBuilder<unknown>[] },
): Promise<PlannedSite> {
  if (socPercent === null || socAsOfMs === null) return { plan: null, problem: 'no usable state of charge' };
  let built;
  try {
    built = await buildPlanInput(db, site, caps, { socPercent, asOfMs: socAsOfMs }, nowMs, planner.solver, options, cache, known);
  } catch (e) {
    return { plan: null, problem: e instanceof Error ? e.message : String(e) };
  }
  let plan: Plan;
  try {
    plan = planner.plan(built.input);
  } catch (e) {
    return { plan: null, problem: `planner: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!plan.verification.ok) return { plan: null, problem: `plan failed verification: ${plan.verification.problems.slice(0, 3).join('; ')}` };
  const draft: DispatchPlan = {
    planId: '',
    planVersion: 0,
    startMs: built.input.startMs,
    chargeKw: plan.chargeKw,
    dischargeKw: plan.dischargeKw,
    socKwh: plan.socKwh,
    priceUsdPerMwh: built.input.priceUsdPerMwh,
    terminalUsdPerKwh: built.input.terminal.kind === 'value' ? built.input.terminal.usdPerKwh : 0,
    commandShiftMs: built.stored.commandLatency?.shiftMs ?? 0,
  };
  const windows = planWindows(draft, { battery: siteBattery(site), siteReservePercent: site.reservePercent, capabilities: caps });
  const row = {
    siteId: site.siteId,
    horizonStartMs: built.input.startMs,
    horizonEndMs: built.input.startMs + plan.chargeKw.length * INTERVAL_MS,
    solver: plan.solver,
    status: plan.status,
    objectiveUsd: plan.objectiveUsd,
    inputs: built.stored,
    verification: plan.verification,
    outputs: storedPlanOutputs(plan),
    windows,
    intervals: Array.from(plan.chargeKw, (c, i) => ({
      intervalStartMs: built.input.startMs + i * INTERVAL_MS,
      chargeKw: c,
      dischargeKw: plan.dischargeKw[i],
      gridImportKw: plan.gridImportKw[i],
      gridExportKw: plan.gridExportKw[i],
      socKwhEnd: plan.socKwh[i + 1],
      priceUsdPerMwh: built.input.priceUsdPerMwh[i],
    })),
  };
  if (defer) {
    const as = { planId: randomUUID(), planVersion: (defer.latestPlanVersion ?? 0) + 1 };
    defer.writes.push(insertVersionedPlanSql(row, as));
    return { plan: { ...draft, ...as }, problem: null };
  }
  const stored = await insertVersionedPlan(db, row);
  return { plan: { ...draft, planId: stored.planId, planVersion: stored.planVersion }, problem: null };
}

export interface PlanReplay {
  planId: string;
  siteId: string;
  planVersion: number | null;
  solver: string;
  identical: boolean;
  /** The first differences (array name, index, stored, re-solved). */
  differences: string[];
  comparedValues: number;
}

const ARRAYS = ['chargeKw', 'dischargeKw', 'gridImportKw', 'gridExportKw', 'socKwh'] as const;

/** Re-solves a stored plan from its stored inputs with the planner given (same solver as stored) and compares. */
export async function replayStoredPlan(db: Executor, planId: string, plannerFor: (solver: string) => Promise<Planner>): Promise<PlanReplay> {
  const stored = await getPlanInputsOutputs(db, planId);
  if (!stored) throw new NotFound(`plan ${planId}`);
  const inputs = stored.inputs as DispatchPlanInputs;
  const outputs = stored.outputs as PlanOutputs | null;
  if (inputs?.format !== 'dispatch-plan-v1' || !outputs) throw new NotFound(`plan ${planId} has no stored dispatch inputs/outputs (made before migration 0003 or not by the dispatcher)`);
  const planner = await plannerFor(inputs.solver);
  const again = planOutputs(planner.plan(deserializePlanInput(inputs.planInput)));
  const differences: string[] = [];
  let compared = 0;
  for (const name of ARRAYS) {
    const a = outputs[name];
    const b = again[name];
    if (a.length !== b.length) differences.push(`${name}: length ${a.length} stored, ${b.length} re-solved`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      compared++;
      if (a[i] !== b[i] && differences.length < 20) differences.push(`${name}[${i}]: stored ${a[i]}, re-solved ${b[i]}`);
    }
  }
  compared++;
  if (outputs.objectiveUsd !== again.objectiveUsd) differences.push(`objectiveUsd: stored ${outputs.objectiveUsd}, re-solved ${again.objectiveUsd}`);
  if (outputs.solver !== again.solver) differences.push(`solver: stored ${outputs.solver}, re-solved ${again.solver}`);
  return { planId, siteId: stored.siteId, planVersion: stored.planVersion, solver: inputs.solver, identical: differences.length === 0, differences, comparedValues: compared };
}
