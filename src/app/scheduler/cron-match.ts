/**
 * Which minutes a cron expression selects, in a time zone: node-cron's own matcher, walked minute by minute, so
 * the scheduler can list the runs it missed (node-cron itself only fires "now").
 */
import { createRequire } from 'node:module';
import cron from 'node-cron';
import { MINUTE_MS } from '../../domain/time/interval.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TimeMatcher = require('node-cron/src/time-matcher.js') as new (pattern: string, timezone?: string) => { match(date: Date): boolean };

export interface CronMatcher {
  matches(ms: number): boolean;
}

export function cronMatcher(expression: string, timeZone = 'UTC'): CronMatcher {
  if (!cron.validate(expression)) throw new Error(`invalid cron expression "${expression}"`);
  if (expression.trim().split(/\s+/).length !== 5) throw new Error(`cron expression "${expression}" must have 5 fields (minute hour day month weekday)`);
  const m = new TimeMatcher(expression, timeZone);
  return { matches: (ms) => m.match(new Date(ms)) };
}

/** Scheduled minutes in (afterMs, untilMs], oldest first. */
export function scheduledBetween(matcher: CronMatcher, afterMs: number, untilMs: number, limit = 10_000): number[] {
  const out: number[] = [];
  for (let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS; t <= untilMs && out.length < limit; t += MINUTE_MS) {
    if (matcher.matches(t)) out.push(t);
  }
  return out;
}
