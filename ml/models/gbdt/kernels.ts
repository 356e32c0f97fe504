/**
 * The hot loops of training: histogram building, the sibling subtraction, split search, row
 * partitioning and the gradient update.
 *
 * A node's histogram is built in two steps. BUILD: the node's rows are cut into blocks of about
 * BLOCK_ROWS (a number that depends on the data only), and each block's histogram over all
 * features is one item of work, summed in row order. SPLITS: per node and chunk of features,
 * the blocks are added up in block order, the sibling is derived by subtraction from the
 * parent, and both nodes' best splits are searched. Every sum therefore has the same terms in
 * the same order whoever does it, and the model is bit-identical on one thread or several.
 * Threads take items from a shared counter (`control[next]`), so a thread that the operating
 * system holds back simply takes fewer items; nobody owns a fixed share.
 *
 * The functions in WORKER_KERNELS are also the worker threads' source (`Function.prototype
 * .toString`, see histogram-team.ts), so they must stay self-contained: no imports, no
 * module-level constants, no closures over outer variables; nested functions are avoided too
 * (transpilers wrap them in helpers such as esbuild's `__name`, which the worker only shims).
 */

/**
 * Ints per task in `tasks`. A step runs tasks of one kind (the command):
 * - build and splits: built histogram, row begin, row end, parent histogram, sibling histogram,
 *   flags, number of blocks, first block in `blocks` (a splits step has `tasks x chunks` items);
 * - partition: row begin, row end, feature, last left bin, missing goes left, categorical,
 *   (unused), missing bin, then the right-hand category set (CATEGORY_WORDS words);
 * - gradients: row begin, row end.
 */
export const TASK_INTS = 16;
/**
 * Doubles per task in `taskStats`: histograms: G and H of the built node and of its sibling;
 * partition: (out) rows that went left; gradients: the leaf value to add to the rows' margins.
 */
export const TASK_STATS = 4;
/**
 * Doubles per split candidate in `results` (one per node and feature chunk): gain, feature, bin,
 * default left, categorical, left G, left H.
 */
export const RESULT_WIDTH = 7;
/** 32-bit words per candidate's category set in `resultCategories` (256 categories at most). */
export const CATEGORY_WORDS = 8;
/** Ints per row block in `blocks`: row begin, row end, histogram it is summed into. */
export const BLOCK_INTS = 3;
/**
 * Rows per block, about: bigger blocks cost less to add up (a block's histogram is as big as
 * the node's, ~512 numbers per feature against BLOCK_ROWS additions per feature to build it),
 * smaller ones share a node between threads.
 */
export const BLOCK_ROWS = 4096;
/** Task flags: search splits of the built node, of the sibling. */
export const EVALUATE_BUILT = 1;
export const EVALUATE_SIBLING = 2;
/** `settings` layout. */
export const SETTING = {
  lambda: 0,
  alpha: 1,
  minChildWeight: 2,
  maxCatToOnehot: 3,
  maxCatThreshold: 4,
  /** Feature chunks at most: the stride of `results`. */
  maxChunks: 5,
  featureCount: 6,
  totalSlots: 7,
  rows: 8,
  length: 9,
} as const;
/** `control` layout, shared with the workers (Int32, used with Atomics). */
export const CONTROL = {
  /** Bumped by the main thread for every step. */
  sequence: 0,
  /** Workers inside the current step. */
  active: 1,
  taskCount: 2,
  command: 3,
  /** Workers started. */
  ready: 4,
  failed: 5,
  /** Version of the buffers last sent to the workers. */
  version: 6,
  /** Next work item to take. */
  next: 7,
  /** Feature chunks of the current tree. */
  chunks: 8,
  /** The sequence number of the step workers may still join; -1 once the main thread closed it. */
  open: 9,
  /** Workers the current run may use (index below this); pooled workers past it sit steps out. */
  allowed: 10,
  length: 16,
} as const;
/** Step kinds (`control[command]`). */
export const COMMAND_BUILD = 0;
export const COMMAND_PARTITION = 2;
export const COMMAND_GRADIENTS = 3;
export const COMMAND_SPLITS = 4;

