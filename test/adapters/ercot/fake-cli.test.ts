import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runFakeErcot } from '../../../src/adapters/fakes/ercot/cli.js';
import { createCliContext } from '../../../src/cli/context.js';

describe('fake ercot command', () => {
  it('serves the shared CSV data on loopback and prints the base URL, token URL and env vars', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const running = runFakeErcot(createCliContext({ stdout, stderr }), {
      port: '0', data: new URL('../../../../shared/data/ercot/dam-spp-hourly/', import.meta.url).pathname, tokenLifetime: '3600', rateLimit: '30',
    }, until);
    while (!out.includes('ERCOT_API_SUBSCRIPTION_KEY')) await new Promise((r) => setTimeout(r, 20));
    const base = /ERCOT_API_BASE_URL=(\S+)/.exec(out)![1];
    const tokenUrl = /ERCOT_TOKEN_URL=(\S+)/.exec(out)![1];
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/public-reports$/);
    const { ErcotClient } = await import('../../../src/adapters/ercot/client.js');
    const { DAM_SPP } = await import('../../../src/adapters/ercot/products.js');
    const client = new ErcotClient({ baseUrl: base, tokenUrl, credentials: {
      username: /ERCOT_API_USERNAME=(\S+)/.exec(out)![1], password: /ERCOT_API_PASSWORD=(\S+)/.exec(out)![1], subscriptionKey: /ERCOT_API_SUBSCRIPTION_KEY=(\S+)/.exec(out)![1],
    } });
    const rows = await client.fetchPrices(DAM_SPP, { fromDate: '2024-11-03', toDate: '2024-11-03', settlementPoints: ['HB_PAN'] });
    expect(rows).toHaveLength(25);
    const anon = await request(`${base}/np4-190-cd/dam_stlmnt_pnt_prices`);
    expect(anon.statusCode).toBe(401);
    await anon.body.text();
    stop();
    await running;
  });
});
