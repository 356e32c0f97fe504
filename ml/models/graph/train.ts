import type { Scalar, Variable } from '@tensorflow/tfjs';
import { rocAuc } from '../../eval/ranking.js';
import { loadTf } from '../tf-runtime.js';
import type { GraphModelState } from './artifact.js';
import {
  assembleBatch,
  buildTable,
  checkLabels,
  fitNormaliser,
  type GraphExample,
  type GraphTable,
  levelAggregates,
  sampleNeighbours,
  standardise,
} from './data.js';
import { GraphDataError } from './errors.js';
import { HIGH_RISK_SHARE, topShareMargin } from './facts.js';
import { GraphModel } from './model.js';
import {
  batchTensors,
  forward,
  initialWeights,
  lossOf,
  neighbourRowMasks,
  networkWeights,
  weightSpecs,
} from './network.js';
import { type GraphParams, resolveGraphParams } from './params.js';
import { type PreparedGraph, predictRows, prepareGraph, withDeterministicSample } from './predict.js';
import { below, hashKey, STREAM, seededUniform } from './random.js';

/** Customers scored for `highRiskMargin` when there is no validation set. */
const REFERENCE_ROWS = 20_000;

export interface TrainGraphOptions {
  /**
   * A snapshot (e.g. a later cut-off) for early stopping on AUC: its labelled examples are scored,
   * the others serve as neighbours. Without it, or when it lacks churners or non-churners,
   * `params.validationFraction` of the customers is held out.
   */
  readonly validation?: readonly GraphExample[];
  /** After each epoch: its mean training loss and the validation AUC (undefined without validation). */
  readonly onEpoch?: (epoch: number, loss: number, validationAuc: number | undefined) => void;
}

/** Validation rows and their labels, on the graph they belong to. */
interface ValidationSet {
  readonly graph: PreparedGraph;
  /** Rows scored each epoch (for a given validation snapshot: all of it, for the high-risk margin). */
  readonly rows: Int32Array;
  /** Positions in `rows` that are labelled, and their labels. */
  readonly labelled: Int32Array;
  readonly labels: Float64Array;
}

function shuffleInPlace(values: Int32Array, uniform: () => number, count = values.length): void {
  for (let slot = 0; slot < count; slot++) {
    const pick = slot + below(uniform, values.length - slot);
    const chosen = values[pick] as number;
    values[pick] = values[slot] as number;
    values[slot] = chosen;
  }
}

/** Inverted dropout on the inputs of every level, in place (training only). */
function dropInputs(levels: readonly Float32Array[], rate: number, uniform: () => number): void {
  const scale = 1 / (1 - rate);
  for (const level of levels) {
    for (let index = 0; index < level.length; index++)
      level[index] = uniform() < rate ? 0 : (level[index] as number) * scale;
  }
}

/** Every churner and a fresh draw of non-churners, in a fresh order. */
function epochRows(
  positives: Int32Array,
  negatives: Int32Array,
  params: GraphParams,
  epoch: number,
): Int32Array {
  const ratio = params.negativesPerPositive;
  let chosen = negatives;
  if (ratio > 0 && negatives.length > ratio * positives.length) {
    const take = Math.max(1, Math.round(ratio * positives.length));
    const pool = negatives.slice();
    shuffleInPlace(pool, seededUniform(params.seed, STREAM.negatives + epoch), take);
    chosen = pool.subarray(0, take);
  }
  const rows = new Int32Array(positives.length + chosen.length);
  rows.set(positives);
  rows.set(chosen, positives.length);
  shuffleInPlace(rows, seededUniform(params.seed, STREAM.order + epoch));
  return rows;
}

interface LabelledRoots {
  readonly positives: Int32Array;
  readonly negatives: Int32Array;
  /** Customers held out for early stopping, with their labels. */
  readonly held: Int32Array;
  readonly heldLabels: Float64Array;
}

/**
 * The labelled examples' rows by class, minus the customers `isHeld` picks: a customer is held
 * out with all their snapshots, so the hold-out never meets a twin of itself from another
 * cut-off in training (which would reward memorising customers over generalising).
 */
function labelledRoots(
  table: GraphTable,
  snapshots: readonly (readonly GraphExample[])[],
  isHeld: (userId: string) => boolean,
): LabelledRoots {
  const positives: number[] = [];
  const negatives: number[] = [];
  const held: number[] = [];
  const heldLabels: number[] = [];
  snapshots.forEach((examples, snapshot) => {
    const roots = table.roots[snapshot] as Int32Array;
    examples.forEach((example, index) => {
      if (example.label === null) return;
      const row = roots[index] as number;
      if (isHeld(example.user_id)) {
        held.push(row);
        heldLabels.push(example.label);
      } else (example.label === 1 ? positives : negatives).push(row);
    });
  });
  return {
    positives: Int32Array.from(positives),
    negatives: Int32Array.from(negatives),
    held: Int32Array.from(held),
    heldLabels: Float64Array.from(heldLabels),
  };
}