/** The typed arrays a share of the work reads and writes; in workers they view SharedArrayBuffers. */
export interface KernelBuffers {
  /** `[rows, featureCount]` global slot per cell (binning.ts). */
  slots: Uint16Array | Uint32Array;
  /** `[featureCount, rows]` bin within the feature, column-major (binning.ts). */
  columns: Uint8Array;
  /** `[featureCount + 1]` first histogram slot of each feature. */
  slotOffset: Int32Array;
  /** `[featureCount]` value bins of each feature; the missing slot follows them. */
  binCounts: Int32Array;
  /** `[featureCount]`, 1 = categorical. */
  categorical: Uint8Array;
  /** `[rows, 2]`: gradient and hessian of each row for the current tree. */
  gradients: Float64Array;
  /** Row numbers, grouped so that each node owns a contiguous range. */
  rowIndex: Uint32Array;
  /** `[rows]` raw margin of every training row so far. */
  margins: Float64Array;
  /** `[rows]` label in [0, 1]. */
  labels: Float64Array;
  /** `[rows]` sample weight times scale_pos_weight for positives. */
  rowWeight: Float64Array;
  /** Histogram pool: `[capacity, 2, totalSlots]`: a gradient block, then a hessian block. */
  histograms: Float64Array;
  /** `[capacity, TASK_INTS]`. */
  tasks: Int32Array;
  /** `[capacity, TASK_STATS]`. */
  taskStats: Float64Array;
  /** `[capacity, BLOCK_INTS]`: the row blocks of a build step, each task's blocks together. */
  blocks: Int32Array;
  /** `[capacity, 2, maxChunks, RESULT_WIDTH]`: best split per node and feature chunk. */
  results: Float64Array;
  /** `[capacity, 2, maxChunks, CATEGORY_WORDS]`: right-hand category set of a categorical candidate. */
  resultCategories: Int32Array;
  /** `[featureCount]`: the features this tree may split on, ascending. */
  featureList: Int32Array;
  /** `[maxChunks + 1]`: chunk c is `featureList[chunkBounds[c], chunkBounds[c + 1])`. */
  chunkBounds: Int32Array;
  /**
   * See SETTING. Integer settings must be read with `| 0`: a double used in index arithmetic
   * makes V8 convert every typed-array index, which cost the histogram loop half its speed.
   */
  settings: Float64Array;
  /** See CONTROL. */
  control: Int32Array;
}

/**
 * Per-thread scratch, so the kernels never allocate: the categorical sort, and the best split of
 * the node being searched (`best`: gain, bin, default left, left G, left H; `bestSet`: its
 * category set).
 */
export interface KernelScratch {
  codes: Int32Array;
  keys: Float64Array;
  best: Float64Array;
  bestSet: Int32Array;
  /** `[rows]` right-hand rows while partitioning. */
  rows: Uint32Array;
}

export function createScratch(rows: number): KernelScratch {
  return {
    codes: new Int32Array(256),
    keys: new Float64Array(256),
    best: new Float64Array(8),
    bestSet: new Int32Array(8),
    rows: new Uint32Array(rows),
  };
}

/** XGBoost's CalcGain: structure score of a node with sums G, H (0 below min_child_weight). */
export function nodeGain(
  g: number,
  h: number,
  lambda: number,
  alpha: number,
  minChildWeight: number,
): number {
  if (h < minChildWeight || h <= 0) return 0;
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  return (t * t) / (h + lambda);
}

/**
 * Zeroes, then accumulates, the bins of features `featureList[from, to)` of one histogram over
 * the rows `rowIndex[begin, end)`.
 */
export function buildHistogram(
  buffers: KernelBuffers,
  histogram: number,
  begin: number,
  end: number,
  from: number,
  to: number,
): void {
  const featureCount = (buffers.settings[6] ?? 0) | 0;
  const totalSlots = (buffers.settings[7] ?? 0) | 0;
  const { slots, slotOffset, gradients, rowIndex, histograms, featureList } = buffers;
  const gBase = histogram * totalSlots * 2;
  const hBase = gBase + totalSlots;
  for (let k = from; k < to; k++) {
    const feature = featureList[k] ?? 0;
    const first = slotOffset[feature] ?? 0;
    const last = slotOffset[feature + 1] ?? 0;
    histograms.fill(0, gBase + first, gBase + last);
    histograms.fill(0, hBase + first, hBase + last);
  }
  if (to <= from) return;
  const first = featureList[from] ?? 0;
  const last = featureList[to - 1] ?? 0;
  if (last - first === to - from - 1) {
    // The usual case (no column sampling): a contiguous feature range, no list lookups.
    const stop = last + 1;
    for (let position = begin; position < end; position++) {
      const row = rowIndex[position] ?? 0;
      const g = gradients[2 * row] ?? 0;
      const h = gradients[2 * row + 1] ?? 0;
      const cell = row * featureCount;
      for (let feature = first; feature < stop; feature++) {
        const slot = slots[cell + feature] ?? 0;
        histograms[gBase + slot] = (histograms[gBase + slot] ?? 0) + g;
        histograms[hBase + slot] = (histograms[hBase + slot] ?? 0) + h;
      }
    }
    return;
  }
  for (let position = begin; position < end; position++) {
    const row = rowIndex[position] ?? 0;
    const g = gradients[2 * row] ?? 0;
    const h = gradients[2 * row + 1] ?? 0;
    const cell = row * featureCount;
    for (let k = from; k < to; k++) {
      const slot = slots[cell + (featureList[k] ?? 0)] ?? 0;
      histograms[gBase + slot] = (histograms[gBase + slot] ?? 0) + g;
      histograms[hBase + slot] = (histograms[hBase + slot] ?? 0) + h;
    }
  }
}

