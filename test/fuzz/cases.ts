/**
 * Mutated inputs for the fuzzer: scenario JSON, price CSVs and CLI arguments, drawn from a seeded PRNG so every run
 * builds the same cases. Each case says which files a bad-input message may name and, for mutations that must not
 * change anything (BOM, CRLF, key order), that the report must equal the unmutated one.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rng } from '../domain/optimizer/fixtures.js';

export interface FuzzCase {
  name: string;
  argv: string[];
  /** Base names a bad-input message may name (one of them must appear). */
  files: string[];
  /** 'bad': must exit 2; 'same': must exit 0 with the base report's figures; 'any': exit 0 or 2. */
  expect: 'bad' | 'same' | 'any';
  /** A file-level refusal (not a regular file, too large) has no field, line or interval to name. */
  wholeFile?: boolean;
}

type Json = Record<string, any>;
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

/** Numeric fields of a scenario, as paths into the base scenario below. */
const NUMERIC_FIELDS = [
  'battery.capacityKwh', 'battery.maxChargeKw', 'battery.maxDischargeKw', 'battery.roundTripEfficiency',
  'battery.initialSocPercent', 'battery.minReservePercent', 'battery.degradationCostUsdPerKwh',
  'tariff.importAdderUsdPerKwh', 'tariff.exportFactor', 'maxCyclesPerDay', 'site.load.constantKw', 'site.solar.constantKw',
  'strategies.1.horizonHours', 'strategies.1.biasHalfLifeHours', 'strategies.1.biasWindowIntervals', 'strategies.1.hurdleUsdPerKwh',
  'strategies.3.chargeBelowUsdPerMwh', 'strategies.3.dischargeAboveUsdPerMwh',
] as const;
const EXTREME_NUMBERS = [-1, 0, 1e-12, 0.5, 1.5, 3, 5, 100.5, 101, 1e9, 1e12, 1e308, -1e308, 2 ** 53, -0.01];
const WRONG_TYPES: unknown[] = ['10', null, true, [], {}, [1, 2], 'NaN', ''];
const STRING_FIELDS = ['name', 'description', 'settlementPoint', 'start', 'end', 'strategies.1.name', 'prices.realTime.format', 'prices.realTime.settlementPointType'] as const;
const EXTREME_STRINGS = ['', 'x'.repeat(200_000), 'a\u0000b', '\u0000', '\uFEFF', '2024-08-20T00:00:00-05:00\u0000', 'ÿþ\u202e', '9999-12-31T00:00:00Z', '0001-01-01T00:00:00Z', '2024-02-30T00:00:00-06:00', '2024-08-20T00:07:00-05:00'];

export function baseScenario(pricesDir: string): Json {
  return {
    name: 'fuzz base',
    start: '2024-08-20T12:00:00-05:00',
    end: '2024-08-21T00:00:00-05:00',
    settlementPoint: 'HB_HOUSTON',
    prices: {
      realTime: { file: join(pricesDir, 'rtm-aug-2024-excerpt.csv'), format: 'ercot-rtm-yearly' },
      dayAhead: { file: join(pricesDir, 'dam-houston-aug-2024-excerpt.csv'), format: 'ercot-api' },
    },
    battery: { capacityKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, initialSocPercent: 50, minReservePercent: 20, degradationCostUsdPerKwh: 0.02 },
    site: { load: { constantKw: 1 }, solar: { constantKw: 0 } },
    tariff: { importAdderUsdPerKwh: 0.01, exportFactor: 1, exportAllowed: true },
    maxCyclesPerDay: 2,
    strategies: ['perfect-foresight', { kind: 'rolling', horizonHours: 24, biasHalfLifeHours: 4, biasWindowIntervals: 4, hurdleUsdPerKwh: 0 }, 'day-ahead', { kind: 'threshold', chargeBelowUsdPerMwh: 20, dischargeAboveUsdPerMwh: 100 }],
  };
}

function setPath(obj: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let o: any = obj;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys[keys.length - 1]] = value;
}

