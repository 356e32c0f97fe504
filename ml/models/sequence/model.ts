import type { io, LayersModel, Tensor } from '@tensorflow/tfjs';
import { SEQUENCE_CHANNELS } from '../../features/sequence.js';
import { loadTf, type Tf } from '../tf-runtime.js';
import {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  parseSequenceArtifact,
  type SequenceArtifact,
  SequenceArtifactError,
  type SequenceMeta,
  type SequenceTrainingSummary,
} from './artifact.js';
import {
  CHANNELS,
  encodeRows,
  type Normalisation,
  type SequenceBatch,
  stepBounds,
  validateBatch,
} from './data.js';
import type { SequenceParams } from './params.js';

/** Rows per forward pass when predicting: large enough to amortise per-step op overhead, small enough for Lambda. */
export const PREDICT_CHUNK = 4096;

export interface SequenceModelInit {
  readonly tf: Tf;
  readonly network: LayersModel;
  readonly params: SequenceParams;
  readonly normalisation: Normalisation;
  /** Raw mean daily value per channel in training: what `channelEffects` puts in a channel's place. */
  readonly channelMeans: readonly number[];
  readonly training: SequenceTrainingSummary;
}

/**
 * A trained sequence model: scores `[rows, days, channels]` activity sequences. Holds TensorFlow
 * variables: `dispose()` it when done (a Lambda keeps one for the life of the container).
 */
export class SequenceModel {
  readonly params: SequenceParams;
  readonly normalisation: Normalisation;
  readonly channelMeans: readonly number[];
  readonly training: SequenceTrainingSummary;
  /** `[start, end)` day offsets of each step in the model's window, oldest first. */
  readonly steps: readonly (readonly number[])[];
  readonly #tf: Tf;
  readonly #network: LayersModel;
  #disposed = false;

  constructor(init: SequenceModelInit) {
    this.#tf = init.tf;
    this.#network = init.network;
    this.params = init.params;
    this.normalisation = init.normalisation;
    this.channelMeans = init.channelMeans;
    this.training = init.training;
    this.steps = stepBounds(init.params);
  }

  /** `[rows]` logits (log-odds of churn, shifted by the negative sampling: a ranking score). */
  async predictMargin(batch: SequenceBatch): Promise<Float64Array> {
    this.#checkOpen();
    validateBatch(batch, this.params.days);
    return this.#margins(batch);
  }

  /** `[rows]` sigmoid of the margins: ordered like churn risk, not calibrated (the stacker calibrates). */
  async predictProbability(batch: SequenceBatch): Promise<Float64Array> {
    const margins = await this.predictMargin(batch);
    return margins.map((margin) => 1 / (1 + Math.exp(-margin)));
  }

  /**
   * Occlusion, for explanations: `[rows, channels]` row-major (SEQUENCE_CHANNELS order), the
   * margin minus the margin with that channel's every day replaced by its training mean. Positive:
   * the channel's actual values push the risk up. Costs `channels + 1` predictions.
   */
  async channelEffects(batch: SequenceBatch): Promise<Float64Array> {
    this.#checkOpen();
    validateBatch(batch, this.params.days);
    const base = await this.#margins(batch);
    const effects = new Float64Array(batch.rows * CHANNELS);
    for (let channel = 0; channel < CHANNELS; channel++) {
      const occluded = await this.#margins(batch, { channel, value: this.channelMeans[channel] ?? 0 });
      for (let row = 0; row < batch.rows; row++) {
        effects[row * CHANNELS + channel] = (base[row] ?? 0) - (occluded[row] ?? 0);
      }
    }
    return effects;
  }

