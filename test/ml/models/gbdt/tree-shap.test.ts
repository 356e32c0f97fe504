import { describe, expect, it } from 'vitest';
import { trainGbdt } from '../../../../ml/models/gbdt/train.js';
import { loadXgboostModel } from '../../../../ml/models/gbdt/xgboost-json.js';
import { FEATURE_COUNT, maxAbsDifference, syntheticDataset, xgboostFixture } from './helpers.js';

describe('TreeSHAP contributions', () => {
  const train = syntheticDataset(3000, 41);
  const model = trainGbdt(train, { rounds: 40, maxDepth: 6, learningRate: 0.2, threads: 1 });

  it('sum with the bias to the raw margin of every row', () => {
    const rows = syntheticDataset(300, 42);
    const margins = model.predictMargin(rows.values, rows.rows);
    const contributions = model.contributions(rows.values, rows.rows);
    const width = FEATURE_COUNT + 1;
    for (let row = 0; row < rows.rows; row++) {
      let sum = 0;
      for (let feature = 0; feature < width; feature++) sum += contributions[row * width + feature] ?? 0;
      expect(Math.abs(sum - (margins[row] ?? 0))).toBeLessThan(1e-9);
      expect(contributions[row * width + FEATURE_COUNT]).toBe(model.expectedMargin);
    }
  });

  it('give a single split its whole effect, measured from the cover-weighted mean', () => {
    const stump = trainGbdt(train, { rounds: 1, maxDepth: 1, threads: 1 });
    const tree = stump.trees[0];
    if (tree === undefined) throw new Error('no tree');
    const feature = tree.feature[0] ?? -1;
    const cover = (node: number): number => tree.cover[node] ?? 0;
    const expected =
      stump.baseMargin + ((tree.value[1] ?? 0) * cover(1) + (tree.value[2] ?? 0) * cover(2)) / cover(0);
    const row = train.values.slice(0, FEATURE_COUNT);
    const out = stump.rowContributions(row);
    expect(out[FEATURE_COUNT]).toBeCloseTo(expected, 12);
    expect(out[feature]).toBeCloseTo(stump.predictRowMargin(row) - expected, 12);
    expect(
      Array.from(out).filter((value, index) => index !== feature && index !== FEATURE_COUNT && value !== 0),
    ).toEqual([]);
  });

  it('explain one row without allocating a new buffer when given one', () => {
    const out = new Float64Array(FEATURE_COUNT + 1);
    const returned = model.rowContributions(train.values, FEATURE_COUNT * 7, out);
    expect(returned).toBe(out);
    expect(Array.from(out)).toEqual(
      Array.from(model.contributions(train.values.subarray(FEATURE_COUNT * 7, FEATURE_COUNT * 8), 1)),
    );
  });

  it.each(['numeric', 'categorical'] as const)('equal XGBoost pred_contribs on the %s fixture', (name) => {
    const fixture = xgboostFixture(name);
    const xgb = loadXgboostModel(fixture.model);
    const contributions = xgb.contributions(fixture.values, fixture.rows);
    expect(maxAbsDifference(contributions, fixture.contributions.flat())).toBeLessThan(1e-5);
  });
});
