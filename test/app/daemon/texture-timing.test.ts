/**
 * The command-status-refresh job against the Texture fake (a command acts on receipt, after the device's 1-minute
 * delay; no start time, no duration) on a simulated clock, one job tick per cron slot:
 *  - a row whose send time passed between two runs of the job (here: the latency shift moved its start to :59, its
 *    send time to :58, and the job runs at :59) is sent with the later start it really gets, so it never takes effect
 *    earlier than the lead after its send and the row says when it started (the simulated week found rows sent at or
 *    after their recorded start, which the latency calibration then read as device latency and shifted later windows
 *    earlier still: 97 commands of the week, up to 4 min after their recorded start);
 *  - a window without a successor is ended (`reset`) by the job one lead before its end, so it takes effect at the
 *    end, not at the next plan-dispatch cycle up to 8 minutes later; a window with a successor is replaced by it and
 *    gets no `reset` (that would end the successor);
 *  - the same start rule on a channel with a scheduled start (the simulator, VPP-like), through sendDueCommands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { startFakeTexture, type FakeTexture } from '../../../src/adapters/fakes/texture/server.js';
import { newOutcome, sendDueCommands } from '../../../src/app/dispatch/apply.js';
import { loadConfig } from '../../../src/app/config.js';
import { Daemon } from '../../../src/app/daemon/daemon.js';
import { COMMAND_REFRESH_JOB, dispatchJobs } from '../../../src/app/daemon/dispatch-job.js';
import { silentLogger } from '../../../src/app/logger.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { INTERVAL_MS, MINUTE_MS } from '../../../src/domain/time/interval.js';
import { getCommand, insertCommand, type NewCommand } from '../../../src/store/commands-repo.js';
import type { Executor } from '../../../src/store/database.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { listJobRuns } from '../../../src/store/job-runs-repo.js';
import { backends, useDatabase } from '../../store/harness.js';

/** A quarter hour: 2024-11-05 12:00 CST. */
const Q = Date.UTC(2024, 10, 5, 18, 0);
const LEAD_MS = MINUTE_MS;
const battery = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0 };

