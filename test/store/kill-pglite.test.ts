/** SIGKILL during CLI writes on the embedded (PGlite) store: see kill-suite.ts. */
import { describeKills } from './kill-suite.js';
import { pgliteKillBackend } from './kill-harness.js';

describeKills('pglite', (tmp) => pgliteKillBackend(tmp));