/** sibling = parent - built, for features `featureList[from, to)` (the subtraction trick). */
export function subtractHistogram(
  buffers: KernelBuffers,
  parent: number,
  built: number,
  sibling: number,
  from: number,
  to: number,
): void {
  const totalSlots = (buffers.settings[7] ?? 0) | 0;
  const { slotOffset, histograms, featureList } = buffers;
  const parentBase = parent * totalSlots * 2;
  const builtBase = built * totalSlots * 2;
  const siblingBase = sibling * totalSlots * 2;
  for (let k = from; k < to; k++) {
    const feature = featureList[k] ?? 0;
    const first = slotOffset[feature] ?? 0;
    const last = slotOffset[feature + 1] ?? 0;
    for (let block = 0; block < 2 * totalSlots; block += totalSlots) {
      for (let slot = first + block; slot < last + block; slot++) {
        histograms[siblingBase + slot] =
          (histograms[parentBase + slot] ?? 0) - (histograms[builtBase + slot] ?? 0);
      }
    }
  }
}

/**
 * One direction of a numeric scan: left starts at (startG, startH) and takes bins `from..b`;
 * records in `best` (gain, bin, default left, left G, left H) any candidate beating `best[0]`.
 * The gain is computed for every bin and validity checked after it, which keeps the loop free
 * of hard-to-predict branches (measured ~2x faster than testing min_child_weight first).
 */
export function scanBins(
  histograms: Float64Array,
  g0: number,
  h0: number,
  from: number,
  to: number,
  startG: number,
  startH: number,
  sumG: number,
  sumH: number,
  parentGain: number,
  settings: Float64Array,
  defaultLeft: number,
  best: Float64Array,
): boolean {
  const lambda = settings[0] ?? 0;
  const alpha = settings[1] ?? 0;
  const minChildWeight = settings[2] ?? 0;
  let bestGain = best[0] ?? 0;
  let bestBin = -2;
  let bestLeftG = 0;
  let bestLeftH = 0;
  let leftG = startG;
  let leftH = startH;
  if (from < 0) {
    // "Missing alone left": all values right.
    const rightG = sumG - leftG;
    const rightH = sumH - leftH;
    const gain =
      nodeGain(leftG, leftH, lambda, alpha, minChildWeight) +
      nodeGain(rightG, rightH, lambda, alpha, minChildWeight) -
      parentGain;
    if (gain > bestGain && leftH >= minChildWeight && rightH >= minChildWeight && leftH > 0 && rightH > 0) {
      bestGain = gain;
      bestBin = -1;
      bestLeftG = leftG;
      bestLeftH = leftH;
    }
  }
  const first = Math.max(0, from);
  if (alpha === 0) {
    for (let bin = first; bin < to; bin++) {
      leftG += histograms[g0 + bin] ?? 0;
      leftH += histograms[h0 + bin] ?? 0;
      const rightG = sumG - leftG;
      const rightH = sumH - leftH;
      const gain = (leftG * leftG) / (leftH + lambda) + (rightG * rightG) / (rightH + lambda) - parentGain;
      if (gain > bestGain && leftH >= minChildWeight && rightH >= minChildWeight && leftH > 0 && rightH > 0) {
        bestGain = gain;
        bestBin = bin;
        bestLeftG = leftG;
        bestLeftH = leftH;
      }
    }
  } else {
    for (let bin = first; bin < to; bin++) {
      leftG += histograms[g0 + bin] ?? 0;
      leftH += histograms[h0 + bin] ?? 0;
      const rightG = sumG - leftG;
      const rightH = sumH - leftH;
      const gain =
        nodeGain(leftG, leftH, lambda, alpha, minChildWeight) +
        nodeGain(rightG, rightH, lambda, alpha, minChildWeight) -
        parentGain;
      if (gain > bestGain && leftH >= minChildWeight && rightH >= minChildWeight && leftH > 0 && rightH > 0) {
        bestGain = gain;
        bestBin = bin;
        bestLeftG = leftG;
        bestLeftH = leftH;
      }
    }
  }
  if (bestBin === -2) return false;
  best[0] = bestGain;
  best[1] = bestBin;
  best[2] = defaultLeft;
  best[3] = bestLeftG;
  best[4] = bestLeftH;
  return true;
}

