/**
 * The enphase-vpp channel's requests and the fake VPP's responses against specs/enphase/vpp.openapi.json.gz:
 * every request the channel sends is a spec path and method with declared query parameters; every create body
 * validates against EventCreateRequestV2 and uses only its properties; every operation it calls declares the
 * x-api-key and Authorization headers it sends; and the fake's 200 bodies validate against the response schemas.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { createControlChannel } from '../../../src/adapters/control/registry.js';
import type { ChannelRequestInfo } from '../../../src/adapters/control/http.js';
import { startFakeVpp, type FakeVpp } from '../../../src/adapters/fakes/vpp/server.js';
import type { ChannelCommandRequest, ControlChannel } from '../../../src/domain/ports/control-channel.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { resolveRef, validate, type SchemaObject } from '../enphase/schema-check.js';

const SPEC_PATH = fileURLToPath(new URL('../../../specs/enphase/vpp.openapi.json.gz', import.meta.url));
const spec = JSON.parse(readDataFileSync(SPEC_PATH)) as SchemaObject & { paths: Record<string, Record<string, SchemaObject>> };
const T0 = Date.UTC(2026, 6, 15, 17, 0);
const MIN = 60_000;

type Param = { name: string; in: string; required?: boolean };
function templateOf(concrete: string): string | undefined {
  const candidates = Object.keys(spec.paths).filter((t) => new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`).test(concrete));
  return candidates.find((t) => t === concrete) ?? candidates[0];
}
function operation(path: string, method: string): SchemaObject | undefined {
  return spec.paths[path]?.[method.toLowerCase()];
}
function okSchema(template: string, method: string): SchemaObject | undefined {
  const res = (operation(template, method)!.responses as Record<string, SchemaObject>)['200'];
  return (res.content as Record<string, { schema: SchemaObject }>)['*/*'].schema;
}

let fake: FakeVpp;
let channel: ControlChannel;
const seen: ChannelRequestInfo[] = [];

beforeAll(async () => {
  const clock = new FixedClock(T0);
  fake = await startFakeVpp({ clock });
  channel = createControlChannel('enphase-vpp', {
    baseUrl: fake.url, programId: fake.programId, apiKey: fake.apiKey, clientId: fake.clientId, clientSecret: fake.clientSecret,
  }, { clock, http: { onRequest: (r) => seen.push(r) } });
  const base: ChannelCommandRequest = { idempotencyKey: 'k', siteRef: '1001', mode: 'discharge', powerKw: 2.5, targetReservePercent: 20, startMs: T0 + 15 * MIN, endMs: T0 + 60 * MIN, supersede: true };
  const a = await channel.send(base);
  await channel.send({ ...base, mode: 'charge', targetReservePercent: 100, startMs: T0 + 120 * MIN, endMs: T0 + 420 * MIN, supersede: false });
  await channel.send({ ...base, mode: 'idle', startMs: T0 + 600 * MIN, endMs: T0 + 605 * MIN });
  await channel.status('1001', a.externalId);
  await channel.findSent(base);
  await channel.readSettings!('1001');
  fake.advanceTo(T0 + 30 * MIN);
  await channel.cancel('1001', a.externalId);
});
afterAll(async () => fake?.close());