class CaseWriter {
  readonly cases: FuzzCase[] = [];
  private n = 0;
  constructor(private readonly root: string) {}
  dir(): string {
    const d = join(this.root, `case-${String(this.n++).padStart(4, '0')}`);
    mkdirSync(d, { recursive: true });
    return d;
  }
  add(c: FuzzCase): void {
    this.cases.push(c);
  }
}

const replayArgs = (file: string) => ['replay', file, '--json', '--no-store'];

function scenarioCase(w: CaseWriter, name: string, scenario: Json | string | Buffer, expect: FuzzCase['expect'], extraFiles: string[] = []): void {
  const file = join(w.dir(), 'scenario.json');
  writeFileSync(file, typeof scenario === 'object' && !Buffer.isBuffer(scenario) ? JSON.stringify(scenario, null, 2) : scenario);
  w.add({ name, argv: replayArgs(file), files: ['scenario.json', 'rtm-aug-2024-excerpt.csv', 'dam-houston-aug-2024-excerpt.csv', ...extraFiles], expect });
}

/** The real-time price file mutated: the scenario points at the mutated copy. */
function priceCase(w: CaseWriter, name: string, base: Json, text: string | Buffer, expect: FuzzCase['expect'], which: 'realTime' | 'dayAhead' = 'realTime'): void {
  const dir = w.dir();
  const csv = join(dir, which === 'realTime' ? 'rt.csv' : 'dam.csv');
  writeFileSync(csv, text);
  const s = structuredClone(base);
  s.prices[which].file = csv;
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify(s, null, 2));
  w.add({ name, argv: replayArgs(file), files: [csv.split('/').pop()!], expect });
}