/**
 * Best numeric split of one feature, scanning bins both ways as XGBoost's hist does: missing
 * values right, then (when the node has any) missing values left, from "missing alone left".
 * Updates `best` only when it beats `best[0]`; returns whether it did.
 */
export function scanNumeric(
  histograms: Float64Array,
  gBase: number,
  hBase: number,
  first: number,
  bins: number,
  sumG: number,
  sumH: number,
  parentGain: number,
  settings: Float64Array,
  best: Float64Array,
): boolean {
  const g0 = gBase + first;
  const h0 = hBase + first;
  let improved = scanBins(histograms, g0, h0, 0, bins, 0, 0, sumG, sumH, parentGain, settings, 0, best);
  const missingG = histograms[g0 + bins] ?? 0;
  const missingH = histograms[h0 + bins] ?? 0;
  if (missingH > 0) {
    if (
      scanBins(
        histograms,
        g0,
        h0,
        -1,
        bins - 1,
        missingG,
        missingH,
        sumG,
        sumH,
        parentGain,
        settings,
        1,
        best,
      )
    )
      improved = true;
  }
  return improved;
}

/**
 * Best categorical split of one feature. Below `maxCatToOnehot` categories: one category right,
 * the rest left. Otherwise the node's categories are sorted by their leaf weight and every
 * prefix is tried as one side (Fisher's partition search, as XGBoost's partition splits); the
 * side stored is the smaller one, at most `maxCatThreshold` categories. The stored set goes
 * right and every other code, unseen ones included, left. Missing values try both sides.
 * Updates `best` and the set in `bestSet` only on improvement; returns whether it did.
 */
