/**
 * A window's reason, for a trader, in ERCOT local time (America/Chicago) — the edge of the engine:
 *   "charge 5 kW to 90 %: $22/MWh at 02:00-04:00, 15 h before the 19:00-20:00 peak forecast at $180/MWh"
 *   "discharge 5 kW to 20 %: 19:00-20:00 forecast at $180/MWh (highest in the next 24 h)"
 */
import { ercotLocalParts } from '../time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../time/interval.js';
import type { CommandMode } from './command-windows.js';

interface PricedPlan {
  startMs: number;
  dischargeKw: ArrayLike<number>;
  priceUsdPerMwh: ArrayLike<number>;
}

/** HH:mm on the ERCOT wall clock; the repeated hour of the fall-back day is marked. */
export function localClock(ms: number): string {
  const p = ercotLocalParts(ms);
  const hh = String(Math.floor(p.minuteOfDay / 60)).padStart(2, '0');
  const mm = String(p.minuteOfDay % 60).padStart(2, '0');
  return `${hh}:${mm}${p.repeated ? ' (repeated hour)' : ''}`;
}

function span(startMs: number, endMs: number): string {
  return `${localClock(startMs)}-${localClock(endMs)}`;
}

function meanPrice(plan: PricedPlan, startMs: number, endMs: number): number {
  let sum = 0;
  let n = 0;
  for (let ms = startMs; ms < endMs; ms += INTERVAL_MS) {
    const v = plan.priceUsdPerMwh[(ms - plan.startMs) / INTERVAL_MS];
    if (v !== undefined && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : NaN;
}

function usd(v: number): string {
  return Number.isFinite(v) ? `$${Math.round(v)}/MWh` : 'an unknown price';
}

function hours(ms: number): string {
  const h = ms / HOUR_MS;
  return Number.isInteger(h) ? `${h} h` : `${h.toFixed(1)} h`;
}

/** The first planned discharge run after `fromMs`: [start, end). */
function nextDischarge(plan: PricedPlan, fromMs: number): { startMs: number; endMs: number } | null {
  const n = plan.dischargeKw.length;
  let i = Math.max(0, (fromMs - plan.startMs) / INTERVAL_MS);
  while (i < n && !(plan.dischargeKw[i] > 1e-6)) i++;
  if (i >= n) return null;
  let j = i;
  while (j < n && plan.dischargeKw[j] > 1e-6) j++;
  return { startMs: plan.startMs + i * INTERVAL_MS, endMs: plan.startMs + j * INTERVAL_MS };
}

export function windowReason(plan: PricedPlan, mode: CommandMode, powerKw: number, targetPercent: number, startMs: number, endMs: number): string {
  const head = `${mode} ${+powerKw.toFixed(2)} kW to ${Math.round(targetPercent)} %`;
  const own = `${usd(meanPrice(plan, startMs, endMs))} at ${span(startMs, endMs)}`;
  if (mode === 'discharge') {
    const horizonH = (plan.priceUsdPerMwh.length * INTERVAL_MS) / HOUR_MS;
    return `${head}: ${span(startMs, endMs)} forecast at ${usd(meanPrice(plan, startMs, endMs))} (plan horizon ${horizonH} h)`;
  }
  const peak = nextDischarge(plan, endMs);
  if (!peak) return `${head}: ${own}, stored for later (worth more than it costs beyond the plan horizon)`;
  return `${head}: ${own}, ${hours(peak.startMs - startMs)} before the ${span(peak.startMs, peak.endMs)} peak forecast at ${usd(meanPrice(plan, peak.startMs, peak.endMs))}`;
}
