import type { BinnedMatrix } from './binning.js';
import type { HistogramTeam } from './histogram-team.js';
import {
  BLOCK_INTS,
  BLOCK_ROWS,
  CATEGORY_WORDS,
  COMMAND_BUILD,
  COMMAND_PARTITION,
  COMMAND_SPLITS,
  EVALUATE_BUILT,
  EVALUATE_SIBLING,
  RESULT_WIDTH,
  TASK_INTS,
  TASK_STATS,
} from './kernels.js';
import type { GbdtParams } from './params.js';
import type { DecisionTree } from './tree.js';

/** XGBoost's kRtEps: a split must reduce the loss by more than this. */
const MIN_SPLIT_GAIN = 1e-6;

interface Candidate {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: number;
  categorical: boolean;
  leftG: number;
  leftH: number;
  /** Right-hand category set (CATEGORY_WORDS words) of a categorical split. */
  categories: Int32Array | undefined;
}

/** A tree while it grows; nodes are appended, root 0. */
class GrowingTree {
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly depth: number[] = [];
  readonly sumG: number[] = [];
  readonly sumH: number[] = [];
  readonly rowBegin: number[] = [];
  readonly rowEnd: number[] = [];
  readonly histogram: number[] = [];
  readonly split: Array<Candidate | undefined> = [];
  /** The split applied at an inner node (the candidate it won with). */
  readonly applied: Array<Candidate | undefined> = [];

  add(depth: number, sumG: number, sumH: number, begin: number, end: number): number {
    const node = this.left.length;
    this.left.push(-1);
    this.right.push(-1);
    this.depth.push(depth);
    this.sumG.push(sumG);
    this.sumH.push(sumH);
    this.rowBegin.push(begin);
    this.rowEnd.push(end);
    this.histogram.push(-1);
    this.split.push(undefined);
    this.applied.push(undefined);
    return node;
  }
}

/** The grown tree plus, per leaf, the rows of the sample that reached it. */
export interface GrownTree {
  readonly tree: DecisionTree;
  /** Per leaf: its node index in `tree` and its row range in the team's `rowIndex`. */
  readonly leaves: ReadonlyArray<{ readonly node: number; readonly begin: number; readonly end: number }>;
}

function leafWeight(g: number, h: number, params: GbdtParams): number {
  if (h < params.minChildWeight || h <= 0) return 0;
  let t = g;
  if (params.alpha > 0) t = g > params.alpha ? g - params.alpha : g < -params.alpha ? g + params.alpha : 0;
  return -t / (h + params.lambda);
}

/** Best candidate across feature chunks: highest gain, the lower feature on a tie (XGBoost's rule). */
function readCandidate(team: HistogramTeam, candidate: number): Candidate | undefined {
  const { results, resultCategories } = team.buffers;
  const stride = team.maxChunks;
  let best = -1;
  let bestGain = 0;
  let bestFeature = Number.POSITIVE_INFINITY;
  for (let chunk = 0; chunk < team.chunks; chunk++) {
    const at = (candidate * stride + chunk) * RESULT_WIDTH;
    const feature = results[at + 1] ?? -1;
    if (feature < 0) continue;
    const gain = results[at] ?? 0;
    if (gain > bestGain || (gain === bestGain && feature < bestFeature)) {
      best = chunk;
      bestGain = gain;
      bestFeature = feature;
    }
  }
  if (best < 0 || !(bestGain > MIN_SPLIT_GAIN)) return undefined;
  const at = (candidate * stride + best) * RESULT_WIDTH;
  const categorical = results[at + 4] === 1;
  const words = (candidate * stride + best) * CATEGORY_WORDS;
  return {
    gain: bestGain,
    feature: bestFeature | 0,
    bin: (results[at + 2] ?? -1) | 0,
    defaultLeft: (results[at + 3] ?? 0) | 0,
    categorical,
    leftG: results[at + 5] ?? 0,
    leftH: results[at + 6] ?? 0,
    categories: categorical ? resultCategories.slice(words, words + CATEGORY_WORDS) : undefined,
  };
}

/** One histogram task of a step: the smaller child built from its rows, the larger one derived. */
interface PendingTask {
  readonly built: number;
  readonly sibling: number;
  readonly parentHistogram: number;
}

/**
 * Grows trees on the team's rows and gradients, one per `grow` call. Depthwise expands a whole
 * level per step; lossguide the single best leaf per step. Either way a step builds the smaller
 * child's histogram from its rows, derives the larger one's by subtraction from the parent,
 * and searches both children's splits. (A class rather than closures: a fresh closure per tree
 * made V8 throw away the optimised code of the grower on every call.)
 */