export function scanCategorical(
  histograms: Float64Array,
  gBase: number,
  hBase: number,
  first: number,
  bins: number,
  sumG: number,
  sumH: number,
  parentGain: number,
  settings: Float64Array,
  best: Float64Array,
  bestSet: Int32Array,
  scratch: KernelScratch,
): boolean {
  const lambda = settings[0] ?? 0;
  const alpha = settings[1] ?? 0;
  const minChildWeight = settings[2] ?? 0;
  const maxCatToOnehot = settings[3] ?? 0;
  const maxCatThreshold = settings[4] ?? 0;
  const missingG = histograms[gBase + first + bins] ?? 0;
  const missingH = histograms[hBase + first + bins] ?? 0;
  const { codes, keys } = scratch;
  // The node's categories, sorted by leaf weight (ties by code); one-hot keeps code order.
  let seen = 0;
  for (let code = 0; code < bins; code++) {
    const codeH = histograms[hBase + first + code] ?? 0;
    if (codeH <= 0) continue;
    const codeG = histograms[gBase + first + code] ?? 0;
    let t = codeG;
    if (alpha > 0) t = codeG > alpha ? codeG - alpha : codeG < -alpha ? codeG + alpha : 0;
    const key = bins < maxCatToOnehot ? code : -t / (codeH + lambda);
    let slot = seen;
    while (slot > 0 && (keys[slot - 1] ?? 0) > key) {
      keys[slot] = keys[slot - 1] ?? 0;
      codes[slot] = codes[slot - 1] ?? 0;
      slot--;
    }
    keys[slot] = key;
    codes[slot] = code;
    seen++;
  }
  const oneHot = bins < maxCatToOnehot;
  let bestGain = best[0] ?? 0;
  let found = false;
  let bestSize = 0;
  let bestInvert = 0;
  let bestDefaultLeft = 0;
  let bestLeftG = 0;
  let bestLeftH = 0;
  let prefixG = 0;
  let prefixH = 0;
  for (let size = 1; size <= seen; size++) {
    const code = codes[size - 1] ?? 0;
    const codeG = histograms[gBase + first + code] ?? 0;
    const codeH = histograms[hBase + first + code] ?? 0;
    // One-hot: the set is this category alone. Partition: the prefix, or the rest when smaller.
    prefixG = oneHot ? codeG : prefixG + codeG;
    prefixH = oneHot ? codeH : prefixH + codeH;
    const invert = !oneHot && size > seen - size ? 1 : 0;
    if (!oneHot && (invert === 1 ? seen - size : size) > maxCatThreshold) continue;
    for (let missingLeft = 0; missingLeft < 2; missingLeft++) {
      if (missingLeft === 1 && missingH <= 0) continue;
      let rightG = invert === 1 ? sumG - missingG - prefixG : prefixG;
      let rightH = invert === 1 ? sumH - missingH - prefixH : prefixH;
      if (missingLeft === 0) {
        rightG += missingG;
        rightH += missingH;
      }
      const leftG = sumG - rightG;
      const leftH = sumH - rightH;
      if (leftH < minChildWeight || rightH < minChildWeight || leftH <= 0 || rightH <= 0) continue;
      const gain =
        nodeGain(leftG, leftH, lambda, alpha, minChildWeight) +
        nodeGain(rightG, rightH, lambda, alpha, minChildWeight) -
        parentGain;
      if (gain > bestGain) {
        bestGain = gain;
        found = true;
        bestSize = size;
        bestInvert = invert;
        bestDefaultLeft = missingLeft;
        bestLeftG = leftG;
        bestLeftH = leftH;
      }
    }
  }
  if (!found) return false;
  best[0] = bestGain;
  best[1] = -1;
  best[2] = bestDefaultLeft;
  best[3] = bestLeftG;
  best[4] = bestLeftH;
  for (let word = 0; word < 8; word++) bestSet[word] = 0;
  for (let index = 0; index < seen; index++) {
    const inSet = oneHot ? index === bestSize - 1 : index < bestSize !== (bestInvert === 1);
    if (!inSet) continue;
    const code = codes[index] ?? 0;
    bestSet[code >>> 5] = (bestSet[code >>> 5] ?? 0) | (1 << (code & 31));
  }
  return true;
}

/**
 * Best split of one node over features `featureList[from, to)`, written to
 * `results[candidate, chunk]` and its category set (categorical splits) to `resultCategories`.
 * Features are tried in ascending order and a later one must beat the best strictly, so ties go
 * to the lower feature, here and when the chunks are compared (XGBoost's rule).
 */
export function evaluateNode(
  buffers: KernelBuffers,
  histogram: number,
  sumG: number,
  sumH: number,
  candidate: number,
  chunk: number,
  from: number,
  to: number,
  scratch: KernelScratch,
): void {
  const settings = buffers.settings;
  const maxChunks = (settings[5] ?? 1) | 0;
  const totalSlots = (settings[7] ?? 0) | 0;
  const { slotOffset, binCounts, categorical, histograms, featureList, results, resultCategories } = buffers;
  const gBase = histogram * totalSlots * 2;
  const hBase = gBase + totalSlots;
  const parentGain = nodeGain(sumG, sumH, settings[0] ?? 0, settings[1] ?? 0, settings[2] ?? 0);
  const { best, bestSet } = scratch;
  best.fill(0);
  let bestFeature = -1;
  let bestCategorical = 0;
  for (let k = from; k < to; k++) {
    const feature = featureList[k] ?? 0;
    const first = slotOffset[feature] ?? 0;
    const bins = binCounts[feature] ?? 0;
    if (categorical[feature] === 1) {
      if (
        scanCategorical(
          histograms,
          gBase,
          hBase,
          first,
          bins,
          sumG,
          sumH,
          parentGain,
          settings,
          best,
          bestSet,
          scratch,
        )
      ) {
        bestFeature = feature;
        bestCategorical = 1;
      }
    } else if (scanNumeric(histograms, gBase, hBase, first, bins, sumG, sumH, parentGain, settings, best)) {
      bestFeature = feature;
      bestCategorical = 0;
    }
  }
  const at = (candidate * maxChunks + chunk) * 7;
  results[at] = best[0] ?? 0;
  results[at + 1] = bestFeature;
  results[at + 2] = best[1] ?? -1;
  results[at + 3] = best[2] ?? 0;
  results[at + 4] = bestCategorical;
  results[at + 5] = best[3] ?? 0;
  results[at + 6] = best[4] ?? 0;
  if (bestCategorical === 1) {
    const words = (candidate * maxChunks + chunk) * 8;
    for (let word = 0; word < 8; word++) resultCategories[words + word] = bestSet[word] ?? 0;
  }
}

