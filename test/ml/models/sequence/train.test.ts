import { beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../../../ml/eval/index.js';
import { type SequenceModel, trainSequenceModel } from '../../../../ml/models/sequence/index.js';
import { loadTf } from '../../../../ml/models/tf-runtime.js';
import { CHANNELS, plantedSequences, SMALL_PARAMS } from './helpers.js';

const train = plantedSequences(800, 1);
const validation = plantedSequences(300, 2);
const test = plantedSequences(400, 3);

describe('trainSequenceModel on a planted pattern', () => {
  let model: SequenceModel;
  const epochs: Array<{ epoch: number; loss: number; auc: number | undefined }> = [];

  beforeAll(async () => {
    model = await trainSequenceModel(train, SMALL_PARAMS, {
      validation,
      onEpoch: (epoch, loss, auc) => epochs.push({ epoch, loss, auc }),
    });
    return () => model.dispose();
  });

  it('ranks held-out churners (fading sessions) above non-churners', async () => {
    const margins = await model.predictMargin(test);
    expect(margins).toHaveLength(test.rows);
    expect(rocAuc(margins, test.labels)).toBeGreaterThan(0.9);
  });

  it('keeps the epoch with the best validation AUC and reports every epoch', () => {
    expect(epochs.map((e) => e.epoch)).toEqual(epochs.map((_, index) => index + 1));
    expect(epochs.length).toBeGreaterThan(0);
    expect(epochs.length).toBeLessThanOrEqual(SMALL_PARAMS.epochs);
    for (const { loss, auc } of epochs) {
      expect(Number.isFinite(loss)).toBe(true);
      expect(auc).toBeGreaterThanOrEqual(0);
    }
    const aucs = epochs.map((e) => e.auc ?? Number.NaN);
    const best = Math.max(...aucs);
    expect(model.training.bestValidationAuc).toBe(best);
    expect(model.training.bestEpoch).toBe(aucs.indexOf(best) + 1);
    expect(model.training.epochs.map((e) => e.validationAuc)).toEqual(aucs);
    expect(model.training).toMatchObject({ rows: 800, validationRows: 300 });
  });

  it('scores the kept epoch: validation AUC recomputed from predictions equals the recorded best', async () => {
    const auc = rocAuc(await model.predictMargin(validation), validation.labels);
    expect(auc).toBeCloseTo(model.training.bestValidationAuc ?? Number.NaN, 10);
  });

  it('learns the normalisation from training data: per-channel mean and std of ln(1 + step mean)', () => {
    expect(model.normalisation.mean).toHaveLength(CHANNELS);
    expect(model.normalisation.std).toHaveLength(CHANNELS);
    // Sessions average about 2 a day: ln(1 + 2) ≈ 1.1, a little less for the fading churners.
    expect(model.normalisation.mean[0]).toBeGreaterThan(0.8);
    expect(model.normalisation.mean[0]).toBeLessThan(1.2);
    for (const std of model.normalisation.std) expect(std).toBeGreaterThan(0);
  });

  it('gives probabilities that are the sigmoid of the margins', async () => {
    const margins = await model.predictMargin(test);
    const probabilities = await model.predictProbability(test);
    probabilities.forEach((probability, row) => {
      expect(probability).toBeCloseTo(1 / (1 + Math.exp(-(margins[row] ?? 0))), 12);
    });
  });

  it('flags the planted channel with channelEffects ([rows, channels], occlusion by the training mean)', async () => {
    const effects = await model.channelEffects(test);
    expect(effects).toHaveLength(test.rows * CHANNELS);
    const meanAbs = Array.from({ length: CHANNELS }, (_, channel) => {
      let sum = 0;
      for (let row = 0; row < test.rows; row++) sum += Math.abs(effects[row * CHANNELS + channel] ?? 0);
      return sum / test.rows;
    });
    const strongest = meanAbs.indexOf(Math.max(...meanAbs));
    expect(strongest).toBe(0);
    const sessions = meanAbs[0] ?? 0;
    for (let channel = 1; channel < CHANNELS; channel++) expect(meanAbs[channel]).toBeLessThan(sessions / 2);
    // Churners' fading sessions push their risk up; replacing them by the average takes it away.
    let churnerEffect = 0;
    let churners = 0;
    for (let row = 0; row < test.rows; row++) {
      if (test.labels[row] !== 1) continue;
      churnerEffect += effects[row * CHANNELS] ?? 0;
      churners += 1;
    }
    expect(churnerEffect / churners).toBeGreaterThan(0);
  });

  it('gives no effect to a channel that already sits at its training mean on every day', async () => {
    const sequences = test.sequences.slice();
    const mean = model.channelMeans[0] ?? Number.NaN;
    for (let cell = 0; cell < test.rows * test.days; cell++) sequences[cell * CHANNELS] = mean;
    const effects = await model.channelEffects({ ...test, sequences });
    for (let row = 0; row < test.rows; row++) expect(effects[row * CHANNELS]).toBeCloseTo(0, 4);
  });

  it('does not leak tensors across predictions, explanations and artifacts', async () => {
    const { tf } = await loadTf();
    await model.predictMargin(test);
    const before = tf.memory().numTensors;
    for (let round = 0; round < 10; round++) {
      await model.predictMargin(test);
      await model.predictProbability(test);
    }
    await model.channelEffects(test);
    await model.toArtifact();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainSequenceModel: determinism', () => {
  const small = plantedSequences(300, 4);
  const params = { ...SMALL_PARAMS, epochs: 3 };

  it('repeats bit for bit with the same seed, and differs with another seed', async () => {
    const first = await trainSequenceModel(small, params);
    const second = await trainSequenceModel(small, params);
    const other = await trainSequenceModel(small, { ...params, seed: params.seed + 1 });
    try {
      const a = await first.predictMargin(test);
      const b = await second.predictMargin(test);
      const c = await other.predictMargin(test);
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(first.training.epochs.map((e) => e.loss)).toEqual(second.training.epochs.map((e) => e.loss));
      expect(Array.from(c)).not.toEqual(Array.from(a));
    } finally {
      first.dispose();
      second.dispose();
      other.dispose();
    }
  });

  it('trains every epoch without validation and keeps the last', async () => {
    const model = await trainSequenceModel(small, params);
    try {
      expect(model.training.epochs).toHaveLength(3);
      expect(model.training.bestEpoch).toBe(3);
      expect(model.training.bestValidationAuc).toBeNull();
    } finally {
      model.dispose();
    }
  });
});
