import { binMatrix } from './binning.js';
import { type GbdtDataset, validateDataset, validateWeights } from './dataset.js';
import { batchMargins, compileForest, leafOf, sigmoid } from './forest.js';
import { TreeGrower } from './grow-tree.js';
import { HistogramTeam } from './histogram-team.js';
import { COMMAND_GRADIENTS, TASK_INTS, TASK_STATS } from './kernels.js';
import { logLoss, rocAuc } from './metrics.js';
import { GbdtModel } from './model.js';
import { type GbdtParams, resolveParams } from './params.js';
import { seededUniform } from './random.js';
import type { DecisionTree } from './tree.js';

export interface TrainOptions {
  /** Held-out rows scored after every round: the early-stopping signal and the training log. */
  readonly validation?: GbdtDataset;
  /** Called after every round with the validation metric (undefined without a validation set). */
  readonly onRound?: (round: number, validationMetric: number | undefined) => void;
}

/** Features drawn for one tree (ascending), only those that can split. */
function sampleFeatures(
  featureCount: number,
  usable: Uint8Array,
  params: GbdtParams,
  round: number,
): number[] {
  let chosen: number[] = Array.from({ length: featureCount }, (_, feature) => feature);
  if (params.colsampleBytree < 1) {
    const take = Math.max(1, Math.floor(params.colsampleBytree * featureCount));
    const random = seededUniform(params.seed, 2 * round + 1);
    // Partial Fisher-Yates: the first `take` places hold a uniform sample without replacement.
    for (let index = 0; index < take; index++) {
      const other = index + Math.floor(random() * (featureCount - index));
      const kept = chosen[index] ?? 0;
      chosen[index] = chosen[other] ?? 0;
      chosen[other] = kept;
    }
    chosen = chosen.slice(0, take).sort((a, b) => a - b);
  }
  return chosen.filter((feature) => usable[feature] === 1);
}

/** Fills `rowIndex[0, count)` with the tree's rows, ascending; returns `count`. */
function sampleRows(rows: number, params: GbdtParams, round: number, rowIndex: Uint32Array): number {
  if (params.subsample >= 1) {
    for (let row = 0; row < rows; row++) rowIndex[row] = row;
    return rows;
  }
  const random = seededUniform(params.seed, 2 * round);
  let count = 0;
  for (let row = 0; row < rows; row++) if (random() < params.subsample) rowIndex[count++] = row;
  return count;
}

interface MarginSegment {
  readonly begin: number;
  readonly end: number;
  /** Leaf value added to the margins of `rowIndex[begin, end)`. */
  readonly value: number;
}

/** Rows per gradient task: small enough to balance the threads, large enough to be worth a task. */
const GRADIENT_CHUNK = 4096;

/**
 * Adds each segment's leaf value to its rows' margins and recomputes their gradients, shared
 * between the team's threads in chunks (each row's arithmetic is the same on any thread).
 */
function updateMargins(team: HistogramTeam, segments: readonly MarginSegment[]): void {
  const chunks: MarginSegment[] = [];
  for (const segment of segments) {
    for (let begin = segment.begin; begin < segment.end; begin += GRADIENT_CHUNK) {
      chunks.push({ begin, end: Math.min(segment.end, begin + GRADIENT_CHUNK), value: segment.value });
    }
  }
  team.reserveTasks(chunks.length);
  const { tasks, taskStats } = team.buffers;
  chunks.forEach((chunk, task) => {
    tasks[task * TASK_INTS] = chunk.begin;
    tasks[task * TASK_INTS + 1] = chunk.end;
    taskStats[task * TASK_STATS] = chunk.value;
  });
  let rows = 0;
  for (const segment of segments) rows += segment.end - segment.begin;
  // A row's exp and divisions cost about ten histogram cells.
  team.run(COMMAND_GRADIENTS, chunks.length, 10 * rows);
}

/**
 * Rows outside this tree's sample, written to `rowIndex[sampleCount, rows)` grouped by the leaf
 * they reach, as one segment per leaf.
 */
function groupOutOfSample(
  tree: DecisionTree,
  data: GbdtDataset,
  rowIndex: Uint32Array,
  sampleCount: number,
  inSample: Uint8Array,
): MarginSegment[] {
  const featureCount = data.features.length;
  inSample.fill(0);
  for (let position = 0; position < sampleCount; position++) inSample[rowIndex[position] ?? 0] = 1;
  const forest = compileForest([tree], featureCount, 0);
  const byLeaf = new Map<number, number[]>();
  for (let row = 0; row < data.rows; row++) {
    if (inSample[row] === 1) continue;
    const leaf = leafOf(forest, 0, data.values, row * featureCount);
    const members = byLeaf.get(leaf);
    if (members === undefined) byLeaf.set(leaf, [row]);
    else members.push(row);
  }
  const segments: MarginSegment[] = [];
  let next = sampleCount;
  for (const [leaf, members] of [...byLeaf].sort((a, b) => a[0] - b[0])) {
    const begin = next;
    for (const row of members) rowIndex[next++] = row;
    segments.push({ begin, end: next, value: forest.splitValue[leaf] ?? 0 });
  }
  return segments;
}

