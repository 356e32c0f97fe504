import { describe, expect, it } from 'vitest';
import { saveModel } from '../../../../ml/models/gbdt/model-json.js';
import { trainGbdt } from '../../../../ml/models/gbdt/train.js';
import { syntheticDataset } from './helpers.js';

describe('trainGbdt on worker threads', () => {
  it('trains the same model, bit for bit, on two threads as on one', () => {
    // Over 4,096 rows, so the root is built in several row blocks that the threads share.
    const data = syntheticDataset(9000, 31);
    const params = { rounds: 12, maxDepth: 5, learningRate: 0.2, minParallelCells: 0 } as const;
    const single = trainGbdt(data, { ...params, threads: 1 });
    const shared = trainGbdt(data, { ...params, threads: 2 });
    expect(single.training?.threads).toBe(1);
    expect(shared.training?.threads).toBe(2);
    const withoutThreads = (text: string): string => text.replace(/"threads":\d+/g, '"threads":0');
    expect(withoutThreads(saveModel(shared))).toBe(withoutThreads(saveModel(single)));
  });

  it('stays identical with row and column sampling, lossguide growth and three threads', () => {
    const data = syntheticDataset(6000, 32);
    const params = {
      rounds: 15,
      maxDepth: 0,
      maxLeaves: 12,
      growPolicy: 'lossguide',
      subsample: 0.8,
      colsampleBytree: 0.7,
      seed: 5,
      minParallelCells: 0,
    } as const;
    const single = trainGbdt(data, { ...params, threads: 1 });
    const shared = trainGbdt(data, { ...params, threads: 3 });
    expect(shared.training?.threads).toBe(3);
    expect(shared.predictMargin(data.values, data.rows)).toEqual(
      single.predictMargin(data.values, data.rows),
    );
    expect(shared.trees.map((tree) => Array.from(tree.threshold))).toEqual(
      single.trees.map((tree) => Array.from(tree.threshold)),
    );
  });

  it('keeps small data on the calling thread', () => {
    const model = trainGbdt(syntheticDataset(200, 33), { rounds: 2, threads: 2, minParallelCells: 10_000 });
    expect(model.training?.threads).toBe(1);
  });
});
