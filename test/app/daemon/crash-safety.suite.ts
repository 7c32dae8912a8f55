/**
 * Crash safety of the daemon's dispatch (issue 9): the compiled daemon (`node dist/src/cli/main.bundle.mjs run --once --now
 * ISO`, plain node, no tsx) is SIGKILLed at random points, more than 100 times, against the fake Enphase VPP server
 * running in this test process (so its count of created events survives every child's death), on a PostgreSQL
 * database of its own. After each round a clean `run --once` recovers, and the checks run: no window was ever
 * booked twice on the fake, every booked event belongs to exactly one command row, no row is left `sending`, a row
 * is `lost` only when the fake has no trace of it, plans and job runs are whole, and no price or telemetry row is
 * missing.
 *
 * One round is one simulated day (the fixture's prices: $20/MWh, $180 19:00–20:00 Central, so the 19:00 discharge is
 * due at 18:52; rooftop solar refills the battery by day) and six children, kill delays drawn from a fixed seed as a
 * share of a clean run's wall time (so they land at the same stages whatever the machine's load):
 *   K0 at 18:37 (even days) — plan-dispatch plans (nothing due yet): killed in startup, claims, planning or the plan's store.
 *   K1 at 18:52 — plan-dispatch sends the discharge; killed in the send window, by turns:
 *        before-send (row `sending`, channel not called; the ERCOT_ARB_DEBUG_PAUSE_AT hook holds it there),
 *        in-flight (the fake has booked the event and holds the reply), after-send (reply received, not recorded).
 *   K2 at 18:54 (odd days) — command-status-refresh resolves the `sending` row: killed anywhere in its run.
 *   18:55, 18:56, 18:58 — killed early (cheap): startup, store open, claims.
 *   clean at 18:59 — the refresh resolves what is left and sends what is due; then the checks.
 * Rounds go on until ≥ 100 kills and ≥ 20 in the send window (and at least ERCOT_ARB_CRASH_ROUNDS, default 20);
 * seed ERCOT_ARB_KILL_SEED. Needs `npm run build` (npm test does it) and DATABASE_URL.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCreate, startFakeVpp, type FakeVpp } from '../../../src/adapters/fakes/vpp/server.js';
import type { FakeVppEvent } from '../../../src/adapters/fakes/vpp/events.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, intervalFloor } from '../../../src/domain/time/interval.js';
import { listCommands, type Command } from '../../../src/store/commands-repo.js';
import type { OpenedDatabase } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { upsertTelemetry } from '../../../src/store/telemetry-repo.js';
import { postgresKillBackend, seededRandom, type KillBackend } from '../../store/kill-harness.js';
import { battery, POINT, seedPrices } from '../dispatch/fixture.js';

const DATABASE_URL = process.env.DATABASE_URL;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The compiled CLI as bin/ercot-arb.js runs it: one bundle (scripts/bundle-cli.mjs). */
const MAIN = `${ROOT}dist/src/cli/main.bundle.mjs`;
/**
 * One half of the suite's crash test: its own database, fake and seed. Two files run a half each
 * (crash-safety-{a,b}.test.ts), side by side: one chain of 100+ children one after the other was the suite's longest
 * path (the children are small CPU-bound processes, so a single chain took 3.5 min of wall time beside the other test
 * files for ~40 s of CPU).
 */
export interface CrashHalf {
  label: string;
  /** Targets: at least this many kills, this many of them in the send window, and at least `rounds` days. */
  kills: number;
  sendWindowKills: number;
  rounds: number;
  seed: number;
  /** The first simulated day's index: the halves cover consecutive days, so the send-window kinds keep rotating. */
  firstRound: number;
}
const SYSTEM_ID = 1001;
const SITE = 'S1';
/** 2026-07-01 18:37 CDT: the first round's K0. */
const DAY0 = Date.UTC(2026, 6, 1, 23, 37);

