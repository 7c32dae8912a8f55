/**
 * Dispatch state in the store: plans numbered per site (plan_version) with exact inputs/outputs and their decided
 * windows, the fleet default and per-site dispatch mode (auto | review), each site's dispatch status and reason,
 * and approvals (who approved which plan version of which site, when; site or fleet scope).
 */
import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Executor } from './database.js';
import { json, jsonOrNull } from './database.js';
import { NotFound } from './errors.js';
import { msOrNull, toDate } from './mappers.js';
import { intervalArrayLiterals, type NewPlan } from './plans-repo.js';
import type { DispatchMode, SiteDispatchStatus, SiteDispatchTable } from './schema.js';

export type { DispatchMode, SiteDispatchStatus };

const FLEET_MODE_KEY = 'fleet_dispatch_mode';

export async function getFleetDispatchMode(db: Executor): Promise<DispatchMode> {
  const row = await db.selectFrom('dispatch_settings').select('value').where('key', '=', FLEET_MODE_KEY).executeTakeFirst();
  return row?.value === 'review' ? 'review' : 'auto';
}

export async function setFleetDispatchMode(db: Executor, mode: DispatchMode): Promise<void> {
  await db
    .insertInto('dispatch_settings')
    .values({ key: FLEET_MODE_KEY, value: json(mode) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json(mode), updated_at: sql<Date>`now()` as unknown as Date }))
    .execute();
}

export interface SiteDispatch {
  siteId: string;
  /** null: the fleet default applies. */
  mode: DispatchMode | null;
  status: SiteDispatchStatus;
  reason: string | null;
  expectedProfile: string | null;
  suspectReads: number;
  throttledUntilMs: number | null;
  pausedAtMs: number | null;
  updatedAtMs: number;
}

export async function getSiteDispatch(db: Executor, siteId: string): Promise<SiteDispatch | null> {
  const r = await db.selectFrom('site_dispatch').selectAll().where('site_id', '=', siteId).executeTakeFirst();
  return r ? siteDispatchFromRow(r) : null;
}

export function siteDispatchFromRow(r: Selectable<SiteDispatchTable>): SiteDispatch {
  return {
    siteId: r.site_id,
    mode: r.dispatch_mode,
    status: r.status,
    reason: r.reason,
    expectedProfile: r.expected_profile,
    suspectReads: r.suspect_reads,
    throttledUntilMs: msOrNull(r.throttled_until),
    pausedAtMs: msOrNull(r.paused_at),
    updatedAtMs: r.updated_at.getTime(),
  };
}

export async function listSiteDispatch(db: Executor): Promise<SiteDispatch[]> {
  const rows = await db.selectFrom('site_dispatch').select('site_id').orderBy('site_id').execute();
  const out: SiteDispatch[] = [];
  for (const r of rows) {
    const s = await getSiteDispatch(db, r.site_id);
    if (s) out.push(s);
  }
  return out;
}

export type SiteDispatchPatch = Partial<Omit<SiteDispatch, 'siteId' | 'updatedAtMs'>>;

/**
 * Creates or updates a site's dispatch row with the given fields (one statement). `alsoGiven`: other data-modifying
 * statements run in the same statement (CTEs; e.g. the fleet's end of the site's run, the replies to the cycle's
 * sends), saving a round trip and a commit each.
 */
