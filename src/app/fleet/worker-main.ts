/**
 * Environment-driven entry for a fleet worker child process (tests and benches fork this file):
 * DATABASE_URL, FLEET_SCHEMA, FLEET_CONCURRENCY, FLEET_LEASE_MS, FLEET_TICK_MS, FLEET_SIM_NOW_MS, FLEET_SEND_LOG,
 * FLEET_RATE_PER_MIN, FLEET_RATE_WINDOW_MS, FLEET_UNTIL_DONE=1, FLEET_STATUS_EVERY_MS (0 = no site.status jobs), FLEET_VPP_URL (+ FLEET_VPP_PROGRAM, _API_KEY, _CLIENT_ID,
 * _CLIENT_SECRET: the sites run on the enphase-vpp channel against that VPP, e.g. the fake on loopback), FLEET_TELEMETRY=0 (no
 * Enphase telemetry in the site cycles; by default it is pulled when ERCOT_ARB_SECRET_KEY and ENPHASE_* are set). Prints one JSON line `{"ran": n, "cpuUs": user+sys µs, "readyCpuUs": the part spent before taking jobs, "stagesMs": wall ms per
 * stage summed over its site runs, "telemetry": outcomes by kind}` when it stops.
 */
import { runFleetWorkerProcess } from './run-worker.js';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v ? Number(v) : undefined);
const result = await runFleetWorkerProcess({
  databaseUrl: env.DATABASE_URL, schema: env.FLEET_SCHEMA, concurrency: num(env.FLEET_CONCURRENCY) ?? 4,
  leaseMs: num(env.FLEET_LEASE_MS), tickEveryMs: num(env.FLEET_TICK_MS), simulateAtMs: num(env.FLEET_SIM_NOW_MS),
  sendLog: env.FLEET_SEND_LOG, vpp: env.FLEET_VPP_URL ? { baseUrl: env.FLEET_VPP_URL, programId: env.FLEET_VPP_PROGRAM ?? '', apiKey: env.FLEET_VPP_API_KEY ?? '', clientId: env.FLEET_VPP_CLIENT_ID ?? '', clientSecret: env.FLEET_VPP_CLIENT_SECRET ?? '' } : undefined, ratePerMinute: num(env.FLEET_RATE_PER_MIN), rateWindowMs: num(env.FLEET_RATE_WINDOW_MS), untilSlotDone: env.FLEET_UNTIL_DONE === '1', statusEveryMs: num(env.FLEET_STATUS_EVERY_MS), telemetry: env.FLEET_TELEMETRY === '0' ? false : undefined,
});
const cpu = process.cpuUsage();
console.log(JSON.stringify({ ...result, cpuUs: cpu.user + cpu.system }));
process.exit(0);
