/**
 * A simulated fleet for tests, benches and demos: N sites on the simulator channel over 4 settlement points, 8 days of
 * RT and 2 of DAM prices with a 19:00 peak, one telemetry row per site. `simulatedChannel` logs every accepted send to
 * a file (one line per send, appended synchronously) so sends can be counted across processes, even killed ones.
 */
import { appendFileSync } from 'node:fs';
import { SimulatorChannel } from '../../adapters/control/simulator.js';
import type { BatterySpec } from '../../domain/battery/battery.js';
import type { ChannelCommandRequest, ControlChannel } from '../../domain/ports/control-channel.js';
import { FixedClock } from '../../domain/time/clock.js';
import type { FakeVppSiteSpec } from '../../adapters/fakes/vpp/events.js';
import { ercotLocalParts } from '../../domain/time/ercot-calendar.js';
import { HOUR_MS, INTERVAL_MS } from '../../domain/time/interval.js';
import { sql } from 'kysely';
import type { Executor } from '../../store/database.js';
import { upsertPrices, type PriceRecord } from '../../store/prices-repo.js';
import { upsertSite } from '../../store/sites-repo.js';
import { upsertTelemetry } from '../../store/telemetry-repo.js';

export const SIM_BATTERY: BatterySpec = { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 };
/** 2026-07-01 18:50 CDT: the 19:00 peak window is due. */
export const SIM_NOW_MS = Date.UTC(2026, 6, 1, 23, 50);
const POINTS = ['HB_HOUSTON', 'HB_NORTH', 'HB_WEST', 'HB_SOUTH'];

function price(ms: number, p: number): number {
  const m = ercotLocalParts(ms).minuteOfDay;
  return (m >= 19 * 60 && m < 20 * 60 ? 180 : 20 + 10 * Math.sin(m / 90)) + p;
}

export const simSiteId = (i: number): string => `S${String(i).padStart(5, '0')}`;
export const simSocPercent = (i: number): number => 30 + (i % 60);

/** The fake VPP's site id of simulated site i (its `enphase_system_id` when the fleet runs on the enphase-vpp channel). */
export const simVppSiteId = (i: number): number => 1001 + i;

/** The fake VPP's sites for a simulated fleet of n sites (same battery and SoC as the seeded telemetry). */
export function simVppSites(n: number): FakeVppSiteSpec[] {
  return Array.from({ length: n }, (_, i) => ({ siteId: simVppSiteId(i), battery: SIM_BATTERY, initialSocPercent: simSocPercent(i), conditions: () => ({ loadKw: 0, solarKw: 0 }) }));
}

/**
 * Prices, n sites and one telemetry row per site at `telemetryAtMs` (default the interval before `nowMs`; null = none:
 * the workers pull it from the Enphase fake, simulated-fakes.ts). `historyDays`: besides, every site's telemetry of
 * that many days (all products, every 15 minutes, up to the interval before the one ending at `nowMs`), as a fleet
 * that has run for a while has it: the cycle's context read then aggregates 14 days of home load.
 */
