/**
 * Crash safety, second half (days 7–13, another seed): see crash-safety.suite.ts. With crash-safety-a.test.ts the
 * suite SIGKILLs the compiled daemon ≥ 100 times, ≥ 20 of them in the send window.
 */
import { describeCrashSafety } from './crash-safety.suite.js';

describeCrashSafety({ label: 'days 7–13', kills: 50, sendWindowKills: 10, rounds: 7, seed: 9207, firstRound: 7 });