describe('enphase-vpp requests vs the VPP OpenAPI spec', () => {
  it('every request is a spec operation with declared query parameters, and declares the x-api-key and Authorization headers', () => {
    const methods = new Set(seen.map((r) => `${r.method} ${templateOf(r.path)}`));
    expect([...methods].sort()).toEqual([
      'DELETE /api/v2/events/{event_id}', 'GET /api/v1/systems/{site_id}/battery_settings', 'GET /api/v1/systems/{site_id}/storm_guard_settings',
      'GET /api/v2/events', 'GET /api/v2/events/{event_id}', 'POST /api/v2/events',
    ]);
    for (const r of seen) {
      const op = operation(templateOf(r.path)!, r.method);
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      const declared = (op!.parameters as Param[] | undefined) ?? [];
      for (const q of Object.keys(r.query)) expect(declared.some((p) => p.name === q && p.in === 'query'), `${r.path}?${q}`).toBe(true);
      for (const h of ['x-api-key', 'Authorization']) expect(declared.some((p) => p.name === h && p.in === 'header' && p.required), `${r.path} header ${h}`).toBe(true);
      for (const p of declared.filter((d) => d.required && d.in === 'query')) expect(r.query[p.name], `${r.path} requires ${p.name}`).toBeDefined();
    }
  });

  it('the token request is the spec\'s client-credentials call', () => {
    const op = operation('/auth/oauth2/token', 'POST')!;
    const tokenCalls = fake.requests.filter((r) => r.path === '/auth/oauth2/token');
    expect(tokenCalls.length).toBeGreaterThan(0);
    for (const r of tokenCalls) {
      expect(r.query).toEqual({ grant_type: 'client_credentials' });
      expect((op.parameters as Param[]).some((p) => p.name === 'grant_type' && p.in === 'query')).toBe(true);
    }
  });

  it('every create body validates against EventCreateRequestV2 and uses only its properties and the documented limits', () => {
    const schema = (spec.paths['/api/v2/events'].post.requestBody as { content: Record<string, { schema: SchemaObject }> }).content['application/json'].schema;
    const resolved = resolveRef(spec, schema.$ref as string);
    const props = Object.keys(resolved.properties as object);
    const bodies = seen.filter((r) => r.method === 'POST' && r.path === '/api/v2/events').map((r) => r.body as Record<string, unknown>);
    expect(bodies).toHaveLength(3);
    for (const body of bodies) {
      expect(validate(spec, schema, body)).toEqual([]);
      for (const k of Object.keys(body)) expect(props, `property ${k}`).toContain(k);
      expect(body.site_ids).toHaveLength(1);
      expect(body.functions).toEqual(['BATTERY']);
      expect(body.start_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      expect(body.duration).toBeGreaterThanOrEqual(5);
      expect(body.duration).toBeLessThanOrEqual(300);
      if (body.mode !== 'Idle') {
        expect(body.target_soc).toBeGreaterThanOrEqual(10);
        expect(body.target_soc).toBeLessThanOrEqual(100);
      }
      // The spec: positive for discharge, negative for charge, 0 for idle.
      const sign = String(body.mode).startsWith('Charge') ? -1 : String(body.mode).startsWith('Discharge') ? 1 : 0;
      expect(Math.sign(body.rate_watt as number)).toBe(sign);
    }
  });
});

describe('fake VPP responses vs the spec', () => {
  async function get(path: string, method = 'GET'): Promise<unknown> {
    const tok = await (await fetch(`${fake.url}/auth/oauth2/token?grant_type=client_credentials`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}` },
    })).json() as { access_token: string };
    expect(validate(spec, okSchema('/auth/oauth2/token', 'POST'), tok)).toEqual([]);
    const res = await fetch(`${fake.url}${path}`, { method, headers: { 'x-api-key': fake.apiKey, authorization: `Bearer ${tok.access_token}` } });
    expect(res.status).toBe(200);
    return res.json();
  }

  it('event, event list, battery and Storm Guard settings validate against their 200 schemas', async () => {
    const id = fake.createdEvents()[1].eventId;
    const cases: Array<[string, string]> = [
      ['/api/v2/events/{event_id}', `/api/v2/events/${id}`],
      ['/api/v2/events', `/api/v2/events?program_id=${fake.programId}&site_id=1001&start_date=2026-07-15&end_date=2026-07-16`],
      ['/api/v1/systems/{site_id}/battery_settings', '/api/v1/systems/1001/battery_settings'],
      ['/api/v1/systems/{site_id}/storm_guard_settings', '/api/v1/systems/1001/storm_guard_settings'],
    ];
    for (const [template, url] of cases) expect(validate(spec, okSchema(template, 'GET'), await get(url)), template).toEqual([]);
    const list = (await get(cases[1][1])) as { eventList: unknown[]; total_count: number };
    expect(list.total_count).toBe(3);
  });

  it('the validator is not blind: a status-less event with a numeric start_time is flagged', () => {
    const bad = { event_id: 'x', events: [{ site_id: 1001, start_time: 12 }] };
    expect(validate(spec, okSchema('/api/v2/events/{event_id}', 'GET'), bad).join()).toMatch(/site_id: expected string.*start_time: expected string/);
  });
});