export class TreeGrower {
  private readonly binned: BinnedMatrix;
  private readonly team: HistogramTeam;
  private readonly params: GbdtParams;
  private grown = new GrowingTree();
  private leaves = 0;
  private readonly leafLimit: number;

  constructor(binned: BinnedMatrix, team: HistogramTeam, params: GbdtParams) {
    this.binned = binned;
    this.team = team;
    this.params = params;
    this.leafLimit = params.maxLeaves > 0 ? params.maxLeaves : Number.POSITIVE_INFINITY;
  }

  /** A node can split only if it may deepen and both children can reach min_child_weight. */
  private canSplit(node: number): boolean {
    const { grown, params } = this;
    const depth = grown.depth[node] ?? 0;
    return (
      (params.maxDepth === 0 || depth < params.maxDepth) &&
      (grown.sumH[node] ?? 0) >= 2 * params.minChildWeight &&
      (grown.rowEnd[node] ?? 0) - (grown.rowBegin[node] ?? 0) >= 2
    );
  }

  /** Grows one tree on the rows `rowIndex[0, sampleCount)` with the gradients in the team's buffers. */
  grow(sampleCount: number): GrownTree {
    const { team, params } = this;
    const { rowIndex, gradients } = team.buffers;
    const grown = new GrowingTree();
    this.grown = grown;
    this.leaves = 1;
    let sumG = 0;
    let sumH = 0;
    for (let position = 0; position < sampleCount; position++) {
      const row = rowIndex[position] ?? 0;
      sumG += gradients[2 * row] ?? 0;
      sumH += gradients[2 * row + 1] ?? 0;
    }
    grown.add(0, sumG, sumH, 0, sampleCount);
    if (this.canSplit(0)) {
      grown.histogram[0] = team.acquireHistogram();
      this.buildAndSearch([{ built: 0, sibling: -1, parentHistogram: -1 }]);
    }

    if (params.growPolicy === 'depthwise') {
      let frontier = [0];
      while (frontier.length > 0 && this.leaves < this.leafLimit) frontier = this.expand(frontier);
      for (const node of frontier) team.releaseHistogram(grown.histogram[node] ?? -1);
    } else {
      // Lossguide: the open leaf with the largest gain next; the older node on a tie.
      const open = new Set<number>([0]);
      while (this.leaves < this.leafLimit) {
        let best = -1;
        let bestGain = 0;
        for (const node of open) {
          const gain = grown.split[node]?.gain ?? 0;
          if (gain > bestGain || (gain === bestGain && gain > 0 && node < best)) {
            best = node;
            bestGain = gain;
          }
        }
        if (best < 0) break;
        open.delete(best);
        for (const child of this.expand([best])) open.add(child);
      }
      for (const node of open) team.releaseHistogram(grown.histogram[node] ?? -1);
    }
    return finishTree(grown, this.binned, params);
  }

