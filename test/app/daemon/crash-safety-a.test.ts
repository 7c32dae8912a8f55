/**
 * Crash safety, first half (days 0–6): see crash-safety.suite.ts. With crash-safety-b.test.ts the suite SIGKILLs the
 * compiled daemon ≥ 100 times, ≥ 20 of them in the send window.
 */
import { describeCrashSafety } from './crash-safety.suite.js';

describeCrashSafety({ label: 'days 0–6', kills: 50, sendWindowKills: 10, rounds: 7, seed: 9100, firstRound: 0 });
