/**
 * The client's requests and the fake's responses against specs/enphase/monitoring-v4.openapi.yaml.gz:
 * every path the client calls exists with its method and query parameters, and the fake's bodies validate against
 * the spec's response schemas (200, 422, 429). Known, deliberate deviations are asserted as such below.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { EnphaseClient } from '../../../src/adapters/enphase/client.js';
import { ENDPOINTS } from '../../../src/adapters/enphase/endpoints.js';
import { exchangeCode } from '../../../src/adapters/enphase/oauth.js';
import { startFakeEnphase, type FakeEnphase } from '../../../src/adapters/fakes/enphase/server.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { validate, type SchemaObject } from './schema-check.js';

const SPEC_PATH = fileURLToPath(new URL('../../../specs/enphase/monitoring-v4.openapi.yaml.gz', import.meta.url));
const spec = parse(readDataFileSync(SPEC_PATH)) as SchemaObject & { paths: Record<string, Record<string, SchemaObject>> };
const T0 = Date.UTC(2024, 6, 15, 17, 0, 0);

type Param = { name: string; in: string };
function operation(path: string, method: string): SchemaObject | undefined {
  return spec.paths[path]?.[method.toLowerCase()];
}
function params(op: SchemaObject): Param[] {
  return (op.parameters as Param[] | undefined) ?? [];
}
function responseSchema(path: string, status: number): SchemaObject | undefined {
  const op = operation(path, 'GET')!;
  const res = (op.responses as Record<string, SchemaObject>)[String(status)];
  return (res?.content as Record<string, { schema: SchemaObject }> | undefined)?.['application/json']?.schema;
}
/** The spec's path template a concrete path belongs to. */
function templateOf(concrete: string): string | undefined {
  return Object.keys(spec.paths).find((t) => new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`).test(concrete));
}

describe('client requests vs the OpenAPI spec', () => {
  it('every endpoint the client uses exists with its method, path parameters and query parameters', () => {
    for (const [name, def] of Object.entries(ENDPOINTS)) {
      const op = operation(def.path, def.method);
      expect(op, `${name}: ${def.method} ${def.path}`).toBeDefined();
      const declared = params(op!);
      for (const q of def.query) expect(declared.some((p) => p.name === q && p.in === 'query'), `${name}: query ${q}`).toBe(true);
      for (const m of def.path.matchAll(/\{(\w+)\}/g)) expect(declared.some((p) => p.name === m[1] && p.in === 'path'), `${name}: path ${m[1]}`).toBe(true);
    }
  });

  it('the API key is the spec\'s `key` security scheme; the bearer token its oauth2 scheme', () => {
    const schemes = (spec.components as { securitySchemes: Record<string, SchemaObject> }).securitySchemes;
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', name: 'key' });
    expect(schemes.oauth2).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('observed traffic and fake responses vs the OpenAPI spec', () => {
  let fake: FakeEnphase;
  let client: EnphaseClient;
  const seen: Array<{ method: string; path: string; query: Record<string, string>; status: number }> = [];

  beforeAll(async () => {
    const clock = new FixedClock(T0);
    fake = await startFakeEnphase({ clock });
    const tokens = await exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, fake.oauth.issueCode(), T0);
    client = new EnphaseClient({ baseUrl: fake.url, apiKey: fake.apiKey, clock, tokens: { accessToken: async () => tokens.accessToken }, onRequest: (r) => seen.push(r) });
    const start = (T0 - 86_400_000) / 1000;
    await client.listSystems();
    await client.summary(1001);
    await client.batteryTelemetry(1001, start);
    await client.consumptionTelemetry(1001, start);
    await client.productionTelemetry(1001, start);
    await client.batterySettings(1001);
    await client.stormGuard(1001);
    await client.gridStatus(1001);
    await client.batteryTelemetry(1002, start).catch(() => undefined);
  });
  afterAll(async () => fake?.close());

  it('every request the client sent is a spec path with declared query parameters (plus the `key` credential)', () => {
    expect(seen.length).toBe(9);
    for (const r of seen) {
      const template = templateOf(r.path);
      expect(template, r.path).toBeDefined();
      const declared = params(operation(template!, r.method)!);
      for (const q of Object.keys(r.query)) {
        if (q === 'key') continue; // the apiKey security scheme (the spec places it in a header; Enphase's docs use ?key=)
        expect(declared.some((p) => p.name === q && p.in === 'query'), `${r.path}?${q}`).toBe(true);
      }
    }
  });

  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const tokens = await exchangeCode({ baseUrl: fake.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, fake.oauth.issueCode(), T0);
    const res = await fetch(`${fake.url}${path}${path.includes('?') ? '&' : '?'}key=${fake.apiKey}`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    return { status: res.status, body: await res.json() };
  }

  const start = (T0 - 86_400_000) / 1000;
  const cases: Array<[string, string]> = [
    ['/api/v4/systems', '/api/v4/systems?page=1&size=100'],
    ['/api/v4/systems/{system_id}/summary', '/api/v4/systems/1001/summary'],
    ['/api/v4/systems/{system_id}/telemetry/battery', `/api/v4/systems/1001/telemetry/battery?start_at=${start}&granularity=day`],
    ['/api/v4/systems/{system_id}/telemetry/consumption_meter', `/api/v4/systems/1001/telemetry/consumption_meter?start_at=${start}&granularity=day`],
    ['/api/v4/systems/{system_id}/telemetry/production_micro', `/api/v4/systems/1001/telemetry/production_micro?start_at=${start}&granularity=day`],
    ['/api/v4/systems/config/{system_id}/battery_settings', '/api/v4/systems/config/1001/battery_settings'],
    ['/api/v4/systems/config/{system_id}/storm_guard', '/api/v4/systems/config/1001/storm_guard'],
    ['/api/v4/systems/config/{system_id}/grid_status', '/api/v4/systems/config/1001/grid_status'],
  ];

  it.each(cases)('200 from the fake for %s validates against the spec', async (template, url) => {
    const { status, body } = await get(url);
    expect(status).toBe(200);
    const schema = responseSchema(template, 200);
    expect(schema).toBeDefined();
    expect(validate(spec, schema, body)).toEqual([]);
  });

  it('the fake\'s 422 (no batteries) and 429 bodies validate against the spec\'s error schemas', async () => {
    const noBattery = await get(`/api/v4/systems/1002/telemetry/battery?start_at=${start}`);
    expect(noBattery.status).toBe(422);
    expect(validate(spec, responseSchema('/api/v4/systems/{system_id}/telemetry/battery', 422), noBattery.body)).toEqual([]);
    const throttling = await startFakeEnphase({ clock: new FixedClock(T0), perMinuteLimit: 0 });
    try {
      const tokens = await exchangeCode({ baseUrl: throttling.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, throttling.oauth.issueCode(), T0);
      const res = await fetch(`${throttling.url}/api/v4/systems/1001/summary?key=${throttling.apiKey}`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
      expect(res.status).toBe(429);
      const body = (await res.json()) as Record<string, unknown>;
      expect(validate(spec, responseSchema('/api/v4/systems/{system_id}/summary', 429), body)).toEqual([]);
      expect(Object.keys(body).sort()).toEqual(['code', 'details', 'limit', 'message', 'period', 'period_end', 'period_start']);
    } finally {
      await throttling.close();
    }
  });

  it('the validator catches deviations: messy mode spellings and "97%" SoC strings are flagged (deliberate fake faults)', async () => {
    const messy = await startFakeEnphase({ clock: new FixedClock(T0), modeSpellings: 'messy', socAsString: true });
    try {
      const tokens = await exchangeCode({ baseUrl: messy.url, clientId: 'fake-client', clientSecret: 'fake-secret', redirectUri: 'x' }, messy.oauth.issueCode(), T0);
      const fetchJson = async (p: string) => (await fetch(`${messy.url}${p}${p.includes('?') ? '&' : '?'}key=${messy.apiKey}`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).json();
      await fetchJson('/api/v4/systems/config/1001/battery_settings'); // first spelling is the spec's
      const settings = await fetchJson('/api/v4/systems/config/1001/battery_settings');
      expect(validate(spec, responseSchema('/api/v4/systems/config/{system_id}/battery_settings', 200), settings).join()).toMatch(/battery_mode: .* is not one of/);
      const battery = await fetchJson(`/api/v4/systems/1001/telemetry/battery?start_at=${start}`);
      expect(validate(spec, responseSchema('/api/v4/systems/{system_id}/telemetry/battery', 200), battery).join()).toMatch(/soc\.percent: expected integer/);
    } finally {
      await messy.close();
    }
  });
});
