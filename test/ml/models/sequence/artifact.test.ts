import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSequenceModel,
  type SequenceArtifact,
  SequenceArtifactError,
  type SequenceModel,
  trainSequenceModel,
} from '../../../../ml/models/sequence/index.js';
import { headRows, INPUT_DAYS, plantedSequences, SMALL_PARAMS } from './helpers.js';

const train = plantedSequences(300, 11);
const test = plantedSequences(200, 12);

/** What a registry does: meta through JSON text, weights through a byte copy. */
function throughStorage(artifact: SequenceArtifact): SequenceArtifact {
  return {
    ...(JSON.parse(
      JSON.stringify({ format: artifact.format, version: artifact.version, meta: artifact.meta }),
    ) as Omit<SequenceArtifact, 'weights'>),
    weights: Uint8Array.from(artifact.weights),
  };
}

describe('SequenceModel artifacts', () => {
  let model: SequenceModel;
  let artifact: SequenceArtifact;

  beforeAll(async () => {
    model = await trainSequenceModel(train, { ...SMALL_PARAMS, epochs: 2 });
    artifact = await model.toArtifact();
  });
  afterAll(() => model.dispose());

  it('round-trips through JSON and bytes with identical predictions and explanations', async () => {
    const loaded = await loadSequenceModel(throughStorage(artifact));
    try {
      expect(Array.from(await loaded.predictMargin(test))).toEqual(
        Array.from(await model.predictMargin(test)),
      );
      expect(Array.from(await loaded.channelEffects(headRows(test, 20)))).toEqual(
        Array.from(await model.channelEffects(headRows(test, 20))),
      );
      expect(loaded.params).toEqual(model.params);
      expect(loaded.normalisation).toEqual(model.normalisation);
      expect(loaded.channelMeans).toEqual(model.channelMeans);
      expect(loaded.training).toEqual(model.training);
    } finally {
      loaded.dispose();
    }
  });

  it('describes itself: format, version, channels, steps, normalisation, float32 weights', () => {
    expect(artifact.format).toBe('churn-radar/sequence');
    expect(artifact.version).toBe(1);
    expect(artifact.meta.channels).toEqual([
      'sessions',
      'log1p_play_minutes',
      'plays',
      'failures',
      'support_tickets',
      'cancel_page_views',
    ]);
    expect(artifact.meta.steps).toHaveLength(3 + 7);
    expect(artifact.meta.network.weightSpecs.map((spec) => spec.name)).toEqual([
      'gru/kernel',
      'gru/recurrent_kernel',
      'gru/bias',
      'logit/kernel',
      'logit/bias',
    ]);
    const units = SMALL_PARAMS.units;
    // GRU: 3 gates; kernel 6 x 3u, recurrent u x 3u, bias 3u; then the dense head u x 1 + 1.
    expect(artifact.weights.byteLength).toBe(4 * (6 * 3 * units + units * 3 * units + 3 * units + units + 1));
  });

  it('gives a known output for known weights: zero weights and a head bias of 0.75 score 0.75 everywhere', async () => {
    const weights = new Uint8Array(artifact.weights.byteLength);
    new DataView(weights.buffer).setFloat32(weights.byteLength - 4, 0.75, true);
    const fixed = await loadSequenceModel({ ...throughStorage(artifact), weights });
    try {
      const margins = await fixed.predictMargin(test);
      expect(new Set(margins)).toEqual(new Set([0.75]));
      const probabilities = await fixed.predictProbability(headRows(test, 1));
      expect(probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(-0.75)), 12);
      expect(Array.from(await fixed.channelEffects(headRows(test, 3)))).toEqual(new Array(18).fill(0));
    } finally {
      fixed.dispose();
    }
  });

  it('scores one row the same as inside a batch (row-wise independence)', async () => {
    const all = await model.predictMargin(test);
    const one = await model.predictMargin(headRows(test, 1));
    expect(one[0]).toBeCloseTo(all[0] ?? Number.NaN, 5);
  });

  it('rejects artifacts it cannot load, naming the field', async () => {
    const stored = throughStorage(artifact);
    await expect(loadSequenceModel({ ...stored, format: 'other' as 'churn-radar/sequence' })).rejects.toThrow(
      'artifact.format: expected churn-radar/sequence, got other',
    );
    await expect(loadSequenceModel({ ...stored, version: 2 as 1 })).rejects.toThrow(/^artifact\.version/);
    await expect(loadSequenceModel({ ...stored, weights: stored.weights.subarray(4) })).rejects.toThrow(
      /^artifact\.weights: expected \d+ bytes/,
    );
    const badStd = {
      ...stored.meta,
      normalisation: { ...stored.meta.normalisation, std: [1, 1, 1, 1, 1, 0] },
    };
    await expect(loadSequenceModel({ ...stored, meta: badStd })).rejects.toThrow(
      /^artifact\.meta\.normalisation\.std\[5\]: must be > 0/,
    );
    const badParams = { ...stored.meta, params: { ...stored.meta.params, units: -1 } };
    await expect(loadSequenceModel({ ...stored, meta: badParams })).rejects.toThrow(
      /^artifact\.meta\.params\.units/,
    );
    const badSteps = { ...stored.meta, params: { ...stored.meta.params, recentDays: 0 } };
    await expect(loadSequenceModel({ ...stored, meta: badSteps })).rejects.toThrow(/^artifact\.meta\.steps/);
    await expect(
      loadSequenceModel({ ...stored, format: 'other' as 'churn-radar/sequence' }),
    ).rejects.toBeInstanceOf(SequenceArtifactError);
  });

  it('validates prediction input: channels, too few days, shape', async () => {
    await expect(model.predictMargin({ ...test, channels: 5 })).rejects.toThrow(
      /^batch\.channels: expected 6/,
    );
    const short = plantedSequences(3, 1, SMALL_PARAMS.days - 1);
    await expect(model.predictMargin(short)).rejects.toThrow(
      `batch.days: the model reads the last ${SMALL_PARAMS.days} days, got only ${SMALL_PARAMS.days - 1}`,
    );
    await expect(model.channelEffects({ ...test, rows: test.rows + 1 })).rejects.toThrow(/^batch\.sequences/);
    // More days than the model reads is fine: it takes the most recent.
    expect(test.days).toBe(INPUT_DAYS);
    expect(INPUT_DAYS).toBeGreaterThan(SMALL_PARAMS.days);
  });

  it('reads only the most recent days: changing older days changes nothing', async () => {
    const older = test.sequences.slice();
    const dropped = INPUT_DAYS - SMALL_PARAMS.days;
    for (let row = 0; row < test.rows; row++) {
      for (let day = 0; day < dropped; day++) {
        for (let channel = 0; channel < 6; channel++) older[(row * INPUT_DAYS + day) * 6 + channel] = 99;
      }
    }
    expect(Array.from(await model.predictMargin({ ...test, sequences: older }))).toEqual(
      Array.from(await model.predictMargin(test)),
    );
  });

  it('refuses to predict after dispose', async () => {
    const loaded = await loadSequenceModel(throughStorage(artifact));
    loaded.dispose();
    await expect(loaded.predictMargin(test)).rejects.toThrow(/after dispose/);
  });
});

describe('trainSequenceModel input validation', () => {
  const small = plantedSequences(40, 5);

  it('names the broken field of the training data, validation data and params', async () => {
    await expect(
      trainSequenceModel({ ...small, labels: Array.from(small.labels, () => 0) }, SMALL_PARAMS),
    ).rejects.toThrow(/^train\.labels: need churners and non-churners/);
    await expect(trainSequenceModel({ ...small, channels: 7 }, SMALL_PARAMS)).rejects.toThrow(
      /^train\.channels/,
    );
    await expect(trainSequenceModel(small, { ...SMALL_PARAMS, days: 60 })).rejects.toThrow(
      `train.days: the model reads the last 60 days, got only ${INPUT_DAYS}`,
    );
    await expect(
      trainSequenceModel(small, SMALL_PARAMS, {
        validation: { ...small, labels: Array.from(small.labels, () => 3) },
      }),
    ).rejects.toThrow(/^validation\.labels: label at 0 must be in \[0, 1\], got 3/);
    await expect(trainSequenceModel(small, { ...SMALL_PARAMS, epochs: 0 })).rejects.toThrow(
      /^params\.epochs/,
    );
  });
});
