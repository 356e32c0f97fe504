import { describe, expect, it } from 'vitest';
import {
  GbdtModelFormatError,
  loadModel,
  modelToJson,
  saveModel,
} from '../../../../ml/models/gbdt/model-json.js';
import { trainGbdt } from '../../../../ml/models/gbdt/train.js';
import { syntheticDataset } from './helpers.js';

describe('saveModel / loadModel', () => {
  const train = syntheticDataset(2000, 51);
  const validation = syntheticDataset(500, 52);
  const model = trainGbdt(
    train,
    { rounds: 30, maxDepth: 5, learningRate: 0.3, subsample: 0.9, earlyStoppingRounds: 50, threads: 1 },
    { validation },
  );

  it('round-trips exactly: same trees, bit-identical margins and contributions', () => {
    const text = saveModel(model);
    const loaded = loadModel(text);
    expect(saveModel(loaded)).toBe(text);
    expect(loaded.predictMargin(validation.values, validation.rows)).toEqual(
      model.predictMargin(validation.values, validation.rows),
    );
    expect(loaded.contributions(validation.values, 50)).toEqual(model.contributions(validation.values, 50));
    expect(loaded.features).toEqual(model.features);
    expect(loaded.training).toEqual(model.training);
  });

  it('writes a versioned, self-describing file', () => {
    const json = modelToJson(model);
    expect(json.format).toBe('churn-radar/gbdt');
    expect(json.version).toBe(1);
    expect(json.objective).toBe('binary:logistic');
    expect(json.trees).toHaveLength(model.trees.length);
    expect(json.features.find((feature) => feature.name === 'x5')?.kind).toBe('categorical');
  });

  it('names the field that is wrong in a broken file', () => {
    const json = modelToJson(model);
    expect(() => loadModel({ ...json, version: 2 })).toThrow(GbdtModelFormatError);
    expect(() => loadModel({ ...json, version: 2 })).toThrow(/gbdt model: version: expected 1, got 2/);
    const [first] = json.trees;
    if (first === undefined) throw new Error('no tree');
    const broken = { ...json, trees: [{ ...first, left: first.left.map(() => 3) }] };
    expect(() => loadModel(broken)).toThrow(/tree 0/);
    expect(() => loadModel('{')).toThrow(/not JSON/);
  });
});
