/** "What changed" between two plan versions: windows unchanged, moved, added, dropped. */
import { describe, expect, it } from 'vitest';
import { diffWindows } from '../../src/web/loaders/changes.js';

const H = 3_600_000;
const w = (mode: string, startH: number, endH: number, powerKw = 5) => ({ mode, powerKw, targetReservePercent: 20, startMs: startH * H, endMs: endH * H, reason: `${mode} ${startH}-${endH}` });

describe('diffWindows', () => {
  it('an identical window is not reported; an overlapping one of the same mode is moved; others added/dropped', () => {
    const before = [w('charge', 2, 5), w('discharge', 19, 20), w('discharge', 7, 8)];
    const after = [w('charge', 2, 5), w('discharge', 18.5, 20), w('charge', 13, 14)];
    const d = diffWindows(before, after);
    expect(d.moved).toEqual([{ before: w('discharge', 19, 20), after: w('discharge', 18.5, 20) }]);
    expect(d.added).toEqual([w('charge', 13, 14)]);
    expect(d.dropped).toEqual([w('discharge', 7, 8)]);
  });

  it('a change of power alone is a move; a change of mode is a drop plus an add', () => {
    const d = diffWindows([w('discharge', 19, 20, 5)], [w('discharge', 19, 20, 3)]);
    expect(d.moved).toHaveLength(1);
    const m = diffWindows([w('discharge', 19, 20)], [w('charge', 19, 20)]);
    expect(m.moved).toEqual([]);
    expect(m.added).toEqual([w('charge', 19, 20)]);
    expect(m.dropped).toEqual([w('discharge', 19, 20)]);
  });

  it('nothing changed: all empty', () => {
    expect(diffWindows([w('charge', 1, 2)], [w('charge', 1, 2)])).toEqual({ added: [], dropped: [], moved: [] });
  });
});
