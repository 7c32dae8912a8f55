/** Data files are read gzipped or plain, transparently: by the readers' callers, the scenario loader and the CLI. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDataFile, readDataFile, readDataFileSync } from '../../../src/adapters/files/text-files.js';
import { InvalidPriceData, InvalidScenario } from '../../../src/domain/errors.js';
import { loadScenario } from '../../../src/app/replay/load-scenario.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const RTM = join(FIXTURES, 'prices/rtm-aug-2024-excerpt.csv');
const DAM = join(FIXTURES, 'prices/dam-houston-aug-2024-excerpt.csv');
const dir = mkdtempSync(join(tmpdir(), 'text-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gzipCopy(from: string, name: string): string {
  const to = join(dir, name);
  writeFileSync(to, gzipSync(readFileSync(from)));
  return to;
}

describe('readDataFile', () => {
  it('gunzips a gzip file to the same text as the plain file, by content whatever the name', async () => {
    const plain = readFileSync(RTM, 'utf8');
    expect(plain.length).toBeGreaterThan(1000);
    const gz = gzipCopy(RTM, 'rtm.csv.gz');
    const misnamed = gzipCopy(RTM, 'rtm-really-gzip.csv');
    expect(readFileSync(gz).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(await readDataFile(gz)).toBe(plain);
    expect(readDataFileSync(misnamed)).toBe(plain);
    expect(readDataFileSync(RTM)).toBe(plain);
  });

  it('a truncated gzip file is an InvalidPriceData naming the file', () => {
    const whole = gzipSync(readFileSync(RTM));
    const err = (() => {
      try {
        decodeDataFile(whole.subarray(0, whole.length / 2), 'cut.csv.gz');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidPriceData);
    expect((err as Error).message).toMatch(/cut\.csv\.gz.*not a readable gzip file/);
  });

  it('a scenario reads gzipped price files to the same series as the plain ones', async () => {
    const scenario = JSON.parse(readFileSync(join(FIXTURES, 'scenarios/smoke.json'), 'utf8'));
    const plainFile = join(dir, 'plain.json');
    writeFileSync(plainFile, JSON.stringify({ ...scenario, prices: { realTime: { file: RTM, format: 'ercot-rtm-yearly' }, dayAhead: { file: DAM, format: 'ercot-api' } } }));
    const gzFile = join(dir, 'gz.json');
    gzipCopy(RTM, 'rtm2.csv.gz');
    gzipCopy(DAM, 'dam2.csv.gz');
    writeFileSync(gzFile, JSON.stringify({ ...scenario, prices: { realTime: { file: 'rtm2.csv.gz', format: 'ercot-rtm-yearly' }, dayAhead: { file: 'dam2.csv.gz', format: 'ercot-api' } } }));
    const plain = (await loadScenario(plainFile)).data;
    const gz = (await loadScenario(gzFile)).data;
    expect(gz.n).toBe(192);
    expect(Array.from(gz.realTime.pricesUsdPerMwh)).toEqual(Array.from(plain.realTime.pricesUsdPerMwh));
    expect(Array.from(gz.dayAhead!.pricesUsdPerMwh)).toEqual(Array.from(plain.dayAhead!.pricesUsdPerMwh));
  });

  it('a scenario naming a broken gzip file fails with exit-2 errors naming that file; a missing one says so', async () => {
    const scenario = JSON.parse(readFileSync(join(FIXTURES, 'scenarios/smoke.json'), 'utf8'));
    writeFileSync(join(dir, 'broken.csv.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]));
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ ...scenario, prices: { realTime: { file: 'broken.csv.gz', format: 'ercot-rtm-yearly' } } }));
    await expect(loadScenario(file)).rejects.toThrow(InvalidPriceData);
    await expect(loadScenario(file)).rejects.toThrow(/broken\.csv\.gz.*not a readable gzip file/);
    writeFileSync(file, JSON.stringify({ ...scenario, prices: { realTime: { file: 'absent.csv.gz', format: 'ercot-rtm-yearly' } } }));
    await expect(loadScenario(file)).rejects.toThrow(InvalidScenario);
    await expect(loadScenario(file)).rejects.toThrow(/absent\.csv\.gz: no such file/);
  });
});
