/** The real clock. Only the app (and adapters' defaults) read it; the domain is given a Clock. */
import type { Clock } from '../domain/time/clock.js';

export const systemClock: Clock = { nowMs: () => Date.now() };
