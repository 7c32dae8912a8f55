/** The implementations behind `ercot-arb reconcile report | run` (loaded lazily by the CLI). */
import { InputError } from '../../domain/errors.js';
import { systemClock } from '../../app/system-clock.js';
import { ercotDateOf, ercotDay, parseErcotDate } from '../../domain/time/ercot-calendar.js';
import type { CliContext } from '../context.js';
import { openStore } from '../../store/open.js';
import { getSite } from '../../store/sites-repo.js';
import type { Executor } from '../../store/database.js';
import { loadConfig } from '../../app/config.js';
import { reconcileAndCalibrate } from '../../app/reconcile/jobs.js';
import { formatReconcileReport, reconcileReport } from '../../app/reconcile/report.js';

export interface ReconcileCliOptions {
  dataDir?: string;
  json?: boolean;
  site?: string;
  date?: string;
  from?: string;
  to?: string;
}

function dateOption(text: string, name: string): string {
  try {
    return ercotDay(parseErcotDate(text)).date;
  } catch (error) {
    throw new InputError(`--${name}: ${(error as Error).message}`);
  }
}

async function knownSite(db: Executor, siteId: string): Promise<void> {
  if (!(await getSite(db, siteId))) throw new InputError(`--site: no site "${siteId}" (see \`ercot-arb sites status\`)`);
}

export async function reconcileReportCommand(ctx: CliContext, options: ReconcileCliOptions): Promise<void> {
  if (!options.site) throw new InputError('--site is required');
  if (!options.date) throw new InputError('--date is required (an ERCOT delivery date, YYYY-MM-DD)');
  const date = dateOption(options.date, 'date');
  const cfg = loadConfig();
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    await knownSite(opened.db, options.site);
    const report = await reconcileReport(opened.db, options.site, date);
    ctx.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReconcileReport(report));
  } finally {
    await opened.close();
  }
}

export async function reconcileRunCommand(ctx: CliContext, options: ReconcileCliOptions): Promise<void> {
  const cfg = loadConfig();
  const nowMs = systemClock.nowMs();
  const from = options.from ? dateOption(options.from, 'from') : null;
  const to = options.to ? dateOption(options.to, 'to') : from ?? null;
  if (from && to && to < from) throw new InputError(`--to ${to} is before --from ${from}`);
  const opened = await openStore(cfg, { dataDir: options.dataDir, logger: ctx.logger() });
  try {
    if (options.site) await knownSite(opened.db, options.site);
    const r = await reconcileAndCalibrate(opened.db, nowMs, {
      lookbackHours: cfg.RECONCILE_LOOKBACK_HOURS,
      calibrationDays: cfg.RECONCILE_CALIBRATION_DAYS,
      siteIds: options.site ? [options.site] : undefined,
      fromMs: from ? ercotDay(from).startMs : undefined,
      toMs: to ? ercotDay(to).endMs : undefined,
    }, ctx.logger());
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const range = from ? `${from} to ${to}` : `the last ${cfg.RECONCILE_LOOKBACK_HOURS} h (through ${ercotDateOf(nowMs)})`;
    ctx.stdout.write(`reconciled ${range}:\n`);
    for (const s of r.sites) ctx.stdout.write(`  ${s.siteId}: ${s.intervals} intervals, ${s.created} new, ${s.revised} revised, ${s.unchanged} unchanged, ${s.notYetKnown} awaiting telemetry\n`);
    for (const f of r.failed) ctx.stdout.write(`  ${f.siteId}: FAILED ${f.error}\n`);
    if (!r.sites.length && !r.failed.length) ctx.stdout.write('  no sites\n');
  } finally {
    await opened.close();
  }
}
