/**
 * Reads a scenario file and everything it references (paths relative to the scenario file) into ReplayData.
 * Every problem is an InputError naming the file, and the field path / line / interval where known.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { readKwSeries, readPriceFile } from '../../adapters/files/price-file-readers.js';
import { CSV_FILE_LIMITS, readInputText, SCENARIO_FILE_LIMITS, UnreadableInput, type InputTextLimits } from '../../adapters/files/input-text.js';
import { jsonSyntaxError, jsonValueLocations } from '../../adapters/files/json-locations.js';
import { percentToKwh, type BatterySpec } from '../../domain/battery/battery.js';
import { InvalidScenario } from '../../domain/errors.js';
import { requireComplete, seriesFromPoints, type PricePoint, type PriceSeries } from '../../domain/prices/price-series.js';
import { HORIZON_PADDING_INTERVALS, type ReplayData } from '../../domain/replay/replay-data.js';
import { MAX_SCENARIO_DAYS, normalizeStrategy, scenarioSchema, type NormalizedStrategy, type ScenarioFile } from '../../adapters/files/scenario-schema.js';
import { ercotLocalParts, parseIsoInstant, toErcotIso } from '../../domain/time/ercot-calendar.js';
import { DAY_MS, INTERVAL_MS, intervalCount, isIntervalAligned } from '../../domain/time/interval.js';

/** Real-time and day-ahead history read before the start, for forecasts (persistence, recent error, the intra-hour shape of the last 30 days). */
const HISTORY_MS = 31 * DAY_MS;

export interface LoadedScenario {
  file: string;
  scenario: ScenarioFile;
  strategies: (NormalizedStrategy & { name: string })[];
  data: ReplayData;
  notes: string[];
  /** sha256 over the scenario text and every series it resolved to: tells edited scenarios or data apart. */
  contentHash: string;
}

/** Reads an input file (size, binary and line-length checks in readInputText); a referenced file that cannot be opened is reported against the scenario. */
async function readText(path: string, what: string, limits: InputTextLimits, referencedFrom?: string): Promise<string> {
  try {
    return await readInputText(path, limits, what);
  } catch (error) {
    if (error instanceof UnreadableInput && referencedFrom) throw new InvalidScenario(`cannot read ${what} ${path}: ${error.reason}`, { file: referencedFrom });
    throw error;
  }
}

/** Parses and validates scenario text (no I/O). */
export function parseScenario(text: string, file: string): ScenarioFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const syntax = jsonSyntaxError(text, error as Error);
    throw new InvalidScenario(`not valid JSON: ${syntax.message} (line ${syntax.line}, column ${syntax.column})`, { file, line: syntax.line });
  }
  const parsed = scenarioSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const locations = jsonValueLocations(text);
  const describe = (issue: (typeof parsed.error.issues)[number]) => {
    const path = issue.path.map(String).join('.');
    const extra = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const keyPath = extra.length ? (path ? `${path}.${extra[0]}` : extra[0]) : path;
    const pos = locations.get(keyPath) ?? locations.get(path);
    return { path: keyPath || '(top level)', pos, message: issue.message };
  };
  const all = parsed.error.issues.map(describe);
  const first = all[0];
  const where = first.pos ? ` (line ${first.pos.line}, column ${first.pos.column})` : '';
  throw new InvalidScenario(`${first.message}${where}`, { file, line: first.pos?.line, field: first.path }, all.slice(1).map((d) => `field ${d.path}${d.pos ? ` (line ${d.pos.line})` : ''}: ${d.message}`));
}

function instant(text: string, field: string, file: string): number {
  try {
    return parseIsoInstant(text);
  } catch (error) {
    throw new InvalidScenario((error as Error).message, { file, field });
  }
}

function batterySpec(s: ScenarioFile): BatterySpec {
  const b = s.battery;
  return { capacityKwh: b.capacityKwh, maxChargeKw: b.maxChargeKw, maxDischargeKw: b.maxDischargeKw, roundTripEfficiency: b.roundTripEfficiency, minReservePercent: b.minReservePercent, degradationCostUsdPerKwh: b.degradationCostUsdPerKwh };
}

/** Fills n + padding values: the period's values, then the last day repeated. */
function padded(values: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n + HORIZON_PADDING_INTERVALS);
  out.set(values.subarray(0, n));
  for (let j = n; j < out.length; j++) out[j] = j >= 96 ? out[j - 96] : values[j % Math.max(1, n)];
  return out;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function exportAllowedArray(s: ScenarioFile, startMs: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const rule = s.tariff.exportAllowed;
  if (rule === true) out.fill(1);
  if (typeof rule === 'boolean') return out;
  for (let j = 0; j < count; j++) {
    const m = ercotLocalParts(startMs + j * INTERVAL_MS).minuteOfDay;
    out[j] = rule.some((w) => {
      const from = minutes(w.from);
      const to = minutes(w.to);
      return from <= to ? m >= from && m < to : m >= from || m < to;
    }) ? 1 : 0;
  }
  return out;
}

