import { mkdtempSync } from 'node:fs';
const { openDatabase } = await import('../dist/src/store/database.js');
const { migrateToLatest } = await import('../dist/src/store/migrator.js');
for (const mem of [true, false, true, false]) {
  const o = await openDatabase(mem ? { inMemory: true } : { dataDir: mkdtempSync('/tmp/u-') });
  const t0 = performance.now();
  await migrateToLatest(o.db);
  console.log(mem ? 'mem' : 'disk', 'migrate', (performance.now() - t0).toFixed(0));
  await o.close();
}
