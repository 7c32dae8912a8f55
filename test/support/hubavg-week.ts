/**
 * The fake ERCOT server's data for a simulated week: HB_HUBAVG real-time 15-minute and day-ahead hourly prices from
 * datasets/ercot/hubavg (UTC-stamped, both 2024 DST days inside), as API wire rows with the DST flag on the repeated
 * hour. The test also reads the real-time prices from here to settle independently of the store.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FakeErcotData } from '../../src/adapters/fakes/ercot/data.js';
import { wireRowsFromUtc } from '../../src/adapters/fakes/ercot/publication.js';

export const HUBAVG = 'HB_HUBAVG';
const DIR = 'datasets/ercot/hubavg';

/** `interval_start,price` rows with start in [fromMs, toMs). */
export function readUtcSeries(file: string, fromMs: number, toMs: number): Array<{ startMs: number; priceUsdPerMwh: number }> {
  const text = gunzipSync(readFileSync(`${DIR}/${file}`)).toString('utf8');
  const out: Array<{ startMs: number; priceUsdPerMwh: number }> = [];
  for (const line of text.split('\n').slice(1)) {
    const [iso, price] = line.split(',');
    if (!iso) continue;
    const startMs = Date.parse(iso);
    if (startMs >= fromMs && startMs < toMs) out.push({ startMs, priceUsdPerMwh: Number(price) });
  }
  return out;
}

export const realTimeSeries = (fromMs: number, toMs: number) => readUtcSeries('hb_hubavg_rt15_utc_2024-01_2025-02.csv.gz', fromMs, toMs);
export const dayAheadSeries = (fromMs: number, toMs: number) => readUtcSeries('hb_hubavg_dam_hourly_utc_2024-01_2025-02.csv.gz', fromMs, toMs);

export function hubavgErcotData(fromMs: number, toMs: number): FakeErcotData {
  const data = new FakeErcotData();
  data.upsert('NP6-905-CD', wireRowsFromUtc('NP6-905-CD', HUBAVG, realTimeSeries(fromMs, toMs)));
  data.upsert('NP4-190-CD', wireRowsFromUtc('NP4-190-CD', HUBAVG, dayAheadSeries(fromMs, toMs)));
  return data;
}