/**
 * Stable partition of rows `[begin, end)` of `rowIndex` by one split: left rows first, each
 * side in row order; returns the number of left rows. Branch-free: every row is written to
 * both sides and only its own side advances (a 50/50 branch mispredicts often enough to double
 * the cost); writing the left side in place never overtakes the read position.
 */
export function partitionRows(buffers: KernelBuffers, task: number, scratch: KernelScratch): number {
  const { tasks, rowIndex, columns } = buffers;
  const rows = (buffers.settings[8] ?? 0) | 0;
  const at = task * 16;
  const begin = tasks[at] ?? 0;
  const end = tasks[at + 1] ?? 0;
  const column = (tasks[at + 2] ?? 0) * rows;
  const lastLeftBin = tasks[at + 3] ?? 0;
  const missingGoesLeft = tasks[at + 4] ?? 0;
  const categorical = tasks[at + 5] ?? 0;
  const missingBin = tasks[at + 7] ?? 0;
  const right = scratch.rows;
  let leftCount = 0;
  let rightCount = 0;
  if (categorical === 0) {
    for (let position = begin; position < end; position++) {
      const row = rowIndex[position] ?? 0;
      const bin = columns[column + row] ?? 0;
      // 1 when bin <= lastLeftBin: the sign bit of lastLeftBin - bin is clear.
      const left = bin === missingBin ? missingGoesLeft : 1 - ((lastLeftBin - bin) >>> 31);
      rowIndex[begin + leftCount] = row;
      right[rightCount] = row;
      leftCount += left;
      rightCount += 1 - left;
    }
  } else {
    const set = at + 8;
    for (let position = begin; position < end; position++) {
      const row = rowIndex[position] ?? 0;
      const bin = columns[column + row] ?? 0;
      const inSet = ((tasks[set + (bin >>> 5)] ?? 0) >>> (bin & 31)) & 1;
      const left = bin === missingBin ? missingGoesLeft : 1 - inSet;
      rowIndex[begin + leftCount] = row;
      right[rightCount] = row;
      leftCount += left;
      rightCount += 1 - left;
    }
  }
  const target = begin + leftCount;
  for (let index = 0; index < rightCount; index++) rowIndex[target + index] = right[index] ?? 0;
  return leftCount;
}

/**
 * Adds a leaf value to the margins of rows `[begin, end)` of `rowIndex` and recomputes their
 * logistic-loss gradient and hessian (XGBoost's: p - y and max(p(1 - p), 1e-16), times weight).
 */
export function updateGradients(buffers: KernelBuffers, begin: number, end: number, value: number): void {
  const { rowIndex, margins, labels, rowWeight, gradients } = buffers;
  for (let position = begin; position < end; position++) {
    const row = rowIndex[position] ?? 0;
    const margin = (margins[row] ?? 0) + value;
    margins[row] = margin;
    const p = 1 / (1 + Math.exp(-margin));
    const weight = rowWeight[row] ?? 0;
    gradients[2 * row] = (p - (labels[row] ?? 0)) * weight;
    gradients[2 * row + 1] = Math.max(p * (1 - p), 1e-16) * weight;
  }
}

/**
 * Adds the histograms of a task's blocks 1.. into block 0's (the node's), in block order, for
 * features `featureList[from, to)`.
 */
export function sumBlocks(buffers: KernelBuffers, task: number, from: number, to: number): void {
  const totalSlots = (buffers.settings[7] ?? 0) | 0;
  const { tasks, blocks, slotOffset, histograms, featureList } = buffers;
  const count = tasks[task * 16 + 6] ?? 1;
  const first = tasks[task * 16 + 7] ?? 0;
  const targetBase = (tasks[task * 16] ?? 0) * totalSlots * 2;
  for (let block = 1; block < count; block++) {
    const base = (blocks[(first + block) * 3 + 2] ?? 0) * totalSlots * 2;
    for (let k = from; k < to; k++) {
      const feature = featureList[k] ?? 0;
      const low = slotOffset[feature] ?? 0;
      const high = slotOffset[feature + 1] ?? 0;
      for (let slot = low; slot < high; slot++) {
        histograms[targetBase + slot] = (histograms[targetBase + slot] ?? 0) + (histograms[base + slot] ?? 0);
      }
      for (let slot = low + totalSlots; slot < high + totalSlots; slot++) {
        histograms[targetBase + slot] = (histograms[targetBase + slot] ?? 0) + (histograms[base + slot] ?? 0);
      }
    }
  }
}