export async function seedSimulatedFleet(db: Executor, n: number, nowMs = SIM_NOW_MS, o: { channel?: 'simulator' | 'enphase-vpp'; telemetryAtMs?: number | null; historyDays?: number } = {}): Promise<void> {
  const records: PriceRecord[] = [];
  const from = Math.floor((nowMs - 8 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
  POINTS.forEach((point, p) => {
    for (let ms = from; ms < nowMs - (nowMs % INTERVAL_MS); ms += INTERVAL_MS) records.push({ market: 'rt15', settlementPoint: point, intervalStartMs: ms, intervalMinutes: 15, priceUsdPerMwh: price(ms, p), source: 'sim', fetchedAtMs: ms });
    for (let ms = from; ms < nowMs + 2 * 24 * HOUR_MS; ms += HOUR_MS) records.push({ market: 'dam', settlementPoint: point, intervalStartMs: ms, intervalMinutes: 60, priceUsdPerMwh: price(ms, p), source: 'sim', fetchedAtMs: ms });
  });
  for (let i = 0; i < records.length; i += 2000) await upsertPrices(db, records.slice(i, i + 2000));
  for (let i = 0; i < n; i++) {
    const siteId = simSiteId(i);
    const vpp = o.channel === 'enphase-vpp';
    await upsertSite(db, { siteId, name: siteId, settlementPoint: POINTS[i % POINTS.length]!, battery: SIM_BATTERY, reservePercent: 20, controlChannel: vpp ? 'enphase-vpp' : 'simulator', enphaseSystemId: vpp ? String(simVppSiteId(i)) : undefined });
  }
  if (o.historyDays) await seedTelemetryHistory(db, n, nowMs, o.historyDays);
  if (o.telemetryAtMs === null) return;
  const atMs = o.telemetryAtMs ?? nowMs - (nowMs % INTERVAL_MS);
  const rows = Array.from({ length: n }, (_, i) => ({ siteId: simSiteId(i), intervalEndMs: atMs, socPercent: simSocPercent(i), chargeWh: null, dischargeWh: null, consumptionWh: null, productionWh: null, devicesReporting: 1 }));
  for (let i = 0; i < rows.length; i += 2000) await upsertTelemetry(db, rows.slice(i, i + 2000));
}

/** The simulator channel for a simulated fleet (batteries created on first use at the seeded SoC). */
export function simulatedChannel(nowMs = SIM_NOW_MS, sendLog?: string): ControlChannel {
  const channel = new SimulatorChannel({
    clock: new FixedClock(nowMs),
    siteFor: (siteRef) => ({ siteRef, battery: SIM_BATTERY, initialSocKwh: (SIM_BATTERY.capacityKwh * simSocPercent(Number(siteRef.slice(1)))) / 100 }),
  });
  if (!sendLog) return channel;
  const send = channel.send.bind(channel);
  channel.send = async (request: ChannelCommandRequest) => {
    const state = await send(request);
    appendFileSync(sendLog, `${JSON.stringify({ siteRef: request.siteRef, startMs: request.startMs, mode: request.mode, pid: process.pid })}\n`);
    return state;
  };
  return channel;
}

/** `historyDays` of telemetry for sites 0..n-1 in a few set-based statements (10,000 sites x 14 days: 13.4 M rows). */
async function seedTelemetryHistory(db: Executor, n: number, nowMs: number, days: number): Promise<void> {
  const toMs = nowMs - (nowMs % INTERVAL_MS) - INTERVAL_MS;
  const fromMs = toMs - days * 24 * HOUR_MS + INTERVAL_MS;
  for (let i = 0; i < n; i += 500) {
    const ids = Array.from({ length: Math.min(500, n - i) }, (_, k) => i + k);
    // A home's load: a base with an evening peak and a little per-site spread; solar: a noon arc, none at night.
    await sql`insert into telemetry (site_id, interval_end, soc_percent, charge_wh, discharge_wh, consumption_wh, production_wh, devices_reporting, received_at)
      select s.site_id, e, s.soc, 0, 0,
        250 + 120 * (1 + sin(2 * pi() * (date_part('epoch', e) / 86400.0 - 0.5))) + (s.k % 7) * 10,
        greatest(0, 400 * sin(2 * pi() * (date_part('epoch', e) / 86400.0 - 0.5))), 1, e + interval '5 minutes'
      from unnest(${ids.map(simSiteId)}::text[], ${ids.map(simSocPercent)}::float8[], ${ids}::int[]) as s(site_id, soc, k)
      cross join generate_series(${new Date(fromMs)}::timestamptz, ${new Date(toMs)}::timestamptz, interval '15 minutes') as e
      on conflict (site_id, interval_end) do nothing`.execute(db);
  }
}