  /** Params, normalisation, training summary and the TF topology in `meta` (JSON); weights as bytes. */
  async toArtifact(): Promise<SequenceArtifact> {
    this.#checkOpen();
    const tf = this.#tf;
    let saved: io.ModelArtifacts | undefined;
    await this.#network.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (
      saved?.modelTopology === undefined ||
      saved.weightSpecs === undefined ||
      saved.weightData === undefined
    ) {
      throw new Error('SequenceModel.toArtifact: TensorFlow.js saved no topology or weights');
    }
    const meta: SequenceMeta = {
      params: { ...this.params },
      channels: [...SEQUENCE_CHANNELS],
      steps: this.steps.map((bound) => [...bound]),
      normalisation: { mean: [...this.normalisation.mean], std: [...this.normalisation.std] },
      channelMeans: [...this.channelMeans],
      training: this.training,
      network: {
        modelTopology: JSON.parse(JSON.stringify(saved.modelTopology)) as Record<string, unknown>,
        weightSpecs: saved.weightSpecs.map((spec) => {
          if (spec.dtype !== 'float32')
            throw new Error(`SequenceModel.toArtifact: weight ${spec.name} is ${spec.dtype}`);
          return { name: spec.name, shape: [...spec.shape], dtype: spec.dtype };
        }),
      },
    };
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData).slice(0));
    return { format: ARTIFACT_FORMAT, version: ARTIFACT_VERSION, meta, weights };
  }

  /** Frees the TensorFlow variables; the model cannot predict afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#network.dispose();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  #checkOpen(): void {
    if (this.#disposed) throw new Error('SequenceModel: used after dispose()');
  }

  async #margins(batch: SequenceBatch, occlude?: { channel: number; value: number }): Promise<Float64Array> {
    const tf = this.#tf;
    const steps = this.steps.length;
    const margins = new Float64Array(batch.rows);
    const buffer = new Float32Array(Math.min(PREDICT_CHUNK, batch.rows) * steps * CHANNELS);
    for (let first = 0; first < batch.rows; first += PREDICT_CHUNK) {
      const count = Math.min(PREDICT_CHUNK, batch.rows - first);
      const input = buffer.subarray(0, count * steps * CHANNELS);
      encodeRows(batch, this.params.days, this.steps, { first, count }, this.normalisation, occlude, input);
      const logits = tf.tidy(() => {
        // [count, steps, channels] → [count, 1] → [count]
        const x = tf.tensor3d(input, [count, steps, CHANNELS]);
        return (this.#network.predict(x, { batchSize: count }) as Tensor).reshape([count]);
      });
      try {
        margins.set(await logits.data(), first);
      } finally {
        logits.dispose();
      }
    }
    return margins;
  }
}

/** Logits of already encoded input `[rows, steps, channels]`, for validation during training. */
export async function predictEncoded(
  tf: Tf,
  network: LayersModel,
  encoded: Float32Array,
  rows: number,
  steps: number,
): Promise<Float64Array> {
  const margins = new Float64Array(rows);
  const size = steps * CHANNELS;
  for (let first = 0; first < rows; first += PREDICT_CHUNK) {
    const count = Math.min(PREDICT_CHUNK, rows - first);
    const logits = tf.tidy(() => {
      const x = tf.tensor3d(encoded.subarray(first * size, (first + count) * size), [count, steps, CHANNELS]);
      return (network.predict(x, { batchSize: count }) as Tensor).reshape([count]);
    });
    try {
      margins.set(await logits.data(), first);
    } finally {
      logits.dispose();
    }
  }
  return margins;
}

/**
 * Rebuilds a model from `toArtifact()` output (for instance after `JSON.parse` of the stored meta
 * and reading the weights file): predictions are identical on the same backend.
 */
export async function loadSequenceModel(artifact: SequenceArtifact): Promise<SequenceModel> {
  const { meta, weights } = parseSequenceArtifact(artifact);
  const { tf } = await loadTf();
  // fromMemory wants an ArrayBuffer of exactly the weights; a Uint8Array may be a view on a larger one.
  const weightData = weights.slice().buffer;
  const network = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: meta.network.modelTopology,
      weightSpecs: meta.network.weightSpecs.map((spec) => ({ ...spec, shape: [...spec.shape] })),
      weightData,
    }),
  );
  const steps = stepBounds(meta.params).length;
  const shape = network.inputs[0]?.shape;
  if (network.inputs.length !== 1 || shape?.[1] !== steps || shape[2] !== CHANNELS) {
    network.dispose();
    throw new SequenceArtifactError(
      `artifact.meta.network.modelTopology: input shape ${JSON.stringify(shape)} does not match ${steps} steps x ${CHANNELS} channels`,
    );
  }
  return new SequenceModel({
    tf,
    network,
    params: meta.params,
    normalisation: meta.normalisation,
    channelMeans: meta.channelMeans,
    training: meta.training,
  });
}