  /**
   * Applies the splits of `nodes` (one partition step), then builds and searches their
   * children's histograms (one histogram step). Returns the children that may split further.
   */
  private expand(nodes: readonly number[]): number[] {
    const { grown, team, binned } = this;
    const releaseAfter: number[] = [];
    const splitting: number[] = [];
    for (const node of nodes) {
      if (grown.split[node] === undefined || this.leaves >= this.leafLimit) {
        releaseAfter.push(grown.histogram[node] ?? -1);
        continue;
      }
      splitting.push(node);
      this.leaves += 1;
    }

    const rowsOf = (node: number): number => (grown.rowEnd[node] ?? 0) - (grown.rowBegin[node] ?? 0);
    // Tasks go out largest first, so the last items a step hands out are small and no thread
    // waits long for another (the order changes no result).
    const bySize = splitting
      .map((_, index) => index)
      .sort((a, b) => rowsOf(splitting[b] ?? 0) - rowsOf(splitting[a] ?? 0));
    const taskOf = new Int32Array(splitting.length);
    bySize.forEach((index, task) => {
      taskOf[index] = task;
    });
    if (splitting.length > 0) {
      team.reserveTasks(splitting.length);
      const { tasks } = team.buffers;
      splitting.forEach((node, index) => {
        const task = taskOf[index] ?? 0;
        const split = grown.split[node];
        if (split === undefined) return;
        const { feature } = split;
        const at = task * TASK_INTS;
        tasks[at] = grown.rowBegin[node] ?? 0;
        tasks[at + 1] = grown.rowEnd[node] ?? 0;
        tasks[at + 2] = feature;
        tasks[at + 3] = split.bin;
        tasks[at + 4] = split.defaultLeft;
        tasks[at + 5] = split.categories === undefined ? 0 : 1;
        tasks[at + 6] = 0;
        tasks[at + 7] = binned.binCounts[feature] ?? 0;
        for (let word = 0; word < CATEGORY_WORDS; word++)
          tasks[at + 8 + word] = split.categories?.[word] ?? 0;
      });
      let rows = 0;
      for (const node of splitting) rows += (grown.rowEnd[node] ?? 0) - (grown.rowBegin[node] ?? 0);
      // A row costs about four histogram cells to partition.
      team.run(COMMAND_PARTITION, splitting.length, 4 * rows);
    }

    const children: number[] = [];
    const pending: PendingTask[] = [];
    splitting.forEach((node, index) => {
      const task = taskOf[index] ?? 0;
      const split = grown.split[node];
      if (split === undefined) return;
      const begin = grown.rowBegin[node] ?? 0;
      const end = grown.rowEnd[node] ?? 0;
      const rightBegin = (begin + (team.buffers.taskStats[task * TASK_STATS] ?? 0)) | 0;
      const depth = (grown.depth[node] ?? 0) + 1;
      const nodeG = grown.sumG[node] ?? 0;
      const nodeH = grown.sumH[node] ?? 0;
      const left = grown.add(depth, split.leftG, split.leftH, begin, rightBegin);
      const right = grown.add(depth, nodeG - split.leftG, nodeH - split.leftH, rightBegin, end);
      grown.left[node] = left;
      grown.right[node] = right;
      grown.applied[node] = split;
      grown.split[node] = undefined;
      const parentHistogram = grown.histogram[node] ?? -1;
      releaseAfter.push(parentHistogram);
      const leftSplits = this.canSplit(left);
      const rightSplits = this.canSplit(right);
      if (!leftSplits && !rightSplits) return;
      const smaller = rightBegin - begin <= end - rightBegin ? left : right;
      const larger = smaller === left ? right : left;
      const smallerSplits = smaller === left ? leftSplits : rightSplits;
      const largerSplits = smaller === left ? rightSplits : leftSplits;
      const builtHistogram = team.acquireHistogram();
      grown.histogram[smaller] = builtHistogram;
      grown.histogram[larger] = largerSplits ? team.acquireHistogram() : -1;
      if (smallerSplits) children.push(smaller);
      else releaseAfter.push(builtHistogram);
      if (largerSplits) children.push(larger);
      pending.push({ built: smaller, sibling: largerSplits ? larger : -1, parentHistogram });
    });

    if (pending.length > 0) this.buildAndSearch(pending);
    for (const histogram of releaseAfter) team.releaseHistogram(histogram);
    return children;
  }

  /**
   * Builds the histograms of `pending` nodes (in row blocks, see kernels.ts), derives their
   * siblings' and searches both nodes' best splits: a build step, then a splits step.
   */
  private buildAndSearch(unordered: readonly PendingTask[]): void {
    const { grown, team } = this;
    // Largest first, so the last items of each step are small (the order changes no result).
    const rowsOf = (node: number): number => (grown.rowEnd[node] ?? 0) - (grown.rowBegin[node] ?? 0);
    const pending = [...unordered].sort((a, b) => rowsOf(b.built) - rowsOf(a.built));
    // Blocks of near-equal size, by the node's rows alone (never by the thread count).
    const blockCounts = pending.map(({ built }) =>
      Math.max(1, Math.ceil(((grown.rowEnd[built] ?? 0) - (grown.rowBegin[built] ?? 0)) / BLOCK_ROWS)),
    );
    const partials = blockCounts.map((count) =>
      Array.from({ length: count - 1 }, () => team.acquireHistogram()),
    );
    const blockTotal = blockCounts.reduce((sum, count) => sum + count, 0);
    team.reserveTasks(pending.length, blockTotal);
    const { tasks, taskStats, blocks } = team.buffers;
    let block = 0;
    let cells = 0;
    pending.forEach(({ built, sibling, parentHistogram }, task) => {
      const flags = (this.canSplit(built) ? EVALUATE_BUILT : 0) | (sibling >= 0 ? EVALUATE_SIBLING : 0);
      const begin = grown.rowBegin[built] ?? 0;
      const end = grown.rowEnd[built] ?? 0;
      const histogram = grown.histogram[built] ?? -1;
      const count = blockCounts[task] ?? 1;
      const at = task * TASK_INTS;
      tasks[at] = histogram;
      tasks[at + 1] = begin;
      tasks[at + 2] = end;
      tasks[at + 3] = sibling >= 0 ? parentHistogram : -1;
      tasks[at + 4] = sibling >= 0 ? (grown.histogram[sibling] ?? -1) : -1;
      tasks[at + 5] = flags;
      tasks[at + 6] = count;
      tasks[at + 7] = block;
      const stats = task * TASK_STATS;
      taskStats[stats] = grown.sumG[built] ?? 0;
      taskStats[stats + 1] = grown.sumH[built] ?? 0;
      taskStats[stats + 2] = sibling >= 0 ? (grown.sumG[sibling] ?? 0) : 0;
      taskStats[stats + 3] = sibling >= 0 ? (grown.sumH[sibling] ?? 0) : 0;
      for (let part = 0; part < count; part++) {
        blocks[block * BLOCK_INTS] = begin + Math.round(((end - begin) * part) / count);
        blocks[block * BLOCK_INTS + 1] = begin + Math.round(((end - begin) * (part + 1)) / count);
        blocks[block * BLOCK_INTS + 2] = part === 0 ? histogram : (partials[task]?.[part - 1] ?? -1);
        block += 1;
      }
      cells += (end - begin) * team.featuresAssigned;
    });
    team.run(COMMAND_BUILD, blockTotal, cells);
    team.run(COMMAND_SPLITS, pending.length, pending.length * 2 * team.slotsAssigned);
    for (const list of partials) for (const histogram of list) team.releaseHistogram(histogram);
    pending.forEach(({ built, sibling }, task) => {
      if (this.canSplit(built)) grown.split[built] = readCandidate(team, task * 2);
      if (sibling >= 0) grown.split[sibling] = readCandidate(team, task * 2 + 1);
    });
  }
}