function scenarioMutations(w: CaseWriter, rand: () => number, base: Json, count: number): void {
  const text = JSON.stringify(base, null, 2);
  scenarioCase(w, 'scenario: BOM', `\uFEFF${text}`, 'same');
  scenarioCase(w, 'scenario: CRLF', text.replaceAll('\n', '\r\n'), 'same');
  scenarioCase(w, 'scenario: keys reversed', Object.fromEntries(Object.entries(base).reverse()), 'same');
  scenarioCase(w, 'scenario: deeply nested array', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'bad');
  scenarioCase(w, 'scenario: deeply nested in a field', text.replace('"fuzz base"', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`), 'bad');
  scenarioCase(w, 'scenario: empty file', '', 'bad');
  scenarioCase(w, 'scenario: binary garbage', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rand() * 256))), 'bad');
  scenarioCase(w, 'scenario: NUL in the middle', `${text.slice(0, 200)}\u0000${text.slice(200)}`, 'bad');
  scenarioCase(w, 'scenario: 30 MB of spaces', `${text}${' '.repeat(30_000_000)}`, 'bad');
  w.cases[w.cases.length - 1].wholeFile = true;
  for (let i = 0; i < 3; i++) {
    const cut = 1 + Math.floor(rand() * (text.length - 2));
    scenarioCase(w, `scenario: truncated at ${cut}`, text.slice(0, cut), 'bad');
  }
  const longPeriod = structuredClone(base);
  longPeriod.end = '9999-12-31T00:00:00-06:00';
  scenarioCase(w, 'scenario: end in year 9999', longPeriod, 'bad');
  const tariffs: Array<[string, unknown]> = [['tariff.importAdderUsdPerKwh', -0.05], ['tariff.exportFactor', 3], ['tariff.exportFactor', 5], ['strategies.1.biasWindowIntervals', 1e9]];
  for (const [path, value] of tariffs) {
    const s = structuredClone(base);
    setPath(s, path, value);
    scenarioCase(w, `scenario: ${path} = ${value}`, s, 'bad');
  }
  for (let i = 0; i < count; i++) {
    const s = structuredClone(base);
    const r = rand();
    let what: string;
    if (r < 0.55) {
      const path = pick(rand, NUMERIC_FIELDS);
      const value = pick(rand, EXTREME_NUMBERS);
      setPath(s, path, value);
      what = `${path} = ${value}`;
    } else if (r < 0.75) {
      const path = pick(rand, NUMERIC_FIELDS);
      const value = pick(rand, WRONG_TYPES);
      setPath(s, path, value);
      what = `${path} = ${JSON.stringify(value)}`;
    } else {
      const path = pick(rand, STRING_FIELDS);
      const value = pick(rand, EXTREME_STRINGS);
      setPath(s, path, value);
      what = `${path} = ${JSON.stringify(value.length > 40 ? `${value.slice(0, 10)}… (${value.length} chars)` : value)}`;
    }
    scenarioCase(w, `scenario: ${what}`, s, 'any');
  }
}

function csvLines(text: string): string[] {
  return text.split('\n');
}

function priceMutations(w: CaseWriter, rand: () => number, base: Json, rtText: string, count: number): void {
  priceCase(w, 'prices: BOM', base, `\uFEFF${rtText}`, 'same');
  priceCase(w, 'prices: CRLF', base, rtText.replaceAll('\n', '\r\n'), 'same');
  priceCase(w, 'prices: gzipped', base, gzipSync(rtText), 'same');
  priceCase(w, 'prices: gzip magic then garbage', base, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(rtText.slice(0, 5000))]), 'bad');
  w.cases[w.cases.length - 1].wholeFile = true;
  priceCase(w, 'prices: binary garbage', base, Buffer.from(Array.from({ length: 65_536 }, () => Math.floor(rand() * 256))), 'bad');
  priceCase(w, 'prices: empty', base, '', 'bad');
  priceCase(w, 'prices: header only', base, csvLines(rtText)[0], 'bad');
  priceCase(w, 'prices: a 5 MB line', base, `${rtText}${'9'.repeat(5_000_000)}\n`, 'bad');
  priceCase(w, 'prices: every price × 1e308', base, rtText.replace(/,(-?[\d.]+)$/gm, (_, p) => `,${Number(p) * 1e308}`), 'any');
  priceCase(w, 'prices: day-ahead every price × 1e308', base, readFileSync(base.prices.dayAhead.file, 'utf8').replace(/HB_HOUSTON,(-?[\d.]+),/g, (_, p) => `HB_HOUSTON,${Number(p) * 1e308},`), 'any', 'dayAhead');
  const values = ['1e308', '-1e308', '1e309', 'Infinity', 'NaN', '', '0x10', '12,5', '"7"', 'x'.repeat(100_000), '1\u00002', '-0', '9'.repeat(400)];
  const lines = csvLines(rtText);
  for (let i = 0; i < count; i++) {
    const out = [...lines];
    const at = 1 + Math.floor(rand() * (lines.length - 2));
    const r = rand();
    let what: string;
    if (r < 0.45) {
      const v = pick(rand, values);
      out[at] = out[at].replace(/,[^,]*$/, `,${v}`);
      what = `line ${at + 1} price = ${JSON.stringify(v.length > 20 ? `${v.slice(0, 5)}… (${v.length} chars)` : v)}`;
    } else if (r < 0.6) {
      out.splice(at, 1);
      what = `line ${at + 1} deleted`;
    } else if (r < 0.7) {
      out.splice(at, 0, out[at]);
      what = `line ${at + 1} repeated`;
    } else if (r < 0.85) {
      out[at] = out[at].slice(0, Math.floor(rand() * out[at].length));
      what = `line ${at + 1} truncated`;
    } else {
      const col = Math.floor(rand() * 7);
      const cells = out[at].split(',');
      cells[col] = pick(rand, ['', '13/45/2024', '25', '0', '5', 'Y', 'X', 'HB_NOPE', '\u0000']);
      out[at] = cells.join(',');
      what = `line ${at + 1} column ${col + 1} = ${JSON.stringify(cells[col])}`;
    }
    priceCase(w, `prices: ${what}`, base, out.join('\n'), 'any');
  }
  const cut = Math.floor(rand() * rtText.length);
  priceCase(w, `prices: file truncated at byte ${cut}`, base, rtText.slice(0, cut), 'any');
}

/** DST days: the fall-back and spring-forward fixtures with a row removed or repeated. */
function dstMutations(w: CaseWriter, rand: () => number, base: Json, pricesDir: string): void {
  const days = [
    { file: 'rtm-yearly-fall-back-2024-11-03.csv', start: '2024-11-03T00:00:00-05:00', end: '2024-11-04T00:00:00-06:00' },
    { file: 'rtm-yearly-spring-forward-2024-03-10.csv', start: '2024-03-10T00:00:00-06:00', end: '2024-03-11T00:00:00-05:00' },
  ];
  for (const day of days) {
    const s = structuredClone(base);
    s.start = day.start;
    s.end = day.end;
    delete s.prices.dayAhead;
    const text = readFileSync(join(pricesDir, day.file), 'utf8');
    priceCase(w, `dst ${day.file}: unchanged`, s, text, 'any');
    const lines = csvLines(text);
    for (const op of ['delete', 'repeat', 'flag'] as const) {
      const out = [...lines];
      const at = 1 + Math.floor(rand() * (lines.length - 2));
      if (op === 'delete') out.splice(at, 1);
      else if (op === 'repeat') out.splice(at, 0, out[at]);
      else out[at] = out[at].replace(',N,', ',Y,');
      priceCase(w, `dst ${day.file}: line ${at + 1} ${op}`, s, out.join('\n'), 'bad');
    }
  }
}

function cliCases(w: CaseWriter, base: Json): void {
  const dir = w.dir();
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify(base));
  const existing = join(dir, 'existing-file.txt');
  writeFileSync(existing, 'keep me\n');
  const dataDir = join(dir, 'data');
  w.add({ name: 'cli: replay --out names an existing file', argv: ['replay', scenario, '--no-store', '--out', existing], files: ['existing-file.txt'], expect: 'bad', wholeFile: true });
  w.add({ name: 'cli: replay /dev/zero', argv: ['replay', '/dev/zero', '--no-store'], files: ['/dev/zero'], expect: 'bad', wholeFile: true });
  w.add({ name: 'cli: replay a directory', argv: ['replay', dir, '--no-store'], files: [dir], expect: 'bad', wholeFile: true });
  w.add({ name: 'cli: scenario validate /dev/zero', argv: ['scenario', 'validate', '/dev/zero'], files: ['/dev/zero'], expect: 'bad', wholeFile: true });
  w.add({ name: 'cli: prices import /dev/zero', argv: ['prices', 'import', '/dev/zero', '--format', 'ercot-rtm-yearly', '--data-dir', dataDir], files: ['/dev/zero'], expect: 'bad', wholeFile: true });
  w.add({ name: 'cli: prices import a directory', argv: ['prices', 'import', dir, '--format', 'ercot-rtm-yearly', '--data-dir', dataDir], files: [dir], expect: 'bad', wholeFile: true });
  const garbage = join(dir, 'garbage.csv');
  writeFileSync(garbage, Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 256)));
  w.add({ name: 'cli: prices import binary garbage', argv: ['prices', 'import', garbage, '--format', 'ercot-rtm-yearly', '--data-dir', dataDir], files: ['garbage.csv'], expect: 'bad' });
}

/** Builds the cases under `root`; `randomCount` scales the random scenario and price mutations. */
export function buildCases(root: string, pricesDir: string, seed: number, randomCount: number): { base: FuzzCase; cases: FuzzCase[] } {
  const rand = rng(seed);
  const w = new CaseWriter(root);
  const base = baseScenario(pricesDir);
  scenarioCase(w, 'base', base, 'any');
  const [baseCase] = w.cases.splice(0, 1);
  const rtText = readFileSync(base.prices.realTime.file, 'utf8');
  cliCases(w, base);
  dstMutations(w, rand, base, pricesDir);
  scenarioMutations(w, rand, base, Math.ceil(randomCount * 0.55));
  priceMutations(w, rand, base, rtText, Math.floor(randomCount * 0.45));
  return { base: baseCase, cases: w.cases };
}
