/**
 * A market history with everything published after a cut replaced by a poison value (real-time intervals not ended
 * by then, day-ahead prices whose day was not public yet): a forecaster or planner that reads past its decision time
 * gives a different answer on it. Shared by the look-ahead tests.
 */
import { damPublishedMs, type MarketHistory } from '../../src/domain/forecast/known-at.js';
import { INTERVAL_MS } from '../../src/domain/time/interval.js';

export function poisoned(m: MarketHistory, cutMs: number, poison: number): MarketHistory {
  const rt = { ...m.realTime, pricesUsdPerMwh: Float64Array.from(m.realTime.pricesUsdPerMwh) };
  for (let i = 0; i < rt.pricesUsdPerMwh.length; i++) if (rt.startMs + (i + 1) * INTERVAL_MS > cutMs) rt.pricesUsdPerMwh[i] = poison;
  const dam = { ...m.dayAhead!, pricesUsdPerMwh: Float64Array.from(m.dayAhead!.pricesUsdPerMwh) };
  for (let i = 0; i < dam.pricesUsdPerMwh.length; i++) if (damPublishedMs(dam.startMs + i * INTERVAL_MS) > cutMs) dam.pricesUsdPerMwh[i] = poison;
  return { realTime: rt, dayAhead: dam };
}
