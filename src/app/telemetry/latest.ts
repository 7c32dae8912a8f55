/** The newest telemetry row of a site that has a value in a given column. */
import type { Executor } from '../../store/database.js';
import { telemetryFromRow, type StoredTelemetry } from '../../store/telemetry-repo.js';
import { enphaseDb } from './enphase-tables.js';

export async function latestTelemetryWith(db: Executor, siteId: string, column: 'soc_percent' | 'consumption_wh' | 'production_wh'): Promise<StoredTelemetry | null> {
  const row = await enphaseDb(db).selectFrom('telemetry').selectAll().where('site_id', '=', siteId).where(column, 'is not', null)
    .orderBy('interval_end', 'desc').limit(1).executeTakeFirst();
  return row ? telemetryFromRow(row) : null;
}
