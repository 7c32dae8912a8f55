/**
 * The PGlite dialect slims PGlite's per-query parser table (slimParsers, src/store/pglite-dialect.ts): every type the
 * store returns must still come back exactly as PGlite parsed it before (numbers, bigints, booleans, dates, JSON,
 * arrays of them), on a real in-memory PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slimParsers } from '../../src/store/pglite-dialect.js';

const QUERY = `select 1::int2 as i2, 7::int as i4, 9007199254740993::bigint as big, 42::bigint as i8, 1.5::float4 as f4, 2.25::float8 as f8,
  2.5::numeric as n, true as t, 'x'::text as s, 'y'::varchar as v, '2024-11-03'::date as d, timestamptz '2024-11-03 06:15:00+00' as ts,
  timestamp '2024-11-03 06:15:00' as tsl, '{"a":[1,2]}'::jsonb as jb, '{"b":1}'::json as j, array[1,2]::int[] as ai, array[3]::bigint[] as abig,
  array['a','b']::text[] as at, array[timestamptz '2024-11-03 06:15:00+00'] as ats, array[0.5]::float8[] as af, array[true] as ab,
  array['{"c":2}'::jsonb] as ajb, array[1.5]::numeric[] as an, '1 hour'::interval as iv, null::int as nul`;

describe('PGlite parser table, slimmed', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });
  afterAll(async () => {
    await db.close();
  });

  it('parses every column type as the full table did, with a table of a few dozen entries', async () => {
    const before = (await db.query<Record<string, unknown>>(QUERY)).rows[0];
    expect(Object.keys(db.parsers).length).toBeGreaterThan(100);
    slimParsers(db);
    expect(Object.keys(db.parsers).length).toBeLessThan(50);
    const after = (await db.query<Record<string, unknown>>(QUERY)).rows[0];
    expect(after).toEqual(before);
    expect(after.ai).toEqual([1, 2]);
    expect(after.abig).toEqual([3]);
    expect(after.ats).toEqual([new Date('2024-11-03T06:15:00Z')]);
    expect(after.ajb).toEqual([{ c: 2 }]);
    expect(after.an).toEqual(['1.5']);
    expect(after.big).toBe(9007199254740993n);
  });
});
