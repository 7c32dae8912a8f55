import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runFakeErcot } from '../../../src/adapters/fakes/ercot/cli.js';
import { createCliContext } from '../../../src/cli/context.js';
import { ERCOT_DATASETS_DIR } from '../../datasets.js';

describe('fake ercot command', () => {
  it('serves the bundled data directory (gzipped CSVs; other layouts skipped) on loopback and prints the base URL, token URL and env vars', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    let err = '';
    stderr.on('data', (c) => (err += c));
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const running = runFakeErcot(createCliContext({ stdout, stderr }), {
      port: '0', data: ERCOT_DATASETS_DIR, tokenLifetime: '3600', rateLimit: '30',
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
    expect(err).toMatch(/loaded \d+ NP6-788-CD rows from .*sced_lmp_HB_HOUSTON_2024-08_2024-11\.csv\.gz/);
    expect(err).toMatch(/skipped .*hb_hubavg_rt15_utc_2024-01_2025-02\.csv\.gz: no ERCOT API layout/);
    const anon = await request(`${base}/np4-190-cd/dam_stlmnt_pnt_prices`);
    expect(anon.statusCode).toBe(401);
    await anon.body.text();
    stop();
    await running;
  });
});