/**
 * Trains the GraphSAGE model on one or more snapshots (each its own graph; labelled examples are
 * trained on, all examples are nodes), with early stopping on validation AUC. Deterministic for
 * a given seed, data (and order) and backend.
 */
export async function trainGraphModel(
  snapshots: readonly (readonly GraphExample[])[],
  params: Partial<GraphParams> = {},
  options: TrainGraphOptions = {},
): Promise<GraphModel> {
  const resolved = resolveGraphParams(params);
  const runtime = await loadTf();
  const { tf } = runtime;
  if (!Array.isArray(snapshots) || snapshots.length === 0)
    throw new GraphDataError('snapshots: expected at least one snapshot (an array of examples)');
  snapshots.forEach((examples, index) => {
    if (!Array.isArray(examples))
      throw new GraphDataError(`snapshots[${index}]: expected an array of examples`);
    checkLabels(examples, `snapshots[${index}]`);
  });

  const table = buildTable(
    snapshots.map((examples, index) => ({ examples, where: `snapshots[${index}]` })),
    resolved.nodeFeatures,
    resolved.useNeighbourhood,
  );
  const normaliser = fitNormaliser(table);
  standardise(table, normaliser);
  const earlyStopping = resolved.patience > 0;
  let validation: ValidationSet | undefined;
  let validationKind: 'given' | 'holdout' | 'none' = 'none';
  if (options.validation !== undefined) {
    if (!Array.isArray(options.validation))
      throw new GraphDataError('validation: expected an array of examples');
    checkLabels(options.validation, 'validation');
    const labelled: number[] = [];
    const labels: number[] = [];
    options.validation.forEach((example, index) => {
      if (example.label === null) return;
      labelled.push(index);
      labels.push(example.label);
    });
    // Without both classes there is no AUC to watch: as if no validation were given.
    if (labels.includes(0) && labels.includes(1)) {
      const graph = prepareGraph(
        [{ examples: options.validation, where: 'validation' }],
        resolved,
        normaliser,
      );
      validation = {
        graph,
        rows: graph.table.roots[0] as Int32Array,
        labelled: Int32Array.from(labelled),
        labels: Float64Array.from(labels),
      };
      validationKind = 'given';
    }
  }
  const holdOut = validation === undefined && earlyStopping && resolved.validationFraction > 0;
  const holdOutSeed = (resolved.seed + STREAM.holdout) >>> 0;
  let roots = labelledRoots(
    table,
    snapshots,
    (userId) => holdOut && hashKey(userId, holdOutSeed) < resolved.validationFraction * 2 ** 32,
  );
  if (holdOut && roots.heldLabels.includes(0) && roots.heldLabels.includes(1)) {
    validation = {
      graph: withDeterministicSample(table, resolved),
      rows: roots.held,
      labelled: Int32Array.from(roots.held.keys()),
      labels: roots.heldLabels,
    };
    validationKind = 'holdout';
  } else if (roots.held.length > 0) {
    roots = labelledRoots(table, snapshots, () => false); // too few to tell churners apart: train on all
  }
  const { positives, negatives } = roots;
  if (positives.length === 0 || negatives.length === 0) {
    throw new GraphDataError(
      `snapshots: expected labelled churners (1) and non-churners (0) to train on, got ${positives.length} and ${negatives.length}`,
    );
  }

  const labelOfRow = new Float32Array(table.rows);
  for (const row of positives) labelOfRow[row] = 1;
  const negativesPerEpoch =
    resolved.negativesPerPositive > 0
      ? Math.min(negatives.length, Math.max(1, Math.round(resolved.negativesPerPositive * positives.length)))
      : negatives.length;
  const headBias = Math.log((resolved.positiveWeight * positives.length) / negativesPerEpoch);
  const specs = weightSpecs(table.width, resolved.hiddenUnits, resolved.layers);
  const variables: Variable[] = initialWeights(specs, resolved.seed, headBias).map((weight) =>
    tf.tidy(() => tf.variable(tf.tensor(weight.values, [...weight.shape]))),
  );
  const weights = networkWeights(variables, resolved.layers);
  const optimizer = tf.train.adam(resolved.learningRate);
  const neighbourMasks = neighbourRowMasks(
    table.width,
    resolved.nodeFeatures.length,
    resolved.hiddenUnits,
    resolved.layers,
  ).map((mask) => tf.tensor2d(mask, [mask.length, 1]));
  const penalties = { l2: resolved.l2, neighbourL2: resolved.neighbourL2, neighbourMasks };
  const { fanOuts } = resolved;

  let best:
    | { epoch: number; auc: number; values: Float32Array[]; margins: Float64Array | undefined }
    | undefined;
  let epochsRun = 0;
  try {
    let sample = sampleNeighbours(table, fanOuts, {
      kind: 'random',
      seed: resolved.seed,
      stream: STREAM.neighbours,
    });
    let aggregates = levelAggregates(table, sample, fanOuts);
    for (let epoch = 1; epoch <= resolved.epochs; epoch++) {
      if (epoch > 1 && sample.sampled) {
        sample = sampleNeighbours(table, fanOuts, {
          kind: 'random',
          seed: resolved.seed,
          stream: STREAM.neighbours + epoch,
        });
        aggregates = levelAggregates(table, sample, fanOuts);
      }
      const rows = epochRows(positives, negatives, resolved, epoch);
      const dropUniform = seededUniform(resolved.seed, STREAM.dropout + epoch);
      let lossSum = 0;
      for (let from = 0; from < rows.length; from += resolved.batchSize) {
        const batchRows = rows.subarray(from, Math.min(rows.length, from + resolved.batchSize));
        const batch = assembleBatch(table, sample, aggregates, fanOuts, batchRows);
        if (resolved.dropout > 0) dropInputs(batch.levels, resolved.dropout, dropUniform);
        const labels = Float32Array.from(batchRows, (row) => labelOfRow[row] as number);
        const sampleWeights = labels.map((label) => (label === 1 ? resolved.positiveWeight : 1));
        const loss = tf.tidy(() => {
          const inputs = batchTensors(tf, batch, table.width);
          const y = tf.tensor1d(labels);
          const w = tf.tensor1d(sampleWeights);
          return optimizer.minimize(
            () => lossOf(tf, forward(tf, weights, inputs), y, w, weights, penalties),
            true,
            variables,
          ) as Scalar;
        });
        lossSum += (loss.dataSync()[0] as number) * batchRows.length;
        loss.dispose();
      }
      epochsRun = epoch;
      const meanLoss = lossSum / rows.length;
      let auc: number | undefined;
      let margins: Float64Array | undefined;
      if (validation !== undefined) {
        margins = predictRows(tf, weights, validation.graph, validation.rows, fanOuts);
        const labelledMargins = Float64Array.from(
          validation.labelled,
          (position) => margins?.[position] as number,
        );
        auc = rocAuc(labelledMargins, validation.labels);
      }
      options.onEpoch?.(epoch, meanLoss, auc);
      if (!earlyStopping || best === undefined || auc === undefined || auc > best.auc) {
        best = {
          epoch,
          auc: auc ?? Number.NaN,
          values: variables.map((variable) => variable.dataSync().slice() as Float32Array),
          margins,
        };
      } else if (epoch - best.epoch >= resolved.patience) {
        break;
      }
    }
  } finally {
    optimizer.dispose();
    for (const variable of variables) variable.dispose();
    for (const mask of neighbourMasks) mask.dispose();
  }
  if (best === undefined) throw new Error('trainGraphModel: no epoch ran');

  let reference = best.margins;
  if (reference === undefined) {
    // No validation: the high-risk margin comes from the training customers, scored as at
    // prediction (every k-th of them, at most REFERENCE_ROWS: a quantile needs no more).
    const all = new Int32Array(positives.length + negatives.length);
    all.set(positives);
    all.set(negatives, positives.length);
    const stride = Math.max(1, Math.ceil(all.length / REFERENCE_ROWS));
    const rows =
      stride === 1
        ? all
        : Int32Array.from({ length: Math.ceil(all.length / stride) }, (_, i) => all[i * stride] as number);
    const kept = specs.map((spec, index) => tf.tensor(best.values[index] as Float32Array, [...spec.shape]));
    try {
      reference = predictRows(
        tf,
        networkWeights(kept, resolved.layers),
        withDeterministicSample(table, resolved),
        rows,
        fanOuts,
      );
    } finally {
      for (const tensor of kept) tensor.dispose();
    }
  }
  const state: GraphModelState = {
    params: resolved,
    normaliser,
    // The riskiest tenth of the customers the model was checked on.
    highRiskMargin: topShareMargin(reference, HIGH_RISK_SHARE),
    weights: specs.map((spec, index) => ({ ...spec, values: best.values[index] as Float32Array })),
    training: {
      snapshots: snapshots.length,
      examples: positives.length + negatives.length,
      positives: positives.length,
      epochs: epochsRun,
      bestEpoch: best.epoch,
      bestValidationAuc: validation === undefined || Number.isNaN(best.auc) ? null : best.auc,
      validation: validationKind,
      backend: runtime.backend,
    },
  };
  return new GraphModel(runtime, state);
}
