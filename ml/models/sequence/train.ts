import type { LayersModel, Scalar, Tensor } from '@tensorflow/tfjs';
import { rocAuc } from '../../eval/index.js';
import { loadTf, type Tf } from '../tf-runtime.js';
import type { SequenceEpoch, SequenceTrainingSummary } from './artifact.js';
import {
  CHANNELS,
  channelMeans,
  encodeRows,
  fitNormalisation,
  type LabelledSequences,
  standardise,
  stepBounds,
  validateLabelled,
} from './data.js';
import { predictEncoded, SequenceModel } from './model.js';
import { buildNetwork, STREAM } from './network.js';
import { resolveSequenceParams, type SequenceParams } from './params.js';
import { seededUniform, shuffleInPlace } from './random.js';

export interface TrainSequenceOptions {
  /**
   * Rows to early-stop on (by ROC AUC, labels above 0.5 counting as churners) and to pick the
   * kept epoch by. Never the rows the model is tested on.
   */
  readonly validation?: LabelledSequences;
  /** After every epoch (from 1): mean training loss and validation AUC (undefined without validation). */
  readonly onEpoch?: (epoch: number, loss: number, validationAuc: number | undefined) => void;
}

/**
 * The rows of one epoch, shuffled: every churner, plus the next `negativesPerPositive` non-churners
 * per churner from a seeded permutation of them (cycling), so successive epochs see different
 * non-churners and the run sees most of them.
 */
export class EpochSampler {
  readonly #positives: Int32Array;
  readonly #negatives: Int32Array;
  readonly #perEpoch: number;
  readonly #seed: number;
  #cursor = 0;

