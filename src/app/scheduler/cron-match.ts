/**
 * Which minutes a cron expression selects, in a time zone: node-cron's own matcher, walked minute by minute, so
 * the scheduler can list the runs it missed (node-cron itself only fires "now").
 */
import { createRequire } from 'node:module';
import type NodeCron from 'node-cron';
import { MINUTE_MS } from '../../domain/time/interval.js';

// node-cron is CommonJS: required on first use, so that a command that schedules nothing never loads it (the bundled
// CLI would otherwise load every package it statically imports at start, scripts/bundle-cli.mjs).
const require = createRequire(import.meta.url);
type TimeMatcherClass = new (pattern: string, timezone?: string) => { match(date: Date): boolean };
let loaded: { cron: typeof NodeCron; TimeMatcher: TimeMatcherClass } | undefined;

/** node-cron and its time matcher. */
export function nodeCron(): { cron: typeof NodeCron; TimeMatcher: TimeMatcherClass } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= { cron: require('node-cron') as typeof NodeCron, TimeMatcher: require('node-cron/src/time-matcher.js') as TimeMatcherClass };
  return loaded;
}

export interface CronMatcher {
  matches(ms: number): boolean;
}

export function cronMatcher(expression: string, timeZone = 'UTC'): CronMatcher {
  const { cron, TimeMatcher } = nodeCron();
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