/**
 * One thread's part of a step: take items from the shared counter until none is left. A build
 * item is one row block over all features; a splits item one task (a node, and its sibling by
 * subtraction) for one chunk of features; a partition item one node; a gradient item one range
 * of rows.
 */
export function runShare(
  buffers: KernelBuffers,
  command: number,
  taskCount: number,
  scratch: KernelScratch,
): void {
  const { tasks, taskStats, control, chunkBounds, blocks } = buffers;
  const chunks = Atomics.load(control, 8);
  if (command === 0) {
    // taskCount is the number of blocks here.
    const features = chunkBounds[chunks] ?? 0;
    for (let item = Atomics.add(control, 7, 1); item < taskCount; item = Atomics.add(control, 7, 1)) {
      const at = item * 3;
      buildHistogram(buffers, blocks[at + 2] ?? 0, blocks[at] ?? 0, blocks[at + 1] ?? 0, 0, features);
    }
    return;
  }
  if (command === 2) {
    for (let task = Atomics.add(control, 7, 1); task < taskCount; task = Atomics.add(control, 7, 1)) {
      taskStats[task * 4] = partitionRows(buffers, task, scratch);
    }
    return;
  }
  if (command === 3) {
    for (let task = Atomics.add(control, 7, 1); task < taskCount; task = Atomics.add(control, 7, 1)) {
      const at = task * 16;
      updateGradients(buffers, tasks[at] ?? 0, tasks[at + 1] ?? 0, taskStats[task * 4] ?? 0);
    }
    return;
  }
  const items = taskCount * chunks;
  for (let item = Atomics.add(control, 7, 1); item < items; item = Atomics.add(control, 7, 1)) {
    const task = (item / chunks) | 0;
    const chunk = item - task * chunks;
    const from = chunkBounds[chunk] ?? 0;
    const to = chunkBounds[chunk + 1] ?? 0;
    const at = task * 16;
    const built = tasks[at] ?? 0;
    const parent = tasks[at + 3] ?? -1;
    const sibling = tasks[at + 4] ?? -1;
    const flags = tasks[at + 5] ?? 0;
    if ((tasks[at + 6] ?? 1) > 1) sumBlocks(buffers, task, from, to);
    if (sibling >= 0 && parent >= 0) subtractHistogram(buffers, parent, built, sibling, from, to);
    const stats = task * 4;
    if ((flags & 1) !== 0) {
      evaluateNode(
        buffers,
        built,
        taskStats[stats] ?? 0,
        taskStats[stats + 1] ?? 0,
        task * 2,
        chunk,
        from,
        to,
        scratch,
      );
    }
    if ((flags & 2) !== 0 && sibling >= 0) {
      const sumG = taskStats[stats + 2] ?? 0;
      const sumH = taskStats[stats + 3] ?? 0;
      evaluateNode(buffers, sibling, sumG, sumH, task * 2 + 1, chunk, from, to, scratch);
    }
  }
}

/** What the main thread hands a worker at start: the control block and a message port. */
export interface WorkerStart {
  readonly control: SharedArrayBuffer;
  readonly port: MessagePortLike;
  /** 0 for the first worker of the pool. */
  readonly index: number;
}

/**
 * The memory of one training run, sent to the workers (again, with a new version) when a run
 * starts and whenever a buffer grows.
 */
export interface SharedBuffers {
  readonly version: number;
  readonly slots: SharedArrayBuffer;
  readonly slotsWide: boolean;
  readonly columns: SharedArrayBuffer;
  readonly slotOffset: SharedArrayBuffer;
  readonly binCounts: SharedArrayBuffer;
  readonly categorical: SharedArrayBuffer;
  readonly gradients: SharedArrayBuffer;
  readonly rowIndex: SharedArrayBuffer;
  readonly margins: SharedArrayBuffer;
  readonly labels: SharedArrayBuffer;
  readonly rowWeight: SharedArrayBuffer;
  readonly featureList: SharedArrayBuffer;
  readonly chunkBounds: SharedArrayBuffer;
  readonly settings: SharedArrayBuffer;
  readonly histograms: SharedArrayBuffer;
  readonly tasks: SharedArrayBuffer;
  readonly taskStats: SharedArrayBuffer;
  readonly blocks: SharedArrayBuffer;
  readonly results: SharedArrayBuffer;
  readonly resultCategories: SharedArrayBuffer;
}

