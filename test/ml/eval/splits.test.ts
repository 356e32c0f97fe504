import { describe, expect, it } from 'vitest';
import { stratifiedKFold, timeSplit } from '../../../ml/eval/index.js';

describe('stratifiedKFold', () => {
  // 103 rows, 23 churners: neither divides evenly into 5 folds.
  const labels = Array.from({ length: 103 }, (_, index) => (index % 4 === 1 && index < 92 ? 1 : 0));
  const churners = labels.reduce<number>((sum, label) => sum + label, 0);

  it('puts every row in exactly one test fold and the rest in training', () => {
    expect(churners).toBe(23);
    const folds = stratifiedKFold(labels, 5, 42);
    expect(folds).toHaveLength(5);
    const timesTested = new Array<number>(labels.length).fill(0);
    for (const { train, test } of folds) {
      for (const index of test) timesTested[index] = (timesTested[index] ?? 0) + 1;
      const inFold = new Set(test);
      expect(train.length + test.length).toBe(labels.length);
      expect([...train].some((index) => inFold.has(index))).toBe(false);
      expect([...test]).toEqual([...test].sort((a, b) => a - b));
    }
    expect(timesTested.every((times) => times === 1)).toBe(true);
  });

  it('keeps the churn rate in every fold', () => {
    for (const { test } of stratifiedKFold(labels, 5, 42)) {
      const foldChurners = [...test].filter((index) => labels[index] === 1).length;
      // 23 / 5 = 4.6 and 80 / 5 = 16: each fold gets 4 or 5 churners and 16 non-churners.
      expect([4, 5]).toContain(foldChurners);
      expect(test.length - foldChurners).toBe(16);
      expect([20, 21]).toContain(test.length);
    }
  });

  it('repeats for a seed and differs between seeds', () => {
    const tests = (seed: number) => stratifiedKFold(labels, 5, seed).map(({ test }) => [...test]);
    expect(tests(7)).toEqual(tests(7));
    expect(tests(7)).not.toEqual(tests(8));
  });

  it('rejects impossible fold counts', () => {
    expect(() => stratifiedKFold([0, 1, 0], 4, 1)).toThrow(/k = 4 folds need at least 4 rows/);
    expect(() => stratifiedKFold([0, 1, 0], 1, 1)).toThrow(/k must be an integer >= 2/);
  });
});

describe('timeSplit', () => {
  const rows = [
    { id: 'a', as_of: '2025-01-01' },
    { id: 'b', as_of: '2025-02-01' },
    { id: 'c', as_of: '2025-03-01' },
    { id: 'd', as_of: '2025-04-01T00:00:00Z' },
    { id: 'e', as_of: '2025-05-01' },
  ];

  it('trains on cut-offs before trainBefore and tests on testOn, counting the rest', () => {
    const split = timeSplit(rows, (row) => row.as_of, { trainBefore: '2025-03-01', testOn: '2025-04-01' });
    expect(split.train.map((row) => row.id)).toEqual(['a', 'b']);
    expect(split.test.map((row) => row.id)).toEqual(['d']);
    expect(split.excluded).toBe(2);
  });

  it('refuses a training period after the test cut-off and unreadable cut-offs', () => {
    expect(() =>
      timeSplit(rows, (row) => row.as_of, { trainBefore: '2025-05-01', testOn: '2025-04-01' }),
    ).toThrow(/must not be after testOn/);
    expect(() => timeSplit(rows, () => 'soon', { trainBefore: '2025-03-01', testOn: '2025-04-01' })).toThrow(
      /cut-off of row 0: expected a day/,
    );
  });
});
