/** SIGKILL during CLI writes on PostgreSQL (a database of its own; skipped without DATABASE_URL): see kill-suite.ts. */
import { describe, it } from 'vitest';
import { describeKills } from './kill-suite.js';
import { postgresKillBackend } from './kill-harness.js';
import { DATABASE_URL } from './harness.js';

const url = DATABASE_URL;
if (url) describeKills('postgres', () => postgresKillBackend(url));
else describe.skip('SIGKILL during writes on postgres (DATABASE_URL not set)', () => it('skipped', () => undefined));