function metricOf(metric: GbdtParams['evalMetric'], margins: Float64Array, data: GbdtDataset): number {
  const probabilities = new Float64Array(margins.length);
  for (let row = 0; row < margins.length; row++) probabilities[row] = sigmoid(margins[row] ?? 0);
  return metric === 'auc'
    ? rocAuc(probabilities, data.labels)
    : logLoss(probabilities, data.labels, data.weights);
}

/**
 * Trains gradient-boosted trees for binary log loss, the way XGBoost's `hist` method does
 * (second-order gains with lambda, alpha, gamma and min_child_weight; a learned default
 * direction for missing values; categorical splits), sharing histogram work between
 * `params.threads` threads. Synchronous: the calling thread takes part and waits for the workers
 * on shared memory. The result does not depend on the thread count.
 */
export function trainGbdt(
  data: GbdtDataset,
  params: Partial<GbdtParams> = {},
  options: TrainOptions = {},
): GbdtModel {
  const resolved = resolveParams(params);
  validateDataset(data, 'training data', data.labels);
  if (data.weights !== undefined) validateWeights(data.weights, data.rows, 'training data');
  const { validation } = options;
  if (validation !== undefined) {
    validateDataset(validation, 'validation data', validation.labels);
    if (validation.features.length !== data.features.length) {
      throw new RangeError(
        `validation data has ${validation.features.length} features, training data ${data.features.length}`,
      );
    }
  }
  if (resolved.earlyStoppingRounds > 0 && validation === undefined) {
    throw new RangeError('gbdt parameter earlyStoppingRounds needs a validation set (options.validation)');
  }

  const { rows } = data;
  const featureCount = data.features.length;
  const binned = binMatrix(data, resolved.maxBin, data.weights);
  const threads = rows * featureCount >= resolved.minParallelCells ? resolved.threads : 1;
  const team = new HistogramTeam(binned, resolved, threads);
  const baseMargin = Math.log(resolved.baseScore / (1 - resolved.baseScore));
  const { margins, labels, rowWeight, rowIndex } = team.buffers;
  margins.fill(baseMargin);
  for (let row = 0; row < rows; row++) {
    const label = data.labels[row] ?? 0;
    labels[row] = label;
    rowWeight[row] = (data.weights?.[row] ?? 1) * (label === 1 ? resolved.scalePosWeight : 1);
  }
  const validationMargins =
    validation === undefined ? undefined : new Float64Array(validation.rows).fill(baseMargin);
  const treeMargins = validation === undefined ? undefined : new Float64Array(validation.rows);
  const grower = new TreeGrower(binned, team, resolved);
  const inSample = new Uint8Array(rows);
  const trees: DecisionTree[] = [];
  const history: number[] = [];
  let bestIteration = 0;
  let bestScore = Number.NaN;

  try {
    // Round 0's gradients: every row at the base margin.
    for (let row = 0; row < rows; row++) rowIndex[row] = row;
    updateMargins(team, [{ begin: 0, end: rows, value: 0 }]);
    for (let round = 0; round < resolved.rounds; round++) {
      const sampleCount = sampleRows(rows, resolved, round, rowIndex);
      team.assignFeatures(sampleFeatures(featureCount, binned.usable, resolved, round));
      const { tree, leaves } = grower.grow(sampleCount);
      trees.push(tree);

      // The grown tree's row ranges say where each sampled row landed. Rows left out of the
      // sample walk the tree and are grouped by leaf after them in rowIndex.
      const segments: MarginSegment[] = leaves.map((leaf) => ({
        begin: leaf.begin,
        end: leaf.end,
        value: tree.value[leaf.node] ?? 0,
      }));
      if (sampleCount < rows) segments.push(...groupOutOfSample(tree, data, rowIndex, sampleCount, inSample));
      if (round < resolved.rounds - 1) updateMargins(team, segments);

      let metric: number | undefined;
      if (validation !== undefined && validationMargins !== undefined && treeMargins !== undefined) {
        batchMargins(compileForest([tree], featureCount, 0), validation.values, validation.rows, treeMargins);
        for (let row = 0; row < validation.rows; row++) {
          validationMargins[row] = (validationMargins[row] ?? 0) + (treeMargins[row] ?? 0);
        }
        metric = metricOf(resolved.evalMetric, validationMargins, validation);
        history.push(metric);
        const improved =
          Number.isNaN(bestScore) ||
          (resolved.evalMetric === 'auc' ? metric > bestScore : metric < bestScore);
        if (improved) {
          bestScore = metric;
          bestIteration = round;
        }
      } else {
        bestIteration = round;
      }
      options.onRound?.(round, metric);
      if (resolved.earlyStoppingRounds > 0 && round - bestIteration >= resolved.earlyStoppingRounds) break;
    }
  } finally {
    team.close();
  }

  const roundsRun = trees.length;
  const kept = resolved.earlyStoppingRounds > 0 ? trees.slice(0, bestIteration + 1) : trees;
  return new GbdtModel({
    trees: kept,
    features: data.features,
    baseMargin,
    training: {
      params: resolved,
      roundsRun,
      bestIteration: resolved.earlyStoppingRounds > 0 ? bestIteration : roundsRun - 1,
      validationHistory: history,
      threads,
    },
  });
}
