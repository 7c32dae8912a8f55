import { describe, expect, it } from 'vitest';
import { socCoefficients, socPath, type BatterySpec } from '../../../src/domain/battery/battery.js';
import { decide, type DecideInput, type ExistingCommand } from '../../../src/domain/dispatch/decide.js';
import type { DispatchPlan } from '../../../src/domain/dispatch/plan-windows.js';
import { SIMULATOR_DEFAULT_CAPABILITIES } from '../../../src/adapters/control/simulator.js';
import { ercotDay } from '../../../src/domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_HOURS, INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';

const battery: BatterySpec = { capacityKwh: 20, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.81, minReservePercent: 20, degradationCostUsdPerKwh: 0 };
const I = INTERVAL_MS;
/** 2026-07-01 00:00 CDT. */
const t0 = Date.UTC(2026, 6, 1, 5);
const caps = { ...SIMULATOR_DEFAULT_CAPABILITIES };

/** A 24 h plan: charge 2 kW 02:00-07:00 (5 h), discharge 5 kW 19:00-20:00 at a $180 peak. */
function plan(overrides: { charge?: number[]; discharge?: number[]; start?: number; version?: number; initialKwh?: number; prices?: number[] } = {}): DispatchPlan {
  const n = overrides.charge?.length ?? 96;
  const charge = overrides.charge ?? Array.from({ length: n }, (_, i) => (i >= 8 && i < 28 ? 2 : 0));
  const discharge = overrides.discharge ?? Array.from({ length: n }, (_, i) => (i >= 76 && i < 80 ? 5 : 0));
  const prices = overrides.prices ?? Array.from({ length: n }, (_, i) => (i >= 76 && i < 80 ? 180 : 20));
  const socKwh = Array.from(socPath(overrides.initialKwh ?? 4, charge, discharge, socCoefficients(battery, INTERVAL_HOURS)));
  return { planId: 'p1', planVersion: overrides.version ?? 7, startMs: overrides.start ?? t0, chargeKw: charge, dischargeKw: discharge, socKwh, priceUsdPerMwh: prices, terminalUsdPerKwh: 0.05 };
}

function input(partial: Partial<DecideInput> = {}): DecideInput {
  const nowMs = partial.nowMs ?? t0 + 8 * I - 10 * MINUTE_MS;
  return {
    nowMs,
    siteId: 'S1',
    battery,
    siteReservePercent: 20,
    capabilities: caps,
    plan: plan(),
    existing: [],
    device: { socAsOfMs: nowMs - 20 * MINUTE_MS },
    approval: { mode: 'auto', currentPlanApproved: false, approvedWindows: [] },
    ...partial,
  };
}

const allDay = { sendAheadMs: 24 * HOUR_MS };

function existing(partial: Partial<ExistingCommand>): ExistingCommand {
  return { commandId: 'c1', state: 'scheduled', mode: 'charge', powerKw: 2, targetReservePercent: 0, startMs: t0 + 8 * I, endMs: t0 + 24 * I, planVersion: 6, ...partial };
}

