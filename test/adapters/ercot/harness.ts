/** Fake ERCOT on loopback + a real client wired to a fixed clock whose sleeps advance time instantly. */
import { FixedClock } from '../../../src/domain/time/clock.js';
import { ErcotClient, type ErcotClientOptions } from '../../../src/adapters/ercot/client.js';
import { TokenBucket } from '../../../src/adapters/ercot/rate-limiter.js';
import { FakeErcotServer, type FakeErcotOptions } from '../../../src/adapters/fakes/ercot/server.js';

export const T0 = Date.parse('2024-08-21T12:00:00Z');

export interface Harness {
  clock: FixedClock;
  fake: FakeErcotServer;
  client: ErcotClient;
  limiter: TokenBucket;
  slept: number[];
  newClient(extra?: Partial<ErcotClientOptions>): ErcotClient;
  stop(): Promise<void>;
}

export async function startHarness(fakeOptions: FakeErcotOptions = {}, clientOptions: Partial<ErcotClientOptions> = {}): Promise<Harness> {
  const clock = new FixedClock(T0);
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
    clock.advance(ms);
  };
  const fake = await new FakeErcotServer({ clock, ...fakeOptions }).start();
  const limiter = new TokenBucket({ clock, sleep });
  const newClient = (extra: Partial<ErcotClientOptions> = {}) =>
    new ErcotClient({ baseUrl: fake.baseUrl, tokenUrl: fake.tokenUrl, credentials: fake.credentials, clock, sleep, limiter, random: () => 0.5, ...clientOptions, ...extra });
  return { clock, fake, client: newClient(), limiter, slept, newClient, stop: () => fake.stop() };
}

/** NP6-905-CD wire rows for one point and a whole day of 96 intervals with a price function. */
export function rtDay(date: string, point: string, price: (hour: number, interval: number) => number, type = 'HU') {
  const rows = [];
  for (let h = 1; h <= 24; h++) for (let i = 1; i <= 4; i++) {
    rows.push({ deliveryDate: date, deliveryHour: h, deliveryInterval: i, settlementPoint: point, settlementPointType: type, settlementPointPrice: price(h, i), DSTFlag: false });
  }
  return rows;
}