  constructor(labels: ArrayLike<number>, params: SequenceParams) {
    const positives: number[] = [];
    const negatives: number[] = [];
    for (let row = 0; row < labels.length; row++)
      ((labels[row] ?? 0) > 0.5 ? positives : negatives).push(row);
    this.#positives = Int32Array.from(positives);
    this.#negatives = shuffleInPlace(
      Int32Array.from(negatives),
      seededUniform(params.seed, STREAM.negatives),
    );
    const ratio = params.negativesPerPositive;
    this.#perEpoch =
      ratio === 0
        ? negatives.length
        : Math.min(negatives.length, Math.max(1, Math.round(ratio * positives.length)));
    this.#seed = params.seed;
  }

  next(epoch: number): Int32Array {
    const rows = new Int32Array(this.#positives.length + this.#perEpoch);
    rows.set(this.#positives);
    const negatives = this.#negatives;
    for (let index = 0; index < this.#perEpoch; index++) {
      rows[this.#positives.length + index] = negatives[this.#cursor] ?? 0;
      this.#cursor = (this.#cursor + 1) % negatives.length;
    }
    return shuffleInPlace(rows, seededUniform(this.#seed, STREAM.shuffle * 1_000_003 + epoch));
  }
}

/** Mean weighted sigmoid cross-entropy of logits `[batch, 1]`; labels and weights `[batch, 1]`. */
function weightedLogLoss(tf: Tf, logits: Tensor, labels: Tensor, weights: Tensor): Scalar {
  // max(z, 0) - z·y + ln(1 + e^-|z|): stable for any logit.
  const losses = tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, labels)),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
  return tf.div(tf.sum(tf.mul(losses, weights)), tf.maximum(tf.sum(weights), 1e-12)) as Scalar;
}

function snapshotWeights(network: LayersModel): { values: Float32Array[]; shapes: number[][] } {
  const weights = network.getWeights();
  return {
    values: weights.map((weight) => Float32Array.from(weight.dataSync())),
    shapes: weights.map((weight) => [...weight.shape]),
  };
}

/**
 * Trains a GRU (or LSTM) on daily activity sequences. Steps: pool the last `days` days into
 * steps (see `stepBounds`), ln(1 + x), standardise per channel with training statistics; then
 * Adam on the weighted log loss over seeded, shuffled, negative-sampled epochs, early stopping on
 * the validation AUC and keeping the best epoch. Same data, params and backend: same model, bit for bit.
 */
export async function trainSequenceModel(
  train: LabelledSequences,
  params: Partial<SequenceParams> = {},
  options: TrainSequenceOptions = {},
): Promise<SequenceModel> {
  const started = performance.now();
  const resolved = resolveSequenceParams(params);
  const { days } = resolved;
  const positives = validateLabelled(train, days, 'train');
  if (positives === 0 || positives === train.rows) {
    throw new RangeError(
      `train.labels: need churners and non-churners (labels above and below 0.5), got ${positives} churners of ${train.rows}`,
    );
  }
  const { validation, onEpoch } = options;
  if (validation !== undefined) {
    const validationPositives = validateLabelled(validation, days, 'validation');
    if (validationPositives === 0 || validationPositives === validation.rows) {
      throw new RangeError(
        `validation.labels: AUC needs churners and non-churners, got ${validationPositives} churners of ${validation.rows}`,
      );
    }
  }

  const { tf, backend } = await loadTf();
  const bounds = stepBounds(resolved);
  const steps = bounds.length;
  const rowSize = steps * CHANNELS;
  // [rows, steps, channels], standardised in place once; batches copy rows out of it.
  const encoded = encodeRows(train, days, bounds, { first: 0, count: train.rows });
  const normalisation = fitNormalisation(encoded, CHANNELS);
  standardise(encoded, normalisation);
  const validationEncoded =
    validation === undefined
      ? undefined
      : encodeRows(validation, days, bounds, { first: 0, count: validation.rows }, normalisation);
  const validationLabels =
    validation === undefined ? undefined : Array.from(validation.labels, (y) => (y > 0.5 ? 1 : 0));

  const network = buildNetwork(tf, resolved, steps, CHANNELS);
  const optimizer = tf.train.adam(resolved.learningRate);
  const sampler = new EpochSampler(train.labels, resolved);
  const batchSize = resolved.batchSize;
  const x = new Float32Array(batchSize * rowSize);
  const y = new Float32Array(batchSize);
  const w = new Float32Array(batchSize);

  const history: SequenceEpoch[] = [];
  let best: { epoch: number; auc: number; weights: ReturnType<typeof snapshotWeights> } | undefined;
  try {
    for (let epoch = 1; epoch <= resolved.epochs; epoch++) {
      const epochStarted = performance.now();
      const order = sampler.next(epoch);
      let lossSum = 0;
      let weightSum = 0;
      for (let first = 0; first < order.length; first += batchSize) {
        const count = Math.min(batchSize, order.length - first);
        let batchWeight = 0;
        for (let index = 0; index < count; index++) {
          const row = order[first + index] ?? 0;
          x.set(encoded.subarray(row * rowSize, (row + 1) * rowSize), index * rowSize);
          const label = train.labels[row] ?? 0;
          y[index] = label;
          w[index] = (train.weights?.[row] ?? 1) * (label > 0.5 ? resolved.positiveWeight : 1);
          batchWeight += w[index] ?? 0;
        }
        const cost = tf.tidy(() => {
          const xs = tf.tensor3d(x.subarray(0, count * rowSize), [count, steps, CHANNELS]);
          const ys = tf.tensor2d(y.subarray(0, count), [count, 1]);
          const ws = tf.tensor2d(w.subarray(0, count), [count, 1]);
          const value = optimizer.minimize(
            () => weightedLogLoss(tf, network.apply(xs, { training: true }) as Tensor, ys, ws),
            true,
          );
          // minimize returns the cost when asked to.
          if (value === null) throw new Error('trainSequenceModel: the optimizer returned no cost');
          return value;
        });
        // The batch loss is a weighted mean; weight it back to get the epoch's weighted mean.
        lossSum += ((await cost.data())[0] ?? 0) * batchWeight;
        cost.dispose();
        weightSum += batchWeight;
      }
      const loss = weightSum > 0 ? lossSum / weightSum : 0;
      let validationAuc: number | undefined;
      if (validationEncoded !== undefined && validationLabels !== undefined) {
        const margins = await predictEncoded(tf, network, validationEncoded, validationLabels.length, steps);
        validationAuc = rocAuc(margins, validationLabels);
      }
      history.push({
        epoch,
        loss: Number.isFinite(loss) ? loss : null,
        validationAuc: validationAuc ?? null,
        rows: order.length,
        seconds: (performance.now() - epochStarted) / 1000,
      });
      onEpoch?.(epoch, loss, validationAuc);
      if (validationAuc === undefined) continue;
      if (best === undefined || validationAuc > best.auc) {
        best = { epoch, auc: validationAuc, weights: snapshotWeights(network) };
      } else if (resolved.patience > 0 && epoch - best.epoch >= resolved.patience) {
        break;
      }
    }
    if (best !== undefined && best.epoch !== history.length) {
      const kept = best.weights;
      tf.tidy(() =>
        network.setWeights(kept.values.map((values, index) => tf.tensor(values, kept.shapes[index]))),
      );
    }
  } catch (error) {
    network.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }

  const training: SequenceTrainingSummary = {
    rows: train.rows,
    positives,
    validationRows: validation?.rows ?? 0,
    bestEpoch: best?.epoch ?? history.length,
    bestValidationAuc: best?.auc ?? null,
    epochs: history,
    backend,
    seconds: (performance.now() - started) / 1000,
  };
  return new SequenceModel({
    tf,
    network,
    params: resolved,
    normalisation,
    channelMeans: channelMeans(train, days),
    training,
  });
}