describe('decide: windows', () => {
  it('a 5 h charge becomes a 4 h and a 1 h command; each sent 1 minute ahead; the reason names the local peak', () => {
    const d = decide(input({ options: allDay }));
    expect(d.create.map((c) => [c.mode, (c.endMs - c.startMs) / HOUR_MS])).toEqual([['charge', 4], ['charge', 1], ['discharge', 1]]);
    expect(d.create[1].startMs).toBe(d.create[0].endMs);
    for (const c of d.create) expect(c.startMs - c.sendAtMs).toBe(MINUTE_MS);
    expect(d.create[0].reason).toContain('02:00-06:00');
    expect(d.create[0].reason).toContain('before the 19:00-20:00 peak forecast at $180/MWh');
    expect(d.create[2].reason).toContain('19:00-20:00 forecast at $180/MWh');
    expect(d.status.kind).toBe('dispatching');
  });

  it('only windows due to be sent before the next cycle become rows', () => {
    const d = decide(input());
    expect(d.create).toHaveLength(1);
    expect(d.create[0].startMs).toBe(t0 + 8 * I);
    expect(decide(input({ nowMs: t0 + 8 * I - 20 * MINUTE_MS })).create).toHaveLength(0);
  });

  it('targets: the planned SoC at the window end, never below the site reserve nor 10 %', () => {
    // Discharge from 12 kWh for 8 intervals at 5 kW: the plan ends at ~0.9 kWh (below any floor).
    const discharge = Array.from({ length: 96 }, (_, i) => (i >= 8 && i < 16 ? 5 : 0));
    const p = plan({ charge: Array(96).fill(0), discharge, initialKwh: 12 });
    const withSite = decide(input({ plan: p, siteReservePercent: 35 }));
    expect(withSite.create[0].targetReservePercent).toBe(35);
    const noReserve = decide(input({ plan: p, siteReservePercent: 0, battery: { ...battery, minReservePercent: 0 } }));
    expect(noReserve.create[0].targetReservePercent).toBe(10);
  });

  it('lead time: a window whose send time passed starts at the first whole minute ≥ now + lead; with a 5 min channel lead, 5 min', () => {
    const start = t0 + 8 * I;
    const late = decide(input({ nowMs: start - 30_000 }));
    expect(late.create[0].startMs).toBe(start + MINUTE_MS);
    expect(late.create[0].sendAtMs).toBe(start);
    const onTime = decide(input({ nowMs: start - MINUTE_MS }));
    expect(onTime.create[0].startMs).toBe(start);
    const slow = decide(input({ nowMs: start - 10 * MINUTE_MS, capabilities: { ...caps, minLeadMs: 5 * MINUTE_MS } }));
    expect(slow.create[0].sendAtMs).toBe(start - 5 * MINUTE_MS);
  });

  it('a window too short after trimming is not sent', () => {
    const charge = Array.from({ length: 96 }, (_, i) => (i === 8 ? 2 : 0));
    const d = decide(input({ plan: plan({ charge, discharge: Array(96).fill(0) }), nowMs: t0 + 8 * I + 11 * MINUTE_MS }));
    expect(d.create).toEqual([]);
    expect(d.notes.join(' ')).toMatch(/too little time/);
  });

  it('a channel limited to 2 h commands gets 2 h windows', () => {
    const d = decide(input({ capabilities: { ...caps, maxDurationMs: 2 * HOUR_MS }, options: allDay }));
    expect(d.create.filter((c) => c.mode === 'charge').map((c) => (c.endMs - c.startMs) / HOUR_MS)).toEqual([2, 2, 1]);
  });
});

