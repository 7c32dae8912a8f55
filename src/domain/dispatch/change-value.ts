/**
 * What a change of commands is worth, so the dispatcher does not churn a device for cents. Each side (the commands
 * on the channel now, and the plan's windows that would replace them) is stepped through the battery model's one
 * recursion over the same span at the plan's forecast prices, each command stopping at its target (as the device
 * does); the value is grid revenue − degradation + the energy left in the battery at the plan's terminal value.
 * The expected gain of the change is new − old. An estimate: it prices both sides with the same (new) forecast.
 */
import { socCoefficients, type BatterySpec } from '../battery/battery.js';
import { stepCommand } from './committed-soc.js';
import { INTERVAL_HOURS, INTERVAL_MS } from '../time/interval.js';
import type { DispatchPlan } from './plan-windows.js';

export interface ValuedCommand {
  mode: 'charge' | 'discharge' | 'idle';
  powerKw: number;
  targetReservePercent: number;
  startMs: number;
  endMs: number;
}

/** Value ($) of running `commands` over [fromMs, toMs) from the plan's SoC at fromMs. */
export function scheduleValueUsd(plan: DispatchPlan, battery: BatterySpec, commands: readonly ValuedCommand[], fromMs: number, toMs: number): number {
  const k = socCoefficients(battery, INTERVAL_HOURS);
  const i0 = Math.max(0, Math.floor((fromMs - plan.startMs) / INTERVAL_MS));
  const n = plan.chargeKw.length;
  let soc = plan.socKwh[Math.min(i0, n)];
  const socStart = soc;
  let value = 0;
  for (let i = i0; i < n; i++) {
    const ms = plan.startMs + i * INTERVAL_MS;
    if (ms >= toMs) break;
    const c = commands.find((x) => x.startMs <= ms && x.endMs > ms && x.mode !== 'idle');
    if (!c) continue;
    const price = plan.priceUsdPerMwh[i];
    const step = stepCommand(soc, c, battery, k);
    soc = step.socKwh;
    value += ((step.dischargeKw - step.chargeKw) * INTERVAL_HOURS * price) / 1000 - step.dischargeKw * INTERVAL_HOURS * battery.degradationCostUsdPerKwh;
  }
  return value + (soc - socStart) * plan.terminalUsdPerKwh;
}

/** Expected gain ($) of replacing `before` by `after` over the span both cover from `nowMs` on. */
export function changeGainUsd(plan: DispatchPlan, battery: BatterySpec, before: readonly ValuedCommand[], after: readonly ValuedCommand[], nowMs: number): number {
  const all = [...before, ...after];
  if (!all.length) return 0;
  const fromMs = Math.max(nowMs, Math.min(...all.map((c) => c.startMs)), plan.startMs);
  const toMs = Math.max(...all.map((c) => c.endMs));
  return scheduleValueUsd(plan, battery, after, fromMs, toMs) - scheduleValueUsd(plan, battery, before, fromMs, toMs);
}