/**
 * Prunes splits whose gain is below gamma bottom-up (XGBoost's `prune` updater), then lays the
 * surviving nodes out in depth-first order with thresholds taken from the bin cuts.
 */
function finishTree(grown: GrowingTree, binned: BinnedMatrix, params: GbdtParams): GrownTree {
  const isInner = (node: number): boolean => (grown.left[node] ?? -1) >= 0;
  if (params.gamma > 0) {
    const prune = (node: number): void => {
      if (!isInner(node)) return;
      const left = grown.left[node] ?? -1;
      const right = grown.right[node] ?? -1;
      prune(left);
      prune(right);
      if (!isInner(left) && !isInner(right) && (grown.applied[node]?.gain ?? 0) < params.gamma) {
        grown.left[node] = -1;
        grown.right[node] = -1;
        grown.applied[node] = undefined;
      }
    };
    prune(0);
  }
  const order: number[] = [];
  const stack = [0];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    order.push(node);
    if (isInner(node)) stack.push(grown.right[node] ?? -1, grown.left[node] ?? -1);
  }
  const position = new Map<number, number>();
  order.forEach((node, index) => {
    position.set(node, index);
  });
  const count = order.length;
  const tree = {
    left: new Int32Array(count).fill(-1),
    right: new Int32Array(count).fill(-1),
    feature: new Int32Array(count).fill(-1),
    threshold: new Float64Array(count),
    defaultLeft: new Uint8Array(count),
    value: new Float64Array(count),
    cover: new Float64Array(count),
    gain: new Float64Array(count),
    categories: new Map<number, number[]>(),
  };
  const leaves: Array<{ node: number; begin: number; end: number }> = [];
  order.forEach((node, index) => {
    const weight = leafWeight(grown.sumG[node] ?? 0, grown.sumH[node] ?? 0, params);
    tree.value[index] = params.learningRate * weight;
    tree.cover[index] = grown.sumH[node] ?? 0;
    const split = grown.applied[node];
    if (split === undefined || !isInner(node)) {
      leaves.push({ node: index, begin: grown.rowBegin[node] ?? 0, end: grown.rowEnd[node] ?? 0 });
      return;
    }
    tree.left[index] = position.get(grown.left[node] ?? -1) ?? -1;
    tree.right[index] = position.get(grown.right[node] ?? -1) ?? -1;
    tree.feature[index] = split.feature;
    tree.defaultLeft[index] = split.defaultLeft;
    tree.gain[index] = split.gain;
    if (split.categories !== undefined) {
      const codes: number[] = [];
      for (let code = 0; code < CATEGORY_WORDS * 32; code++) {
        if ((((split.categories[code >>> 5] ?? 0) >>> (code & 31)) & 1) === 1) codes.push(code);
      }
      tree.categories.set(index, codes);
    } else {
      tree.threshold[index] =
        split.bin < 0
          ? (binned.minValues[split.feature] ?? 0)
          : (binned.cuts[split.feature]?.[split.bin] ?? 0);
    }
  });
  return { tree, leaves };
}