describe('decide: no churn', () => {
  it('nothing is created when what exists is what the plan asks', () => {
    const first = decide(input());
    const c = first.create[0];
    const again = decide(input({ existing: [existing({ ...c, commandId: 'c1', state: 'scheduled' })], plan: plan({ version: 8 }) }));
    expect(again.create).toEqual([]);
    expect(again.stop).toEqual([]);
    expect(again.keep).toEqual(['c1']);
  });

  it('a small change (cents) keeps the command on the channel; a zero threshold replaces it', () => {
    const c = decide(input()).create[0];
    const old = existing({ ...c, commandId: 'c1', state: 'scheduled', powerKw: 1.8 });
    const kept = decide(input({ existing: [old] }));
    expect(kept.create).toEqual([]);
    expect(kept.keep).toEqual(['c1']);
    expect(kept.notes.join(' ')).toMatch(/worth \$0\.0\d < \$0\.25/);
    const replaced = decide(input({ existing: [old], options: { churnThresholdUsd: 0.001 } }));
    expect(replaced.stop).toEqual([expect.objectContaining({ commandId: 'c1', to: 'superseded', onChannel: true })]);
    expect(replaced.create).toHaveLength(1);
  });

  it('a change worth more than the threshold supersedes: a charge scheduled into the $180 peak', () => {
    const now = t0 + 76 * I - 10 * MINUTE_MS;
    const wrong = existing({ commandId: 'c9', mode: 'charge', powerKw: 2, targetReservePercent: 100, startMs: t0 + 76 * I, endMs: t0 + 80 * I });
    const d = decide(input({ nowMs: now, existing: [wrong] }));
    expect(d.stop).toEqual([expect.objectContaining({ commandId: 'c9', to: 'superseded', onChannel: true })]);
    expect(d.create.map((c) => c.mode)).toEqual(['discharge']);
  });

  it('a discharge on the channel whose target is below the (raised) site reserve is replaced whatever the threshold or approval', () => {
    const now = t0 + 76 * I - 10 * MINUTE_MS;
    const low = existing({ commandId: 'low', mode: 'discharge', powerKw: 5, targetReservePercent: 25, startMs: t0 + 76 * I, endMs: t0 + 80 * I });
    const review = { mode: 'review' as const, currentPlanApproved: false, approvedWindows: [] };
    const d = decide(input({ nowMs: now, existing: [low], siteReservePercent: 40, options: { churnThresholdUsd: 1000 }, approval: review }));
    expect(d.stop).toEqual([expect.objectContaining({ commandId: 'low', onChannel: true, reason: expect.stringMatching(/below the site's reserve 40 %/) })]);
    expect(d.create.every((c) => c.state === 'awaiting_approval' && c.targetReservePercent >= 40)).toBe(true);
  });

  it('a planned (unsent) row the plan no longer has is superseded without touching the channel', () => {
    const d = decide(input({ existing: [existing({ commandId: 'p', state: 'planned', mode: 'discharge', startMs: t0 + 8 * I, endMs: t0 + 9 * I })] }));
    expect(d.stop).toEqual([expect.objectContaining({ commandId: 'p', to: 'superseded', onChannel: false })]);
  });

  it('a planned row whose window passed unsent expires', () => {
    const d = decide(input({ existing: [existing({ commandId: 'old', state: 'planned', startMs: t0, endMs: t0 + I })] }));
    expect(d.stop).toContainEqual(expect.objectContaining({ commandId: 'old', to: 'expired' }));
  });

  it('a command whose send is unresolved blocks overlapping windows (never two commands for one window)', () => {
    const c = decide(input()).create[0];
    const d = decide(input({ existing: [existing({ ...c, commandId: 's', state: 'sending' })] }));
    expect(d.create).toEqual([]);
  });

  it('a window the channel rejected is not re-sent every cycle', () => {
    const c = decide(input()).create[0];
    const d = decide(input({ refused: [existing({ ...c, commandId: 'f', state: 'failed' })] }));
    expect(d.create).toEqual([]);
    expect(d.notes.join(' ')).toMatch(/refused/);
  });
});

describe('decide: stand aside', () => {
  const live = [
    existing({ commandId: 'planned', state: 'planned', startMs: t0 + 8 * I, endMs: t0 + 24 * I }),
    existing({ commandId: 'scheduled', state: 'scheduled', mode: 'discharge', startMs: t0 + 76 * I, endMs: t0 + 80 * I }),
    existing({ commandId: 'sending', state: 'sending', startMs: t0 + 24 * I, endMs: t0 + 28 * I }),
  ];
  const cases: [string, Partial<DecideInput>, string, RegExp][] = [
    ['Storm Guard', { device: { socAsOfMs: t0, stormGuardActive: true } }, 'standing_aside', /Storm Guard/],
    ['off grid', { device: { socAsOfMs: t0, offGrid: true } }, 'standing_aside', /off grid/],
    ['opted out', { device: { socAsOfMs: t0, optedOut: true } }, 'standing_aside', /opted out/],
    ['stale telemetry', { device: { socAsOfMs: t0 + 8 * I - 10 * MINUTE_MS - 4 * HOUR_MS } }, 'standing_aside', /telemetry is 4\.0 h old/],
    ['no telemetry', { device: { socAsOfMs: null } }, 'standing_aside', /no telemetry/],
    ['no verified plan', { plan: null, planProblem: 'verification failed at interval 3' }, 'standing_aside', /no verified plan \(verification failed at interval 3\)/],
    ['an unusable reading', { device: { socAsOfMs: null, unusable: 'the newest telemetry SoC (140 %) makes no sense' } }, 'standing_aside', /140 %/],
    ['manual change', { device: { socAsOfMs: t0, manualChange: 'reserve 80 % (engine expects 20 %)' } }, 'paused_manual_change', /reserve 80 %/],
  ];
  for (const [name, over, kind, reason] of cases) {
    it(`${name}: sends nothing, cancels what is pending (on the channel too), says why`, () => {
      const d = decide(input({ ...over, existing: live }));
      expect(d.create).toEqual([]);
      expect(d.status.kind).toBe(kind);
      expect(d.status.reason).toMatch(reason);
      expect(d.stop).toEqual([
        expect.objectContaining({ commandId: 'planned', to: 'cancelled', onChannel: false }),
        expect.objectContaining({ commandId: 'scheduled', to: 'cancelled', onChannel: true }),
      ]);
      expect(d.keep).toEqual(['sending']);
    });
  }

  it('needs re-authorisation: cancels unsent rows, leaves the channel alone (calls would be refused)', () => {
    const d = decide(input({ existing: live, device: { socAsOfMs: t0, needsReauth: true } }));
    expect(d.status.kind).toBe('needs_reauth');
    expect(d.stop).toEqual([expect.objectContaining({ commandId: 'planned', onChannel: false })]);
  });
});

describe('decide: approval', () => {
  const review = { mode: 'review' as const, currentPlanApproved: false, approvedWindows: [] };

  it('review mode: unapproved windows wait; the status says which plan version to approve', () => {
    const d = decide(input({ approval: review }));
    expect(d.create.map((c) => c.state)).toEqual(['awaiting_approval']);
    expect(d.status.kind).toBe('awaiting_approval');
    expect(d.status.reason).toContain('--plan-version 7');
  });

  it('an approval of the current version releases the waiting row', () => {
    const c = decide(input({ approval: review })).create[0];
    const d = decide(input({ approval: { ...review, currentPlanApproved: true }, existing: [existing({ ...c, commandId: 'w', state: 'awaiting_approval' })] }));
    expect(d.release).toEqual(['w']);
    expect(d.create).toEqual([]);
    expect(d.status.kind).toBe('dispatching');
  });

  it('a newer plan: the same window approved in an older version may go; a changed window needs the new approval', () => {
    const approvedOld = decide(input({ plan: plan({ version: 6 }) })).create[0];
    const same = decide(input({ plan: plan({ version: 7 }), approval: { ...review, approvedWindows: [approvedOld] } }));
    expect(same.create.map((c) => c.state)).toEqual(['planned']);
    const changed = Array.from({ length: 96 }, (_, i) => (i >= 8 && i < 28 ? 3 : 0));
    const other = decide(input({ plan: plan({ version: 7, charge: changed }), approval: { ...review, approvedWindows: [approvedOld] } }));
    expect(other.create.map((c) => c.state)).toEqual(['awaiting_approval']);
  });
});

describe('decide: channels without duration, DST days', () => {
  it('without a duration the engine ends a window at its end', () => {
    const noDuration = { ...caps, scheduledStart: false, duration: false };
    const running = existing({ commandId: 'a', state: 'active', startMs: t0 + 8 * I, endMs: t0 + 24 * I });
    expect(decide(input({ capabilities: noDuration, nowMs: t0 + 20 * I, existing: [running] })).end).toEqual([]);
    const d = decide(input({ capabilities: noDuration, nowMs: t0 + 24 * I - 30_000, existing: [running] }));
    expect(d.end).toEqual([expect.objectContaining({ commandId: 'a' })]);
  });

  it('fall-back day (100 intervals): a 5 h charge across the repeated hour is 4 h + 1 h of real time; reasons mark the repeated hour', () => {
    const day = ercotDay('2026-11-01');
    expect((day.endMs - day.startMs) / I).toBe(100);
    const n = 100;
    const charge = Array.from({ length: n }, (_, i) => (i >= 2 && i < 22 ? 2 : 0)); // 00:30 → 04:30 wall clock minus the repeated hour
    const discharge = Array.from({ length: n }, (_, i) => (i >= 80 && i < 84 ? 5 : 0)); // 19:00-20:00 wall = 20 h real + the repeated hour
    const prices = Array.from({ length: n }, (_, i) => (i >= 80 && i < 84 ? 180 : 20));
    const d = decide(input({ plan: plan({ start: day.startMs, charge, discharge, prices }), nowMs: day.startMs, options: allDay }));
    expect(d.create.map((c) => (c.endMs - c.startMs) / HOUR_MS)).toEqual([4, 1, 1]);
    expect(d.create[0].reason).toContain('00:30-03:30');
    expect(d.create[2].reason).toContain('19:00-20:00');
    const repeated = decide(input({ plan: plan({ start: day.startMs, charge: Array.from({ length: n }, (_, i) => (i >= 8 && i < 12 ? 2 : 0)), discharge: Array(n).fill(0), prices }), nowMs: day.startMs, options: allDay }));
    expect(repeated.create[0].reason).toContain('01:00 (repeated hour)');
  });

  it('spring-forward day (92 intervals): windows stay on real 15-minute intervals', () => {
    const day = ercotDay('2026-03-08');
    const n = (day.endMs - day.startMs) / I;
    expect(n).toBe(92);
    const charge = Array.from({ length: n }, (_, i) => (i >= 4 && i < 12 ? 2 : 0)); // 01:00 → 04:00 wall (2 h real)
    const d = decide(input({ plan: plan({ start: day.startMs, charge, discharge: Array(n).fill(0), prices: Array(n).fill(20) }), nowMs: day.startMs, options: allDay }));
    expect(d.create.map((c) => (c.endMs - c.startMs) / HOUR_MS)).toEqual([2]);
    expect(d.create[0].reason).toContain('01:00-04:00');
  });
});

describe('decide: a person\'s window overrides', () => {
  const o = (p: Partial<{ startMs: number; endMs: number; mode: 'charge' | 'discharge' | 'idle'; powerKw: number | null }>) => ({ startMs: t0 + 76 * I, endMs: t0 + 80 * I, mode: 'charge' as const, powerKw: 3, setBy: 'dana', ...p });

  it('an override replaces the plan in its window: mode and power as asked, the plan clipped around it, approved in review mode', () => {
    // override 04:00-05:00 inside the 02:00-07:00 charge to discharge 4 kW; the 19:00 discharge to charge 3 kW
    const d = decide(input({ options: allDay, approval: { mode: 'review', currentPlanApproved: false, approvedWindows: [] }, overrides: [o({ startMs: t0 + 16 * I, endMs: t0 + 20 * I, mode: 'discharge', powerKw: 4 }), o({})] }));
    const shape = d.create.map((c) => [c.mode, (c.startMs - t0) / I, (c.endMs - t0) / I, c.powerKw, c.state]);
    // the plan's 5 h charge is 4 h (02:00-06:00) + 1 h; the override cuts 04:00-05:00 out of the first
    expect(shape).toEqual([['charge', 8, 16, 2, 'awaiting_approval'], ['discharge', 16, 20, 4, 'planned'], ['charge', 20, 24, 2, 'awaiting_approval'], ['charge', 24, 28, 2, 'awaiting_approval'], ['charge', 76, 80, 3, 'planned']]);
    expect(d.create[1].targetReservePercent).toBe(20);
    expect(d.create[4].targetReservePercent).toBe(100);
    expect(d.create[4].reason).toContain('override by dana');
  });

  it('a command on the channel that the override contradicts is replaced whatever the churn threshold; idle sends nothing', () => {
    const onChannel = existing({ mode: 'discharge', powerKw: 5, targetReservePercent: 20, startMs: t0 + 76 * I, endMs: t0 + 80 * I, planVersion: 7 });
    const now = t0 + 76 * I - 10 * MINUTE_MS;
    const d = decide(input({ nowMs: now, device: { socAsOfMs: now }, existing: [onChannel], overrides: [o({ mode: 'idle', powerKw: null })], options: { churnThresholdUsd: 1e6 } }));
    expect(d.stop).toEqual([expect.objectContaining({ commandId: 'c1', onChannel: true, to: 'cancelled' })]);
    expect(d.create).toEqual([]);
  });

  it('what the channel cannot do is not sent: charge without grid charge, discharge without export', () => {
    const d = decide(input({ options: allDay, capabilities: { ...caps, gridCharge: false, exportAllowed: false }, overrides: [o({}), o({ startMs: t0 + 40 * I, endMs: t0 + 44 * I, mode: 'discharge' })] }));
    expect(d.create.filter((c) => (c.startMs - t0) / I === 76 || (c.startMs - t0) / I === 40)).toEqual([]);
    expect(d.notes.join('\n')).toMatch(/override charge .* not sent: the channel cannot charge from the grid/);
    expect(d.notes.join('\n')).toMatch(/override discharge .* not sent: the channel or tariff does not allow export/);
  });
});