/** Rooftop solar 10:00–16:00 Central refills the battery every day (self-consumption), so each day has energy for its peak. */
function solarDays(intervalStartMs: number): { loadKw: number; solarKw: number } {
  const hourUtc = new Date(intervalStartMs).getUTCHours();
  return { loadKw: 0, solarKw: hourUtc >= 15 && hourUtc < 21 ? 5 : 0 };
}

type SendWindow = 'before-send' | 'in-flight' | 'after-send';
const SEND_WINDOWS: SendWindow[] = ['before-send', 'in-flight', 'after-send'];

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Where the kill landed: 'exited' when the child ended before it. */
  landed: string;
}

/** CPU seconds a live process has used (Linux /proc), for CRASH_DEBUG=1 figures. */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
const cpuAtKill: [string, number][] = [];

/** The dist must exist and carry the pause hook, else K1 would wait for a marker that never comes. */
function assertBuilt(): void {
  let apply = '';
  try {
    apply = readFileSync(`${ROOT}dist/src/app/dispatch/apply.js`, 'utf8');
  } catch {
    /* below */
  }
  if (!apply.includes('ERCOT_ARB_DEBUG_PAUSE_AT')) throw new Error('dist/ is missing or older than the sources: run `npm run build` first (npm test does)');
}

export function describeCrashSafety(half: CrashHalf): void {
const KILLS = half.kills;
const SEND_WINDOW_KILLS = half.sendWindowKills;
const ROUNDS = Math.max(1, Number(process.env.ERCOT_ARB_CRASH_ROUNDS ?? String(half.rounds)));
const MAX_ROUNDS = ROUNDS + 20;
const SEED = Number(process.env.ERCOT_ARB_KILL_SEED ?? String(half.seed));
describe.skipIf(!DATABASE_URL)(`crash safety (${half.label}): the daemon SIGKILLed at random points, then restarted (PostgreSQL)`, () => {
  let backend: KillBackend;
  let store: OpenedDatabase;
  let fake: FakeVpp;
  const clock = new FixedClock(DAY0);
  let env: Record<string, string> = {};
  const telemetryWritten = new Set<number>();

  beforeAll(async () => {
    assertBuilt();
    backend = await postgresKillBackend(DATABASE_URL!);
    store = await backend.open();
    await migrateToLatest(store.db);
    await upsertSite(store.db, { siteId: SITE, name: SITE, settlementPoint: POINT, battery, reservePercent: 20, controlChannel: 'enphase-vpp', enphaseSystemId: String(SYSTEM_ID) });
    // Prices once, before the loop: 8 days of history and every round's day (no child fetches any).
    await seedPrices(store.db, intervalFloor(DAY0 + half.firstRound * DAY_MS) - 8 * DAY_MS, intervalFloor(DAY0) + (half.firstRound + MAX_ROUNDS + 1) * DAY_MS);
    fake = await startFakeVpp({ clock, sites: [{ siteId: SYSTEM_ID, battery, initialSocPercent: 60, conditions: solarDays }] });
    env = {
      ...backend.env,
      LOG_LEVEL: 'warn',
      SCHEDULER_CATCH_UP_HOURS: '1',
      ENPHASE_VPP_BASE_URL: fake.url,
      ENPHASE_VPP_PROGRAM_ID: fake.programId,
      ENPHASE_VPP_API_KEY: fake.apiKey,
      ENPHASE_VPP_CLIENT_ID: fake.clientId,
      ENPHASE_VPP_CLIENT_SECRET: fake.clientSecret,
    };
  }, 60_000);

  afterAll(async () => {
    await fake?.close();
    await store?.close();
    await backend?.dispose();
  });

  /** The simulated world at `nowMs`: the fake's batteries run to it, the site's SoC is reported as telemetry. */
  async function at(nowMs: number): Promise<void> {
    fake.advanceTo(nowMs);
    const socPercent = fake.book.battery(SYSTEM_ID).socPercent;
    telemetryWritten.add(intervalFloor(nowMs));
    await upsertTelemetry(store.db, [{ siteId: SITE, intervalEndMs: intervalFloor(nowMs), socPercent, chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }]);
  }

  /**
   * `run --once --now` in a child. kill: after `afterMs` of wall time, or once the child reaches `point` (a pause
   * marker on stderr, or the fake holding a create's reply) plus `afterMs`.
   */
  function runChild(nowMs: number, kill: { afterMs: number; point?: SendWindow } | null, extraEnv: Record<string, string> = {}): Promise<Child> {
    const child = spawn(process.execPath, [...(kill === null && process.env.CRASH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CRASH_PROF}`] : []), MAIN, 'run', '--once', '--now', new Date(nowMs).toISOString(), '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let landed = 'exited';
    const timers: NodeJS.Timeout[] = [];
    const killNow = (where: string, delayMs: number) => {
      timers.push(setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          landed = where;
          if (process.env.CRASH_DEBUG) cpuAtKill.push([where.startsWith('after') ? `${extraEnv.ERCOT_ARB_DEBUG_PAUSE_AT ?? ''}${kill?.afterMs}` : where, cpuOf(child.pid!)]);
          child.kill('SIGKILL');
        }
      }, delayMs));
    };
    const createsBefore = fake.requests.filter((r) => isCreate(r.method, r.path)).length;
    let armed = kill !== null;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => {
      stderr += c;
      if (armed && kill?.point && kill.point !== 'in-flight' && stderr.includes(`debug-pause ${kill.point}`)) {
        armed = false;
        killNow(kill.point, kill.afterMs);
      }
    });
    if (kill && !kill.point) killNow(`after ${kill.afterMs} ms`, kill.afterMs);
    if (kill?.point === 'in-flight') {
      const poll = setInterval(() => {
        const creates = fake.requests.filter((r) => isCreate(r.method, r.path));
        if (armed && creates.length > createsBefore && creates[creates.length - 1].status < 0) {
          armed = false;
          killNow('in-flight', kill.afterMs);
        }
      }, 2);
      timers.push(poll);
    }
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        for (const t of timers) clearTimeout(t);
        resolve({ code, signal, stdout, stderr, landed });
      });
    });
  }

  async function commands(): Promise<Command[]> {
    return listCommands(store.db, SITE);
  }

  /** The checks after a clean run. */
  async function verify(round: number, kills: number): Promise<void> {
    const where = `round ${round}`;
    const rows = await commands();
    const events = fake.createdEvents(SYSTEM_ID);
    // No row stuck in `sending` after recovery.
    expect(rows.filter((c) => c.state === 'sending').map((c) => c.idempotencyKey), where).toEqual([]);
    // Never booked twice: one event per site, start, mode, rate, target and duration.
    const keyOf = (e: FakeVppEvent) => `${e.siteId} ${new Date(e.startMs).toISOString()} ${e.mode} ${e.rateWatt} ${e.targetSoc} ${e.durationMin}`;
    const byKey = new Map<string, number>();
    for (const e of events) byKey.set(keyOf(e), (byKey.get(keyOf(e)) ?? 0) + 1);
    expect([...byKey].filter(([, n]) => n > 1), `${where}: windows booked more than once`).toEqual([]);
    // Every booked event is known to exactly one command row (nothing was sent that the store forgot).
    const externalIds = rows.map((c) => c.externalId).filter((id): id is string => id !== null);
    expect(new Set(externalIds).size, `${where}: two rows claim one event`).toBe(externalIds.length);
    expect(events.filter((e) => !externalIds.includes(e.eventId)).map(keyOf), `${where}: events no row knows`).toEqual([]);
    // At most one event per idempotency key, and `lost` only when the channel has no trace of the window.
    for (const c of rows.filter((r) => r.state === 'lost')) {
      expect(events.filter((e) => e.startMs >= c.windowStartMs && e.startMs < c.windowEndMs).map(keyOf), `${where}: ${c.idempotencyKey} is lost but booked`).toEqual([]);
    }
    // Plans whole: every command's plan exists with its intervals; versions unique per site.
    const plans = await sql<{ plan_id: string; plan_version: number | null; n: number }>`
      select p.plan_id, p.plan_version, cardinality(p.interval_starts) as n from plans p where p.site_id = ${SITE}`.execute(store.db);
    expect(plans.rows.filter((p) => p.n === 0), `${where}: plans without intervals`).toEqual([]);
    const versions = plans.rows.map((p) => p.plan_version);
    expect(new Set(versions).size, `${where}: plan versions repeated`).toBe(versions.length);
    const planIds = new Set(plans.rows.map((p) => p.plan_id));
    expect(rows.filter((c) => c.planId !== null && !planIds.has(c.planId)).map((c) => c.idempotencyKey), `${where}: commands without their plan`).toEqual([]);
    // Job runs: a run left without outcome can only be a killed child's claim.
    const open = await sql<{ n: number }>`select count(*)::int as n from job_runs where finished_at is null`.execute(store.db);
    expect(open.rows[0].n, `${where}: unfinished job runs`).toBeLessThanOrEqual(kills);
  }

  it(`SIGKILLed ≥ ${KILLS} times (≥ ${SEND_WINDOW_KILLS} in the send window): nothing sent twice, nothing stored lost`, async () => {
    const random = seededRandom(SEED);
    const pricesBefore = await sql<{ n: number }>`select count(*)::int as n from prices`.execute(store.db);
    // A clean first start the day before: its wall time scales the random kill delays (the machine's load varies).
    await at(DAY0 + (half.firstRound - 1) * DAY_MS);
    const started = Date.now();
    const first = await runChild(DAY0 + (half.firstRound - 1) * DAY_MS, null);
    expect(first.code, first.stderr).toBe(0);
    let fullRunMs = Date.now() - started;
    /** A delay of `lo`..`hi` times a full run's wall time. */
    const share = (lo: number, hi: number) => Math.round(fullRunMs * (lo + random() * (hi - lo)));
    let kills = 0;
    const landings: string[] = [];
    const inSendWindow = () => landings.filter((l) => SEND_WINDOWS.includes(l as SendWindow)).length;
    const FIRST = half.firstRound;
    let round = FIRST;
    for (; round < FIRST + MAX_ROUNDS && (round - FIRST < ROUNDS || kills < KILLS || inSendWindow() < SEND_WINDOW_KILLS); round++) {
      const day = DAY0 + round * DAY_MS;
      // Even days: plan-dispatch is killed `before-send` at 18:52, so the 18:54 status refresh sends the command
      // again and is killed in the send window too (by turns: before-send, in-flight, after-send), and 18:37 is the
      // planning kill. Odd days: plan-dispatch is killed in-flight or after-send (by turns) and the 18:54 refresh
      // resolving the `sending` row is killed anywhere. Five cheap startup kills every day (14 days: 105 kills, 21 in the
      // send window).
      const even = round % 2 === 0;
      const sendKill = (point: SendWindow) => ({ afterMs: Math.round(random() * 30), point });
      const plan: { atMin: number; kill: { afterMs: number; point?: SendWindow } }[] = [
        ...(even ? [{ atMin: 0, kill: { afterMs: share(0.15, 1.1) } }] : []), // 18:37 startup, claims, planning, the plan's store
        { atMin: 15, kill: sendKill(even ? 'before-send' : round % 4 === 1 ? 'in-flight' : 'after-send') }, // 18:52 plan-dispatch sends
        { atMin: 17, kill: even ? sendKill(SEND_WINDOWS[(round / 2) % SEND_WINDOWS.length]) : { afterMs: share(0.1, 1) } }, // 18:54 the refresh re-sends (even) or resolves (odd)
        ...[18, 19, 20, 21, 21].map((atMin) => ({ atMin, kill: { afterMs: share(0.03, 0.3) } })), // 18:55–18:58 startup, store open, claims
      ];
      for (const step of plan) {
        await at(day + step.atMin * MINUTE_MS);
        if (step.kill.point === 'in-flight') fake.loseNext(1, 'hang');
        const r = await runChild(day + step.atMin * MINUTE_MS, step.kill, step.kill.point && step.kill.point !== 'in-flight' ? { ERCOT_ARB_DEBUG_PAUSE_AT: step.kill.point } : {});
        fake.clearFaults();
        if (r.signal === 'SIGKILL') kills++;
        landings.push(r.signal === 'SIGKILL' ? r.landed : `exited ${r.code}`);
        if (r.signal !== 'SIGKILL') expect(r.code, `round ${round} +${step.atMin} min: ${r.stderr}`).toBe(0);
      }
      await at(day + 22 * MINUTE_MS);
      const cleanStarted = Date.now();
      const clean = await runChild(day + 22 * MINUTE_MS, null);
      fullRunMs = Math.round((fullRunMs + Date.now() - cleanStarted) / 2);
      expect(clean.code, `round ${round} clean run: ${clean.stderr}`).toBe(0);
      const reports = JSON.parse(clean.stdout) as { job: string; outcome: string }[];
      expect(reports.filter((x) => !['succeeded', 'skipped', 'claimed-elsewhere'].includes(x.outcome)), `round ${round}`).toEqual([]);
      await verify(round, kills);
      if (process.env.CRASH_DEBUG) {
        const sd = await sql<{ status: string; reason: string }>`select status, reason from site_dispatch`.execute(store.db);
        console.log(round, landings.slice(-5), sd.rows, (await commands()).map((c) => `${c.state} ${c.mode} ${new Date(c.windowStartMs).toISOString()} ${c.error ?? ''}`));
      }
    }
    const tally = new Map<string, number>();
    for (const l of landings) {
      const k = /^after /.test(l) ? 'random delay' : l;
      tally.set(k, (tally.get(k) ?? 0) + 1);
    }
    if (process.env.CRASH_DEBUG) console.log(cpuAtKill.map(([w, c]) => `${w}:${c}`).join(' '), 'total', cpuAtKill.reduce((a, [, c]) => a + c, 0));
    console.log(`crash safety (${half.label}): ${round - FIRST} rounds, ${kills} kills (${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}); ${fake.createdEvents().length} events booked`);

    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(inSendWindow()).toBeGreaterThanOrEqual(SEND_WINDOW_KILLS);
    // Not vacuous, and nothing missed: every day's 19:00 discharge was booked, exactly once (a kill before the call
    // is sent again by the next refresh, while its lead time allows).
    // (The clean first start the day before plans too: whatever it sends falls before the rounds' days and is checked
    // by verify() like every other booking, but it is not one of the rounds' 19:00 discharges.)
    const days = Array.from({ length: round - FIRST }, (_, d) => new Date(DAY0 + (FIRST + d) * DAY_MS + 23 * MINUTE_MS).toISOString());
    const roundsFromMs = DAY0 + FIRST * DAY_MS;
    expect(fake.createdEvents().filter((e) => e.startMs >= roundsFromMs).map((e) => new Date(e.startMs).toISOString()).sort()).toEqual(days);
    // Nothing stored was lost: every price seeded before the loop, every telemetry row written during it.
    const prices = await sql<{ n: number }>`select count(*)::int as n from prices`.execute(store.db);
    expect(prices.rows[0].n).toBe(pricesBefore.rows[0].n);
    const telemetry = await sql<{ n: number }>`select count(*)::int as n from telemetry where site_id = ${SITE}`.execute(store.db);
    expect(telemetry.rows[0].n).toBe(telemetryWritten.size);
  }, 900_000);
});
}
