/**
 * What `telemetry status` and `sites status` show: per site the newest interval per product, staleness, gaps,
 * quarantined intervals, the latest SoC with its age, whether the dispatcher must stand aside; per account its
 * state and the calls used this minute and month.
 */
import type { TelemetryProduct } from '../../adapters/enphase/normalise.js';
import { intervalFloor } from '../../domain/time/interval.js';
import type { Executor } from '../../store/database.js';
import { listSites } from '../../store/sites-repo.js';
import { listAccounts, type AccountInfo } from '../enphase/tokens.js';
import { budgetUsage, type BudgetLimits, type BudgetUsage } from './budget.js';
import { productCoverage } from './coverage.js';
import { getSiteState, listQuarantine } from './enphase-tables.js';
import { latestSoc, standAsideReason, type SocReading, type StandAside } from './freshness.js';
import { PRODUCTS } from './ingest.js';

export interface SiteTelemetryStatus {
  siteId: string;
  systemId: string | null;
  name: string;
  status: string;
  accountKey: string | null;
  hasBattery: boolean;
  batteryMode: string | null;
  products: Array<{ product: TelemetryProduct; newestEndMs: number | null; stalenessMs: number | null; gaps: number }>;
  quarantined: number;
  soc: SocReading | null;
  standAside: StandAside;
}

export interface AccountStatusView extends AccountInfo {
  usage: BudgetUsage;
}

export interface TelemetryStatus {
  nowMs: number;
  accounts: AccountStatusView[];
  sites: SiteTelemetryStatus[];
}

export async function telemetryStatus(db: Executor, opts: { nowMs: number; limits: BudgetLimits; backfillDays: number; socStaleMs: number; stateMaxAgeMs: number }): Promise<TelemetryStatus> {
  const accounts = await listAccounts(db);
  const accountOf = new Map<string, string>();
  for (const a of accounts) for (const id of a.systemIds) accountOf.set(id, a.accountKey);
  const since = intervalFloor(opts.nowMs - opts.backfillDays * 86_400_000);
  const sites: SiteTelemetryStatus[] = [];
  for (const site of await listSites(db)) {
    if (!site.enphaseSystemId) continue;
    const state = await getSiteState(db, site.siteId);
    const hasBattery = state?.hasBattery ?? site.battery.capacityKwh > 0;
    const products = [];
    for (const product of PRODUCTS) {
      if (product === 'battery' && !hasBattery) continue;
      const c = await productCoverage(db, site.siteId, product, since);
      products.push({ product, newestEndMs: c.newestEndMs, stalenessMs: c.newestEndMs === null ? null : opts.nowMs - c.newestEndMs, gaps: c.missingEndsMs.length });
    }
    sites.push({
      siteId: site.siteId, systemId: site.enphaseSystemId, name: site.name, status: site.status, accountKey: accountOf.get(site.enphaseSystemId) ?? null,
      hasBattery, batteryMode: state?.batteryMode ?? state?.batteryModeRaw ?? null, products,
      quarantined: (await listQuarantine(db, site.siteId)).length,
      soc: hasBattery ? await latestSoc(db, site.siteId, opts.nowMs, opts.socStaleMs) : null,
      standAside: await standAsideReason(db, site.siteId, opts.nowMs, opts.stateMaxAgeMs, opts.socStaleMs),
    });
  }
  const views: AccountStatusView[] = [];
  for (const a of accounts) views.push({ ...a, usage: await budgetUsage(db, a.accountKey, opts.limits, opts.nowMs) });
  return { nowMs: opts.nowMs, accounts: views, sites };
}

function ago(ms: number | null): string {
  if (ms === null) return 'never';
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min ago` : m < 2880 ? `${Math.round(m / 60)} h ago` : `${Math.round(m / 1440)} d ago`;
}

function iso(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

export function formatTelemetryStatus(s: TelemetryStatus): string {
  const lines: string[] = [];
  for (const a of s.accounts) {
    const u = a.usage;
    lines.push(`account ${a.accountKey}: ${a.status}${a.status === 'needs_reauth' ? ` (${a.reauthReason ?? 'refresh token refused'}; run \`ercot-arb enphase connect\`)` : ''}; ` +
      `calls this minute ${u.minuteCalls}/${u.limits.perMinute}, this month ${u.monthCalls}/${u.limits.perMonth}${u.blockedUntilMs ? `; blocked until ${iso(u.blockedUntilMs)}` : ''}`);
  }
  if (!s.accounts.length) lines.push('no Enphase account connected (run `ercot-arb enphase connect`)');
  for (const site of s.sites) {
    lines.push(`site ${site.siteId} (system ${site.systemId}, ${site.status}${site.hasBattery ? '' : ', no battery'})`);
    for (const p of site.products) lines.push(`  ${p.product.padEnd(12)} newest ${iso(p.newestEndMs)} (${ago(p.stalenessMs)}), gaps ${p.gaps}`);
    if (site.soc) lines.push(`  SoC ${site.soc.socPercent} % as of ${iso(site.soc.asOfMs)}${site.soc.stale ? ' — STALE' : ''}`);
    lines.push(`  quarantined intervals ${site.quarantined}; dispatcher ${site.standAside.standAside ? `stands aside (${site.standAside.reason})` : 'may act'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatSitesStatus(s: TelemetryStatus): string {
  const lines = s.accounts.map((a) => `account ${a.accountKey}: ${a.status}${a.status === 'needs_reauth' ? ' — NEEDS RE-AUTHORISATION (run `ercot-arb enphase connect`); not polled' : ''}`);
  for (const site of s.sites) {
    const newest = Math.max(...site.products.map((p) => p.newestEndMs ?? 0));
    lines.push(`${site.siteId}  system ${site.systemId}  ${site.status.padEnd(12)}  ${site.name}  ${site.hasBattery ? `battery ${site.batteryMode ?? '?'}` : 'no battery'}  newest ${newest ? iso(newest) : '—'}`);
  }
  if (!s.sites.length) lines.push('no Enphase sites (run `ercot-arb sites sync`)');
  return `${lines.join('\n')}\n`;
}