async function siteSeries(source: ScenarioFile['site']['load'], what: string, dir: string, file: string, startMs: number, endMs: number, n: number): Promise<Float64Array> {
  if (!source) return new Float64Array(n + HORIZON_PADDING_INTERVALS);
  if ('constantKw' in source) return new Float64Array(n + HORIZON_PADDING_INTERVALS).fill(source.constantKw);
  const path = resolve(dir, source.file);
  const text = await readText(path, `${what} file`, CSV_FILE_LIMITS, file);
  return padded(readKwSeries(text, source.file, startMs, endMs, what), n);
}

async function priceSeries(source: ScenarioFile['prices']['realTime'], s: ScenarioFile, dir: string, file: string, fromMs: number, toMs: number): Promise<PriceSeries> {
  const files = typeof source.file === 'string' ? [source.file] : source.file;
  const points: PricePoint[] = [];
  for (const name of files) {
    const text = await readText(resolve(dir, name), 'price file', CSV_FILE_LIMITS, file);
    const read = readPriceFile(text, { format: source.format, fileName: name, settlementPoint: s.settlementPoint, settlementPointType: source.settlementPointType });
    for (const p of read) points.push(files.length > 1 ? { ...p, source: `${name} ${p.source ?? ''}`.trim() } : p);
  }
  return seriesFromPoints(points, fromMs, toMs, files.join(' + '));
}

/** The file name(s) of a price source, for messages. */
function sourceName(source: ScenarioFile['prices']['realTime']): string {
  return typeof source.file === 'string' ? source.file : source.file.join(' + ');
}

export async function loadScenario(file: string): Promise<LoadedScenario> {
  const text = await readText(file, 'scenario file', SCENARIO_FILE_LIMITS);
  const scenario = parseScenario(text, file);
  const startMs = instant(scenario.start, 'start', file);
  const endMs = instant(scenario.end, 'end', file);
  if (!(startMs < endMs)) throw new InvalidScenario(`start ${scenario.start} is not before end ${scenario.end} (end is exclusive)`, { file, field: 'start' });
  if (endMs - startMs > MAX_SCENARIO_DAYS * DAY_MS) {
    throw new InvalidScenario(`the period from ${scenario.start} to ${scenario.end} is longer than ${MAX_SCENARIO_DAYS} days (split it into several scenarios)`, { file, field: 'end' });
  }
  for (const [field, ms] of [['start', startMs], ['end', endMs]] as const) {
    if (!isIntervalAligned(ms)) throw new InvalidScenario(`${field} ${toErcotIso(ms)} is not on a 15-minute boundary`, { file, field });
  }
  const n = intervalCount(startMs, endMs);
  const dir = dirname(resolve(file));
  const notes: string[] = [];
  const rtAll = await priceSeries(scenario.prices.realTime, scenario, dir, file, startMs - HISTORY_MS, endMs);
  const from = (startMs - rtAll.startMs) / INTERVAL_MS;
  requireComplete({ startMs, endMs, pricesUsdPerMwh: rtAll.pricesUsdPerMwh.subarray(from, from + n) }, `real-time prices for ${scenario.settlementPoint}`, sourceName(scenario.prices.realTime));
  let dayAhead: PriceSeries | null = null;
  if (scenario.prices.dayAhead) {
    dayAhead = await priceSeries(scenario.prices.dayAhead, scenario, dir, file, startMs - HISTORY_MS, endMs + HORIZON_PADDING_INTERVALS * INTERVAL_MS);
  } else {
    notes.push('no day-ahead prices: rolling and day-ahead plan on persistence forecasts (real-time prices a day earlier)');
  }
  const battery = batterySpec(scenario);
  const data: ReplayData = {
    name: scenario.name,
    settlementPoint: scenario.settlementPoint,
    startMs,
    endMs,
    n,
    battery,
    initialSocKwh: percentToKwh(battery, scenario.battery.initialSocPercent),
    realTime: rtAll,
    dayAhead,
    loadKw: await siteSeries(scenario.site.load, 'home load', dir, file, startMs, endMs, n),
    solarKw: await siteSeries(scenario.site.solar, 'solar', dir, file, startMs, endMs, n),
    exportAllowed: exportAllowedArray(scenario, startMs, n + HORIZON_PADDING_INTERVALS),
    tariff: { importAdderUsdPerKwh: scenario.tariff.importAdderUsdPerKwh, exportFactor: scenario.tariff.exportFactor },
    ...(scenario.maxCyclesPerDay !== undefined ? { maxCyclesPerDay: scenario.maxCyclesPerDay } : {}),
    baseMode: scenario.device.baseMode,
  };
  const strategies = scenario.strategies.map(normalizeStrategy);
  const names = new Set<string>();
  for (const s of strategies) {
    if (names.has(s.name)) throw new InvalidScenario(`two strategies are named "${s.name}" (give one a "name")`, { file, field: 'strategies' });
    names.add(s.name);
  }
  return { file, scenario, strategies, data, notes, contentHash: contentHash(text, data) };
}


function contentHash(text: string, data: ReplayData): string {
  const hash = createHash('sha256').update(text);
  for (const series of [data.realTime.pricesUsdPerMwh, data.dayAhead?.pricesUsdPerMwh, data.loadKw, data.solarKw]) {
    if (series) hash.update(new Uint8Array(series.buffer, series.byteOffset, series.byteLength));
  }
  return hash.digest('hex');
}
