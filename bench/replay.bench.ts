/**
 * Replay benchmarks: prints figures (never asserts times). Cases, selectable by a substring filter:
 *   replay-year       the year scenario end to end through the CLI (`replay scenarios/year-hubavg-2024.json
 *                     --no-store --json`) in a fresh Node process: wall time, CPU time and peak RSS of that process
 *   simulator-year    the device simulator alone over a year of 15-minute intervals, per command pattern: a
 *                     perfect-foresight plan's windows sent up front, a threshold rule's windows sent up front,
 *                     and one command per interval sent just in time (rolling)
 * Needs the built CLI (`npm run bench` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BatterySpec } from '../src/domain/battery/battery.js';
import { commandWindows, windowsFromSchedule, type CommandWindow, type ScheduleInterval } from '../src/domain/dispatch/command-windows.js';
import { DeviceSimulator } from '../src/domain/simulator/device-simulator.js';
import { INTERVAL_MS } from '../src/domain/time/interval.js';

export const takesFilter = true;
const CASES = ['replay-year', 'simulator-year'];

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from bench/ (tsx) or dist/bench/ (compiled). */
const root = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const SCENARIO = 'scenarios/year-hubavg-2024.json';
const BATTERY: BatterySpec = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };
const YEAR = 35_136;
const START_MS = Date.UTC(2024, 0, 1, 6);

/** Runs the CLI in a child that reports its own wall time, CPU time and peak RSS. */
function replayYear(): void {
  const cli = path.join(root, 'dist/src/cli/main.bundle.mjs');
  if (!existsSync(cli)) {
    console.log('(replay-year skipped: run `npm run build` first)');
    return;
  }
  const script = `
    const t0 = performance.now();
    const { main } = await import(${JSON.stringify(cli)});
    let out = '';
    const code = await main(['replay', ${JSON.stringify(SCENARIO)}, '--no-store', '--json'], { stdout: { write: (s) => { out += s; return true; } }, stderr: process.stderr });
    const u = process.resourceUsage();
    console.log(JSON.stringify({ code, wallS: (performance.now() - t0) / 1000, cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024, bytes: out.length }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) {
    console.log(`replay-year failed (exit ${child.status}): ${child.stderr.slice(0, 2000)}`);
    return;
  }
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { code: number; wallS: number; cpuS: number; maxRssMb: number };
  console.log(`\n## replay-year: ${SCENARIO}, 4 strategies, ${YEAR} intervals, through the CLI (fresh process)`);
  console.log(`exit ${r.code}, wall ${r.wallS.toFixed(2)} s, CPU ${r.cpuS.toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
}

/** A daily pattern: charge 02:00–06:00 UTC-ish at full power, discharge 22:00–01:00, idle otherwise. */
function dailySchedule(n: number): ScheduleInterval[] {
  return Array.from({ length: n }, (_, i) => {
    const q = i % 96;
    if (q >= 8 && q < 24) return { mode: 'charge', powerKw: 3 };
    if (q >= 88 || q < 4) return { mode: 'discharge', powerKw: 5 };
    return { mode: 'idle', powerKw: 0 };
  });
}

function stepYear(sim: DeviceSimulator, perInterval?: (t: number) => CommandWindow[]): number {
  const t0 = performance.now();
  for (let t = 0; t < YEAR; t++) {
    if (perInterval) for (const w of perInterval(t)) sim.send(w);
    sim.step({ loadKw: 0, solarKw: 0, exportAllowed: true });
  }
  return (performance.now() - t0) / 1000;
}

function simulatorYear(): void {
  console.log(`\n## simulator-year: DeviceSimulator over ${YEAR} intervals (idle base mode)`);
  const schedule = dailySchedule(YEAR);
  const upFront = (label: string, windows: CommandWindow[]): void => {
    const sim = new DeviceSimulator({ battery: BATTERY, startMs: START_MS, initialSocKwh: 6.75 });
    const t0 = performance.now();
    for (const w of windows) sim.send(w);
    const s = stepYear(sim) + (performance.now() - t0) / 1000;
    console.log(`${label.padEnd(44)} ${windows.length} commands: ${s.toFixed(3)} s`);
  };
  const soc = new Float64Array(YEAR + 1).fill(6.75);
  upFront('plan windows sent up front (perfect foresight)', commandWindows({ chargeKw: schedule.map((s) => (s.mode === 'charge' ? s.powerKw : 0)), dischargeKw: schedule.map((s) => (s.mode === 'discharge' ? s.powerKw : 0)), socKwh: soc }, { startMs: START_MS, battery: BATTERY }));
  upFront('rule windows sent up front (threshold)', windowsFromSchedule(schedule, (_e, mode) => (mode === 'charge' ? 100 : 20), { startMs: START_MS, battery: BATTERY }));
  const sim = new DeviceSimulator({ battery: BATTERY, startMs: START_MS, initialSocKwh: 6.75 });
  const s = stepYear(sim, (t) => windowsFromSchedule([schedule[t]], (_e, mode) => (mode === 'charge' ? 100 : 20), { startMs: START_MS + t * INTERVAL_MS, battery: BATTERY }));
  console.log(`${'one command per interval, just in time (rolling)'.padEnd(44)} ${YEAR} steps: ${s.toFixed(3)} s`);
}

export async function run(filter = ''): Promise<void> {
  const want = (name: string): boolean => !filter || name.includes(filter) || filter === 'replay';
  if (!CASES.some(want)) return;
  if (want('simulator-year')) simulatorYear();
  if (want('replay-year')) replayYear();
}
