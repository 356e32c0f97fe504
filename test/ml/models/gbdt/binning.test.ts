import { describe, expect, it } from 'vitest';
import { binMatrix, numericBin } from '../../../../ml/models/gbdt/binning.js';
import type { GbdtMatrix } from '../../../../ml/models/gbdt/dataset.js';

function column(values: number[], kind: 'numeric' | 'categorical' = 'numeric'): GbdtMatrix {
  return { values: Float32Array.from(values), rows: values.length, features: [{ name: 'x', kind }] };
}

describe('binMatrix', () => {
  it('gives every distinct value its own bin while they fit, with XGBoost cut semantics', () => {
    const binned = binMatrix(column([3, 1, 2, 2, Number.NaN, 1]), 256);
    // Upper bounds: 1 -> [.., 2), 2 -> [2, 3), 3 -> [3, 3 + 3 + 1e-5).
    expect(Array.from(binned.cuts[0] ?? [])).toEqual([2, 3, Math.fround(3 + 3 + 1e-5)]);
    expect(binned.minValues[0]).toBe(Math.fround(1 - 1 - 1e-5));
    // Global slots: 3 value bins, then the missing slot.
    expect(Array.from(binned.slots)).toEqual([2, 0, 1, 1, 3, 0]);
    expect(Array.from(binned.columns)).toEqual([2, 0, 1, 1, 3, 0]);
    expect(binned.hasMissing[0]).toBe(1);
    expect(binned.usable[0]).toBe(1);
  });

  it('uses at most maxBin - 1 quantile bins for many distinct values, of near-equal counts', () => {
    const values = Array.from({ length: 10_000 }, (_, index) => (index * 7919) % 10_007);
    const binned = binMatrix(column(values), 64);
    const cuts = binned.cuts[0] ?? new Float64Array(0);
    expect(cuts.length).toBe(63);
    const counts = new Array<number>(64).fill(0);
    for (const slot of binned.slots) counts[slot] = (counts[slot] ?? 0) + 1;
    const valueCounts = counts.slice(0, 63);
    expect(Math.max(...valueCounts) - Math.min(...valueCounts)).toBeLessThanOrEqual(2);
    for (const value of [0, 1, 5000, 10_006]) {
      const bin = numericBin(cuts, value);
      expect(value).toBeLessThan(cuts[bin] ?? Number.NaN);
      if (bin > 0) expect(value).toBeGreaterThanOrEqual(cuts[bin - 1] ?? Number.NaN);
    }
  });

  it('keeps categorical codes as bins and refuses codes that do not fit', () => {
    const binned = binMatrix(column([0, 4, 2, Number.NaN], 'categorical'), 256);
    expect(Array.from(binned.columns)).toEqual([0, 4, 2, 5]);
    expect(() => binMatrix(column([0, 300], 'categorical'), 256)).toThrow(/code 300; at most 255 categories/);
  });

  it('marks constant columns as unusable unless missing values make a second group', () => {
    expect(binMatrix(column([5, 5, 5]), 256).usable[0]).toBe(0);
    expect(binMatrix(column([5, Number.NaN, 5]), 256).usable[0]).toBe(1);
  });
});
