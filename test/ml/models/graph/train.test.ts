import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../../../ml/eval/index.js';
import { type GraphModel, trainGraphModel } from '../../../../ml/models/graph/index.js';
import { loadTf } from '../../../../ml/models/tf-runtime.js';
import { labelled, plantedSnapshot } from './helpers.js';

const SMALL = { hiddenUnits: 16, batchSize: 128, epochs: 30, patience: 4 } as const;

describe('trainGraphModel: a planted neighbourhood effect', () => {
  const train = [plantedSnapshot(1200, 1, 'gone'), plantedSnapshot(1200, 2, 'gone')];
  const validation = plantedSnapshot(1000, 3, 'gone');
  const test = plantedSnapshot(1500, 4, 'gone');
  let graph: GraphModel;
  let blind: GraphModel;
  const epochs: { epoch: number; loss: number; auc: number | undefined }[] = [];

  beforeAll(async () => {
    graph = await trainGraphModel(
      train,
      { ...SMALL, seed: 5 },
      {
        validation,
        onEpoch: (epoch, loss, auc) => epochs.push({ epoch, loss, auc }),
      },
    );
    blind = await trainGraphModel(train, { ...SMALL, seed: 5, useNeighbourhood: false }, { validation });
  });
  afterAll(() => {
    graph?.dispose();
    blind?.dispose();
  });

  it('ranks churners whose friends are gone (AUC > 0.9); the same network without neighbours cannot', async () => {
    const withGraph = labelled(test, await graph.predictMargin(test));
    const withoutGraph = labelled(test, await blind.predictMargin(test));
    expect(rocAuc(withGraph.scores, withGraph.labels)).toBeGreaterThan(0.9);
    expect(rocAuc(withoutGraph.scores, withoutGraph.labels)).toBeLessThan(0.62);
  });

  it('stops early on validation AUC and keeps the best epoch', () => {
    const aucs = epochs.map((entry) => entry.auc ?? Number.NaN);
    const best = Math.max(...aucs);
    expect(graph.training.validation).toBe('given');
    expect(graph.training.bestValidationAuc).toBe(best);
    expect(aucs[graph.training.bestEpoch - 1]).toBe(best);
    expect(epochs.map((entry) => entry.epoch)).toEqual(
      Array.from({ length: epochs.length }, (_, i) => i + 1),
    );
    expect(graph.training.epochs).toBe(epochs.length);
    // Either it ran out of epochs or it stopped `patience` epochs after the best one.
    if (graph.training.epochs < SMALL.epochs)
      expect(graph.training.epochs - graph.training.bestEpoch).toBe(SMALL.patience);
    expect(epochs.every((entry) => Number.isFinite(entry.loss) && entry.loss > 0)).toBe(true);
  });

  it('scores probabilities as the sigmoid of the margins, one per example, in order', async () => {
    const subset = test.slice(0, 50);
    const margins = await graph.predictMargin(test);
    const probabilities = await graph.predictProbability(test);
    expect(probabilities).toHaveLength(test.length);
    probabilities.forEach((probability, index) => {
      expect(probability).toBeCloseTo(1 / (1 + Math.exp(-(margins[index] as number))), 12);
    });
    // A subset scored with the rest of its snapshot as context gets the same scores.
    const withContext = await graph.predictMargin(subset, { context: test });
    withContext.forEach((margin, index) => {
      expect(margin).toBeCloseTo(margins[index] as number, 5);
    });
    // Without the context, their neighbours look gone: scores go up.
    const alone = await graph.predictMargin(subset);
    const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(alone)).toBeGreaterThan(mean(withContext) + 1);
  });

  it('leaves no tensor behind across predictions', async () => {
    const { tf } = await loadTf();
    const before = tf.memory().numTensors;
    await graph.predictMargin(test);
    await graph.predictProbability(test.slice(0, 10));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainGraphModel: neighbours features', () => {
  it("learns churn planted in current neighbours' own features (cancelled friends)", async () => {
    const train = [
      plantedSnapshot(1500, 11, 'cancelled-neighbour'),
      plantedSnapshot(1500, 12, 'cancelled-neighbour'),
    ];
    const test = plantedSnapshot(1500, 13, 'cancelled-neighbour');
    const model = await trainGraphModel(train, { ...SMALL, seed: 3 });
    try {
      expect(model.training.validation).toBe('holdout');
      const { scores, labels } = labelled(test, await model.predictMargin(test));
      expect(rocAuc(scores, labels)).toBeGreaterThan(0.9);
    } finally {
      model.dispose();
    }
  });
});

describe('trainGraphModel: determinism and memory', () => {
  const train = [plantedSnapshot(600, 21, 'gone')];
  const test = plantedSnapshot(400, 22, 'gone');
  const params = { hiddenUnits: 8, batchSize: 64, epochs: 4, patience: 2 } as const;

  it('repeats bit for bit with the same seed and differs with another', async () => {
    const first = await trainGraphModel(train, { ...params, seed: 9 });
    const second = await trainGraphModel(train, { ...params, seed: 9 });
    const other = await trainGraphModel(train, { ...params, seed: 10 });
    try {
      const a = await first.predictMargin(test);
      expect(Array.from(await second.predictMargin(test))).toEqual(Array.from(a));
      expect(Array.from(await other.predictMargin(test))).not.toEqual(Array.from(a));
      expect(second.training).toEqual(first.training);
    } finally {
      first.dispose();
      second.dispose();
      other.dispose();
    }
  });

  it('frees every tensor it made once the model is disposed', async () => {
    const { tf } = await loadTf();
    const before = tf.memory().numTensors;
    const model = await trainGraphModel(train, { ...params, seed: 1 });
    expect(tf.memory().numTensors).toBe(before + 6); // 2 layers: 2 kernels, 2 biases, the head's 2
    await model.predictMargin(test);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(model.predictMargin(test)).rejects.toThrow(/disposed/);
  });

  it('trains every epoch and keeps the last with patience 0 (a refit), holding nothing out', async () => {
    const seen: (number | undefined)[] = [];
    const model = await trainGraphModel(
      train,
      { ...params, patience: 0, epochs: 3 },
      {
        onEpoch: (_, __, auc) => seen.push(auc),
      },
    );
    try {
      expect(model.training).toMatchObject({
        epochs: 3,
        bestEpoch: 3,
        validation: 'none',
        bestValidationAuc: null,
      });
      expect(seen).toEqual([undefined, undefined, undefined]);
      expect(model.training.examples).toBe(600);
    } finally {
      model.dispose();
    }
  });
});