/** The part of `MessagePort` the worker uses (kept structural so this file imports nothing). */
export interface MessagePortLike {
  postMessage(message: unknown): void;
}

/**
 * A worker thread's life: announce readiness, then for every bump of the sequence number join
 * the step if it is still open and take items until none is left. Waiting is a short spin, then
 * `Atomics.wait`, so a step costs a futex wake-up at most rather than a message through the
 * event loop. Workers live as long as the process: each training run sends its buffers.
 */
export function workerLoop(
  start: WorkerStart,
  receive: (port: MessagePortLike) => { message: unknown } | undefined,
): void {
  const control = new Int32Array(start.control);
  let buffers: KernelBuffers | undefined;
  let scratch: KernelScratch | undefined;
  let version = -1;
  let seen = Atomics.load(control, 0);
  Atomics.add(control, 4, 1);
  Atomics.notify(control, 4);
  for (;;) {
    // Spin for up to half a millisecond before sleeping: steps follow each other within
    // microseconds to a few hundred, and waking a sleeping thread costs ~0.1 ms.
    const spinUntil = performance.now() + 0.5;
    while (Atomics.load(control, 0) === seen) {
      let spin = 0;
      while (spin < 256 && Atomics.load(control, 0) === seen) spin++;
      if (performance.now() > spinUntil) break;
    }
    Atomics.wait(control, 0, seen);
    seen = Atomics.load(control, 0);
    Atomics.add(control, 1, 1);
    try {
      // New buffers are taken up even by a worker that sits this run out, so that no stale run's
      // memory stays queued on its port.
      while (version !== Atomics.load(control, 6)) {
        const received = receive(start.port);
        if (received === undefined) throw new Error('worker: buffer update announced but not received');
        const shared = received.message as SharedBuffers;
        buffers = {
          slots: shared.slotsWide ? new Uint32Array(shared.slots) : new Uint16Array(shared.slots),
          columns: new Uint8Array(shared.columns),
          slotOffset: new Int32Array(shared.slotOffset),
          binCounts: new Int32Array(shared.binCounts),
          categorical: new Uint8Array(shared.categorical),
          gradients: new Float64Array(shared.gradients),
          rowIndex: new Uint32Array(shared.rowIndex),
          margins: new Float64Array(shared.margins),
          labels: new Float64Array(shared.labels),
          rowWeight: new Float64Array(shared.rowWeight),
          histograms: new Float64Array(shared.histograms),
          tasks: new Int32Array(shared.tasks),
          taskStats: new Float64Array(shared.taskStats),
          blocks: new Int32Array(shared.blocks),
          results: new Float64Array(shared.results),
          resultCategories: new Int32Array(shared.resultCategories),
          featureList: new Int32Array(shared.featureList),
          chunkBounds: new Int32Array(shared.chunkBounds),
          settings: new Float64Array(shared.settings),
          control,
        };
        if (scratch === undefined || scratch.rows.length < ((buffers.settings[8] ?? 0) | 0)) {
          scratch = {
            codes: new Int32Array(256),
            keys: new Float64Array(256),
            best: new Float64Array(8),
            bestSet: new Int32Array(8),
            rows: new Uint32Array((buffers.settings[8] ?? 0) | 0),
          };
        }
        version = shared.version;
      }
      // Join only a step that is still open (the main thread closes it once every item is
      // taken) and only as one of the workers this run may use.
      const joins = start.index < Atomics.load(control, 10) && Atomics.load(control, 9) === seen;
      if (joins && buffers !== undefined && scratch !== undefined) {
        runShare(buffers, Atomics.load(control, 3), Atomics.load(control, 2), scratch);
      }
    } catch (error) {
      Atomics.store(control, 5, 1);
      start.port.postMessage(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    Atomics.sub(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

/** Every function a worker needs, in an order where each is defined before the loop runs. */
export const WORKER_KERNELS = [
  nodeGain,
  buildHistogram,
  subtractHistogram,
  scanBins,
  scanNumeric,
  scanCategorical,
  evaluateNode,
  sumBlocks,
  partitionRows,
  updateGradients,
  runShare,
  workerLoop,
];