export async function patchSiteDispatch(db: Executor, siteId: string, patch: SiteDispatchPatch, alsoGiven?: RawBuilder<unknown> | readonly RawBuilder<unknown>[]): Promise<void> {
  const alsoList = alsoGiven === undefined ? [] : Array.isArray(alsoGiven) ? (alsoGiven as readonly RawBuilder<unknown>[]) : [alsoGiven as RawBuilder<unknown>];
  const also = alsoList.length ? sql.join(alsoList.map((a, i) => sql`${sql.raw(`also${i}`)} as (${a})`)) : undefined;
  const set: Record<string, unknown> = {};
  if (patch.mode !== undefined) set.dispatch_mode = patch.mode;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.reason !== undefined) set.reason = patch.reason;
  if (patch.expectedProfile !== undefined) set.expected_profile = patch.expectedProfile;
  if (patch.suspectReads !== undefined) set.suspect_reads = patch.suspectReads;
  if (patch.throttledUntilMs !== undefined) set.throttled_until = patch.throttledUntilMs === null ? null : toDate(patch.throttledUntilMs);
  if (patch.pausedAtMs !== undefined) set.paused_at = patch.pausedAtMs === null ? null : toDate(patch.pausedAtMs);
  if (also) {
    const cols = Object.keys(set);
    const names = [sql.ref('site_id'), ...cols.map((c) => sql.ref(c))];
    const values = [sql`${siteId}`, ...cols.map((c) => sql`${set[c]}`)];
    const updates = [...cols.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`), sql`updated_at = now()`];
    await sql`with ${also} insert into site_dispatch (${sql.join(names)}) values (${sql.join(values)})
      on conflict (site_id) do update set ${sql.join(updates)}`.execute(db);
    return;
  }
  await db
    .insertInto('site_dispatch')
    .values({ site_id: siteId, ...set })
    .onConflict((oc) => oc.column('site_id').doUpdateSet({ ...set, updated_at: sql<Date>`now()` as unknown as Date }))
    .execute();
}

/** The mode that applies to a site: its own, else the fleet default. */
export async function effectiveDispatchMode(db: Executor, siteId: string): Promise<DispatchMode> {
  return (await getSiteDispatch(db, siteId))?.mode ?? (await getFleetDispatchMode(db));
}

// ---- plans with versions ----

export interface NewVersionedPlan extends NewPlan {
  outputs: unknown;
  windows?: unknown;
}

/**
 * Stores a plan with the site's next plan version (1, 2, ...) and its intervals (arrays on the row, migration 0011)
 * in ONE INSERT: the version is computed in the same statement (the unique index on (site_id, plan_version) refuses
 * a concurrent duplicate); atomic on its own, one round trip (the fleet runs this for every site every slot).
 */
export async function insertVersionedPlan(db: Executor, plan: NewVersionedPlan): Promise<{ planId: string; planVersion: number }> {
  const r = await sql<{ plan_id: string; plan_version: number }>`${insertVersionedPlanSql(plan)} returning plan_id, plan_version`.execute(db);
  const { plan_id: planId, plan_version: planVersion } = r.rows[0]!;
  return { planId, planVersion: Number(planVersion) };
}

/**
 * The insert as a statement (no RETURNING), to run on its own or inside another. With `as`, the plan id and version
 * are the caller's (the cycle writes the plan with its first command row: one round trip fewer); a version another
 * writer took meanwhile fails on the unique index (site_id, plan_version), as a concurrent duplicate does.
 */
export function insertVersionedPlanSql(plan: NewVersionedPlan, as?: { planId: string; planVersion: number }): RawBuilder<unknown> {
  const a = intervalArrayLiterals(plan.intervals);
  return sql`
    insert into plans (${as ? sql`plan_id, ` : sql``}site_id, horizon_start, horizon_end, interval_minutes, solver, status, objective_usd, inputs, verification, state, plan_version, outputs, windows,
      interval_starts, charge_kw, discharge_kw, grid_import_kw, grid_export_kw, soc_kwh_end, price_usd_per_mwh)
    select ${as ? sql`${as.planId}::uuid, ` : sql``}${plan.siteId}, ${toDate(plan.horizonStartMs)}, ${toDate(plan.horizonEndMs)}, ${plan.intervalMinutes ?? 15}, ${plan.solver}, ${plan.status},
      ${plan.objectiveUsd}, ${json(plan.inputs)}::jsonb, ${jsonOrNull(plan.verification)}::jsonb, ${plan.state ?? 'draft'},
      ${as ? sql`${as.planVersion}::int` : sql`coalesce(max(plan_version), 0) + 1`}, ${json(plan.outputs)}::jsonb, ${jsonOrNull(plan.windows)}::jsonb,
      ${a.interval_starts}::timestamptz[], ${a.charge_kw}::float8[], ${a.discharge_kw}::float8[], ${a.grid_import_kw}::float8[], ${a.grid_export_kw}::float8[],
      ${a.soc_kwh_end}::float8[], ${a.price_usd_per_mwh}::float8[]
    ${as ? sql`` : sql`from plans where site_id = ${plan.siteId}`}`;
}

export async function setPlanWindows(db: Executor, planId: string, windows: unknown): Promise<void> {
  await db.updateTable('plans').set({ windows: jsonOrNull(windows) }).where('plan_id', '=', planId).execute();
}

export interface VersionedPlanSummary {
  planId: string;
  siteId: string;
  planVersion: number;
  createdAtMs: number;
  horizonStartMs: number;
  horizonEndMs: number;
  solver: string;
  status: string;
  objectiveUsd: number | null;
  windows: unknown;
}

function summaryFromRow(r: { plan_id: string; site_id: string; plan_version: number | null; created_at: Date; horizon_start: Date; horizon_end: Date; solver: string; status: string; objective_usd: number | null; windows: unknown }): VersionedPlanSummary {
  return {
    planId: r.plan_id,
    siteId: r.site_id,
    planVersion: r.plan_version ?? 0,
    createdAtMs: r.created_at.getTime(),
    horizonStartMs: r.horizon_start.getTime(),
    horizonEndMs: r.horizon_end.getTime(),
    solver: r.solver,
    status: r.status,
    objectiveUsd: r.objective_usd,
    windows: r.windows ?? null,
  };
}

const SUMMARY_COLUMNS = ['plan_id', 'site_id', 'plan_version', 'created_at', 'horizon_start', 'horizon_end', 'solver', 'status', 'objective_usd', 'windows'] as const;

export async function latestVersionedPlan(db: Executor, siteId: string): Promise<VersionedPlanSummary | null> {
  const r = await db.selectFrom('plans').select(SUMMARY_COLUMNS).where('site_id', '=', siteId).where('plan_version', 'is not', null).orderBy('plan_version', 'desc').limit(1).executeTakeFirst();
  return r ? summaryFromRow(r) : null;
}

export async function getPlanByVersion(db: Executor, siteId: string, planVersion: number): Promise<VersionedPlanSummary | null> {
  const r = await db.selectFrom('plans').select(SUMMARY_COLUMNS).where('site_id', '=', siteId).where('plan_version', '=', planVersion).executeTakeFirst();
  return r ? summaryFromRow(r) : null;
}

/** The exact stored inputs and outputs of a plan (for replay). */
export async function getPlanInputsOutputs(db: Executor, planId: string): Promise<{ siteId: string; planVersion: number | null; solver: string; inputs: unknown; outputs: unknown } | null> {
  const r = await db.selectFrom('plans').select(['site_id', 'plan_version', 'solver', 'inputs', 'outputs', 'charge_kw', 'discharge_kw', 'grid_import_kw', 'grid_export_kw', 'soc_kwh_end'])
    .where('plan_id', '=', planId).executeTakeFirst();
  if (!r) return null;
  let outputs = (r.outputs ?? null) as Record<string, unknown> | null;
  // Plans stored with `intervals: 'plan-columns'` keep their per-interval outputs in the array columns only.
  if (outputs && outputs.intervals === 'plan-columns') {
    const { intervals: _, socKwh0, ...rest } = outputs;
    const nums = (a: unknown): number[] => (a as Array<number | string>).map(Number);
    outputs = { ...rest, chargeKw: nums(r.charge_kw), dischargeKw: nums(r.discharge_kw), gridImportKw: nums(r.grid_import_kw), gridExportKw: nums(r.grid_export_kw), socKwh: [Number(socKwh0), ...nums(r.soc_kwh_end)] };
  }
  return { siteId: r.site_id, planVersion: r.plan_version, solver: r.solver, inputs: r.inputs, outputs };
}

// ---- approvals ----

export interface Approval {
  approvalId: number;
  scope: 'site' | 'fleet';
  siteId: string;
  planId: string | null;
  planVersion: number;
  approvedBy: string;
  approvedAtMs: number;
  note: string | null;
}

export async function insertApproval(db: Executor, a: { scope: 'site' | 'fleet'; siteId: string; planVersion: number; approvedBy: string; atMs?: number; note?: string | null }): Promise<Approval> {
  const plan = await getPlanByVersion(db, a.siteId, a.planVersion);
  if (!plan) throw new NotFound(`plan version ${a.planVersion} of site ${a.siteId}`);
  const r = await db
    .insertInto('approvals')
    .values({ scope: a.scope, site_id: a.siteId, plan_id: plan.planId, plan_version: a.planVersion, approved_by: a.approvedBy, note: a.note ?? null, ...(a.atMs !== undefined ? { approved_at: toDate(a.atMs) } : {}) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { approvalId: r.approval_id, scope: r.scope, siteId: r.site_id, planId: r.plan_id, planVersion: r.plan_version, approvedBy: r.approved_by, approvedAtMs: r.approved_at.getTime(), note: r.note };
}

export async function listApprovals(db: Executor, siteId: string, limit = 20): Promise<Approval[]> {
  const rows = await db.selectFrom('approvals').selectAll().where('site_id', '=', siteId).orderBy('approval_id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ approvalId: r.approval_id, scope: r.scope, siteId: r.site_id, planId: r.plan_id, planVersion: r.plan_version, approvedBy: r.approved_by, approvedAtMs: r.approved_at.getTime(), note: r.note }));
}

/** The windows of a site's approved plan versions (most recent approvals first), and whether `planVersion` is approved. */
export async function approvalState(db: Executor, siteId: string, planVersion: number, recent = 8): Promise<{ currentPlanApproved: boolean; approvedWindows: unknown[] }> {
  const rows = await db
    .selectFrom('approvals')
    .innerJoin('plans', (j) => j.onRef('plans.site_id', '=', 'approvals.site_id').onRef('plans.plan_version', '=', 'approvals.plan_version'))
    .select(['approvals.plan_version as plan_version', 'plans.windows as windows'])
    .where('approvals.site_id', '=', siteId)
    .orderBy('approvals.approval_id', 'desc')
    .limit(recent)
    .execute();
  const approvedWindows: unknown[] = [];
  for (const r of rows) if (Array.isArray(r.windows)) approvedWindows.push(...(r.windows as unknown[]));
  return { currentPlanApproved: rows.some((r) => r.plan_version === planVersion), approvedWindows };
}
