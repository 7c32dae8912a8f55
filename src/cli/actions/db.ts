/** The implementations behind `ercot-arb db ...` (loaded lazily by src/cli/commands/db.ts). */
import { loadConfig } from '../../app/config.js';
import type { CliContext } from '../context.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest, migrationStatus } from '../../store/migrator.js';

interface DbOptions {
  dataDir?: string;
  json?: boolean;
}

async function open(options: DbOptions) {
  const cfg = loadConfig();
  return openDatabase({ databaseUrl: cfg.DATABASE_URL, dataDir: options.dataDir ?? cfg.ERCOT_ARB_DATA_DIR, preparedStatements: cfg.DATABASE_PREPARED_STATEMENTS });
}

export async function dbMigrate(ctx: CliContext, options: DbOptions): Promise<void> {
  const opened = await open(options);
  try {
    const { applied } = await migrateToLatest(opened.db, { schema: opened.schema });
    const status = await migrationStatus(opened.db, { schema: opened.schema });
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify({ database: opened.kind, location: opened.location, appliedNow: applied, applied: status.applied.map((a) => a.name), pending: status.pending })}\n`);
      return;
    }
    ctx.stdout.write(`database: ${opened.kind} ${opened.location}\n`);
    if (applied.length) ctx.stdout.write(`applied ${applied.length} migration(s): ${applied.join(', ')}\n`);
    else ctx.stdout.write(`already up to date (${status.applied.length} migration(s) applied)\n`);
  } finally {
    await opened.close();
  }
}

export async function dbStatus(ctx: CliContext, options: DbOptions): Promise<void> {
  const opened = await open(options);
  try {
    const status = await migrationStatus(opened.db, { schema: opened.schema });
    if (options.json) {
      ctx.stdout.write(
        `${JSON.stringify({
          database: opened.kind,
          location: opened.location,
          applied: status.applied.map((a) => ({ name: a.name, executedAt: Number.isFinite(a.executedAtMs) ? new Date(a.executedAtMs).toISOString() : null })),
          pending: status.pending,
          unknown: status.unknown,
        })}\n`,
      );
      return;
    }
    const lines = [`database: ${opened.kind} ${opened.location}`, `applied: ${status.applied.length}`];
    for (const a of status.applied) {
      const when = Number.isFinite(a.executedAtMs) ? new Date(a.executedAtMs).toISOString() : '?';
      lines.push(`  ${a.name}  ${when}${status.unknown.includes(a.name) ? '  (unknown to this program: newer)' : ''}`);
    }
    lines.push(`pending: ${status.pending.length}`);
    for (const name of status.pending) lines.push(`  ${name}`);
    if (status.unknown.length) lines.push(`warning: the database was migrated by a newer ercot-arb (${status.unknown.join(', ')}); this program will refuse to start on it`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await opened.close();
  }
}
