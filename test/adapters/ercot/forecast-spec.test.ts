/**
 * The system forecast reports against the repository's copy of ERCOT's OpenAPI subset
 * (specs/ercot/public-api-subset.openapi.json.gz): each path is in the spec and marked as added by us; every query
 * parameter the client sends is one the spec lists for that path; the fake serves exactly the response fields the
 * spec copy records, and the client requires only fields among them.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ERCOT_FORECAST_PRODUCTS } from '../../../src/adapters/ercot/forecast-products.js';
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { FORECAST_FIELDS } from '../../../src/adapters/fakes/ercot/forecast-data.js';
import { startHarness, type Harness } from './harness.js';

interface PathItem {
  get: { tags: string[]; parameters: Array<{ name: string }> };
  'x-ercot-arb-added'?: { source: string; responseFields: string[] };
}
const spec = JSON.parse(readDataFileSync(fileURLToPath(new URL('../../../specs/ercot/public-api-subset.openapi.json.gz', import.meta.url)))) as { paths: Record<string, PathItem> };

let h: Harness;
afterEach(async () => h?.stop());

describe('system forecast reports conform to the ERCOT spec copy', () => {
  for (const product of ERCOT_FORECAST_PRODUCTS) {
    it(`${product.id} ${product.path}`, async () => {
      const item = spec.paths[product.path];
      expect(item.get.tags).toEqual([product.id]);
      const added = item['x-ercot-arb-added']!;
      expect(added.source).toMatch(/ercot\/api-specs/);
      const params = new Set(item.get.parameters.map((p) => p.name));

      h = await startHarness({}, { pageSize: 3 });
      h.fake.forecasts.generate({ firstPostedMs: Date.parse('2024-08-20T14:30:00Z'), lastPostedMs: Date.parse('2024-08-20T14:30:00Z'), horizonHours: 2, products: [product.id] });
      const rows = await h.client.fetchSystemForecasts(product, { postedFromMs: Date.parse('2024-08-20T14:00:00Z'), postedToMs: Date.parse('2024-08-20T15:00:00Z'), deliveryDateFrom: '2024-08-20', deliveryDateTo: '2024-08-21' });
      expect(rows.filter((r) => r.region === 'SYSTEM')).toHaveLength(2);
      const sent = new Set(h.fake.apiRequests(product.path).flatMap((r) => Object.keys(r.query)));
      expect(sent.size).toBeGreaterThan(3);
      expect([...sent].filter((name) => !params.has(name))).toEqual([]);

      expect(FORECAST_FIELDS[product.id]).toEqual(added.responseFields); // what the fake serves
      expect(product.required.filter((f) => !added.responseFields.includes(f))).toEqual([]);
      expect(Object.values(product.regions).filter((f) => !added.responseFields.includes(f))).toEqual([]);
    });
  }
});