describe.each(backends())('commands take effect no earlier than lead after their send, and Texture windows end at their end ($name)', (backend) => {
  const database = useDatabase(backend);
  let texture: FakeTexture | undefined;
  afterEach(async () => {
    await texture?.close();
    texture = undefined;
  });

  /** A Texture site `deviceId`, the fake, and the refresh job in a daemon; `at(ms)` moves the clock and ticks. */
  async function world(db: Executor, siteId: string, deviceId: string, q: number) {
    const clock = new FixedClock(q - 10 * MINUTE_MS);
    await db.updateTable('sites').set({ status: 'disabled' }).execute(); // the other test's site
    texture = await startFakeTexture({ clock, devices: [{ deviceId, battery, initialSocPercent: 60 }] });
    await upsertSite(db, { siteId, name: siteId, settlementPoint: 'HB_HUBAVG', battery, reservePercent: 20, controlChannel: 'texture', enphaseSystemId: deviceId, controlSettings: { exportAllowed: true } });
    const cfg = loadConfig({ TEXTURE_API_BASE_URL: texture.url, TEXTURE_API_KEY: texture.apiKey });
    const jobs = dispatchJobs({ db, cfg, clock, logger: silentLogger() }).filter((j) => j.name === COMMAND_REFRESH_JOB);
    const daemon = new Daemon({ db, clock, logger: silentLogger(), jobs, instanceId: `texture-timing-${siteId}` });
    const fake = texture;
    return {
      fake,
      async at(ms: number) {
        clock.set(ms);
        await fake.advanceTo(ms);
        const reports = await daemon.tick();
        expect(reports.filter((r) => r.outcome === 'failed')).toEqual([]);
        const [run] = await listJobRuns(db, { jobName: COMMAND_REFRESH_JOB });
        expect(run.details).toMatchObject({ sites: 1, problems: [] });
      },
      row: (siteId_: string, o: Omit<NewCommand, 'siteId' | 'channel' | 'idempotencyKey'>) =>
        insertCommand(db, { siteId: siteId_, channel: 'texture', idempotencyKey: `${siteId_}/${o.mode}/${o.windowStartMs}`, ...o }).then((r) => r.command),
    };
  }

  it('a row whose send time passed is sent with the later start it gets: never taking effect before lead after the send', async () => {
    const db = database().db;
    const w = await world(db, 'TX1', '71', Q);
    // As decide() makes it when the calibrated latency is 1 min: the 12:00-12:15 charge starts at 11:59, sent 11:58.
    const planned = await w.row('TX1', { mode: 'charge', targetReservePercent: 100, windowStartMs: Q - MINUTE_MS, windowEndMs: Q + 14 * MINUTE_MS, sendAtMs: Q - 2 * MINUTE_MS, powerKw: 5 });
    await w.at(Q - 6 * MINUTE_MS); // the :54 run: before its send time, nothing is sent
    expect(w.fake.createdCommands()).toEqual([]);
    await w.at(Q - MINUTE_MS); // the :59 run: one minute after its send time
    const sent = (await getCommand(db, planned.commandId))!;
    const [cmd] = w.fake.createdCommands();
    expect(cmd.input.operatingMode).toBe('charge');
    expect(sent.sentAtMs).toBe(cmd.createdAtMs);
    expect(sent.windowStartMs - sent.sentAtMs!).toBeGreaterThanOrEqual(LEAD_MS);
    // The row says when the command really took effect on the device (the reconciler measures latency against it).
    expect(cmd.applyAtMs).toBe(sent.windowStartMs);
    expect(sent.windowEndMs).toBe(planned.windowEndMs);
  });

  it('a window without a successor is reset at its end; one with a successor is replaced without a reset', async () => {
    const db = database().db;
    const Q = Date.UTC(2024, 10, 6, 18, 0); // a day later: job runs are claimed per slot in the shared database
    const w = await world(db, 'TX2', '72', Q);
    const first = await w.row('TX2', { mode: 'discharge', targetReservePercent: 20, windowStartMs: Q, windowEndMs: Q + INTERVAL_MS, sendAtMs: Q - LEAD_MS, powerKw: 5 });
    const second = await w.row('TX2', { mode: 'charge', targetReservePercent: 90, windowStartMs: Q + INTERVAL_MS, windowEndMs: Q + 2 * INTERVAL_MS, sendAtMs: Q + INTERVAL_MS - LEAD_MS, powerKw: 5 });
    for (const minute of [-1, 4, 9, 14, 19, 24, 29, 34]) await w.at(Q + minute * MINUTE_MS);
    const modes = w.fake.createdCommands().map((c) => [c.input.operatingMode, (c.createdAtMs - Q) / MINUTE_MS, (c.applyAtMs - Q) / MINUTE_MS]);
    // discharge sent 11:59 (acts 12:00); the charge successor at 12:14 replaces it (acts 12:15, no reset for the
    // discharge); the charge has no successor: its reset is sent at 12:29 and acts at 12:30, its end.
    expect(modes).toEqual([['discharge', -1, 0], ['charge', 14, 15], ['reset', 29, 30]]);
    const reset = w.fake.createdCommands().at(-1)!;
    expect(reset.applyAtMs - second.windowEndMs).toBeLessThanOrEqual(MINUTE_MS);
    expect(reset.applyAtMs).toBeGreaterThanOrEqual(second.windowEndMs);
    expect((await getCommand(db, first.commandId))!.state).toBe('completed');
    expect((await getCommand(db, second.commandId))!).toMatchObject({ state: 'completed', finishedAtMs: Q + 29 * MINUTE_MS });
    // The device followed: discharging 12:00-12:15, charging 12:15-12:30, neither after the reset.
    const iv = w.fake.battery('72').intervals;
    const at = (ms: number) => iv.find((x) => x.startMs === ms)!;
    expect(at(Q).dischargeKw).toBeGreaterThan(1);
    expect(at(Q + INTERVAL_MS).chargeKw).toBeGreaterThan(1);
    await w.at(Q + 45 * MINUTE_MS);
    expect(w.fake.battery('72').intervals.find((x) => x.startMs === Q + 2 * INTERVAL_MS)!.chargeKw).toBeLessThan(0.01);
  });

  it('a scheduled-start channel (VPP-like): a row sent late asks for the first whole minute ≥ now + lead and records it', async () => {
    const db = database().db;
    await db.updateTable('sites').set({ status: 'disabled' }).execute();
    const q = Date.UTC(2024, 10, 7, 18, 0);
    const clock = new FixedClock(q + 2 * MINUTE_MS + 30_000); // 12:02:30: the 12:00 window's send time (11:59) passed
    const channel = new SimulatorChannel({ clock, sites: [{ siteRef: 'V1', battery, initialSocKwh: 8 }] });
    await upsertSite(db, { siteId: 'VP1', name: 'VP1', settlementPoint: 'HB_HUBAVG', battery, reservePercent: 20, controlChannel: 'simulator' });
    const { command } = await insertCommand(db, { siteId: 'VP1', channel: 'simulator', idempotencyKey: 'VP1/late', mode: 'discharge', targetReservePercent: 20, windowStartMs: q, windowEndMs: q + INTERVAL_MS, sendAtMs: q - LEAD_MS, powerKw: 5 });
    const out = newOutcome();
    await sendDueCommands({ db, channel, siteId: 'VP1', siteRef: 'V1', nowMs: clock.nowMs(), leadMs: LEAD_MS, maxAttempts: 1, sleep: async () => {}, throttledUntilMs: null }, out);
    expect(out).toMatchObject({ sent: 1, problems: [] });
    expect(channel.accepted.map((r) => (r.startMs - q) / MINUTE_MS)).toEqual([4]);
    const row = (await getCommand(db, command.commandId))!;
    expect([(row.windowStartMs - q) / MINUTE_MS, (row.windowEndMs - q) / MINUTE_MS]).toEqual([4, 15]);
    expect(row.windowStartMs - row.sentAtMs!).toBeGreaterThanOrEqual(LEAD_MS);
  });
});
