import { type DecisionTree, treeDepth } from './tree.js';

/**
 * All trees of a model flattened into one set of node arrays, the shape the scorer and TreeSHAP
 * walk. Each tree is laid out in preorder, so a node's left child is always the next node and
 * only the right one is stored: one load fewer per step down, and the path a row takes is
 * mostly forward in memory.
 *
 * `splitFeature` packs the node kind into the feature number so the numeric path costs one
 * comparison: `>= 0` numeric split, `-1` leaf, `<= -2` categorical split on feature
 * `-splitFeature - 2`. `splitValue` holds the threshold of a numeric split and the output of a
 * leaf, like XGBoost's `split_conditions`.
 */
export interface Forest {
  readonly featureCount: number;
  readonly baseMargin: number;
  /** `[trees]` root node of each tree. */
  readonly roots: Int32Array;
  /** `[trees]` deepest path of each tree, in splits. */
  readonly depths: Int32Array;
  readonly splitFeature: Int32Array;
  readonly splitValue: Float64Array;
  /** Right child; the left child of node n is n + 1. */
  readonly right: Int32Array;
  readonly defaultLeft: Uint8Array;
  readonly cover: Float64Array;
  /** The node's index in its `DecisionTree` (XGBoost's node id for loaded models). */
  readonly sourceNode: Int32Array;
  /** Categorical nodes: first word of the node's right-hand category bitset in `categoryBits`. */
  readonly categoryOffset: Int32Array;
  /** Categorical nodes: words in the node's bitset. */
  readonly categoryWords: Int32Array;
  readonly categoryBits: Uint32Array;
}

function reachableNodes(tree: DecisionTree): number[] {
  const order: number[] = [];
  const stack = [0];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    order.push(node);
    const left = tree.left[node] ?? -1;
    if (left >= 0) stack.push(tree.right[node] ?? -1, left);
  }
  return order;
}

export function compileForest(
  trees: readonly DecisionTree[],
  featureCount: number,
  baseMargin: number,
): Forest {
  const orders = trees.map(reachableNodes);
  let nodes = 0;
  let words = 0;
  trees.forEach((tree, index) => {
    nodes += orders[index]?.length ?? 0;
    for (const codes of tree.categories.values()) words += (Math.max(0, ...codes) >>> 5) + 1;
  });
  const forest = {
    featureCount,
    baseMargin,
    roots: new Int32Array(trees.length),
    depths: new Int32Array(trees.length),
    splitFeature: new Int32Array(nodes),
    splitValue: new Float64Array(nodes),
    right: new Int32Array(nodes).fill(-1),
    defaultLeft: new Uint8Array(nodes),
    cover: new Float64Array(nodes),
    sourceNode: new Int32Array(nodes),
    categoryOffset: new Int32Array(nodes).fill(-1),
    categoryWords: new Int32Array(nodes),
    categoryBits: new Uint32Array(words),
  };
  let base = 0;
  let word = 0;
  trees.forEach((tree, index) => {
    const order = orders[index] ?? [];
    const position = new Map<number, number>();
    order.forEach((node, at) => {
      position.set(node, base + at);
    });
    forest.roots[index] = base;
    forest.depths[index] = treeDepth(tree);
    order.forEach((node, offset) => {
      const at = base + offset;
      forest.sourceNode[at] = node;
      forest.cover[at] = tree.cover[node] ?? 0;
      const left = tree.left[node] ?? -1;
      if (left < 0) {
        forest.splitFeature[at] = -1;
        forest.splitValue[at] = tree.value[node] ?? 0;
        return;
      }
      forest.right[at] = position.get(tree.right[node] ?? -1) ?? -1;
      forest.defaultLeft[at] = tree.defaultLeft[node] ?? 0;
      const feature = tree.feature[node] ?? 0;
      const codes = tree.categories.get(node);
      if (codes === undefined) {
        forest.splitFeature[at] = feature;
        forest.splitValue[at] = tree.threshold[node] ?? 0;
        return;
      }
      forest.splitFeature[at] = -feature - 2;
      const length = (Math.max(0, ...codes) >>> 5) + 1;
      forest.categoryOffset[at] = word;
      forest.categoryWords[at] = length;
      for (const code of codes) {
        const slot = word + (code >>> 5);
        forest.categoryBits[slot] = ((forest.categoryBits[slot] ?? 0) | (1 << (code & 31))) >>> 0;
      }
      word += length;
    });
    base += order.length;
  });
  return forest;
}

/**
 * The child a row takes at a categorical node (XGBoost's rule): a listed category goes right;
 * anything else (unseen, negative, too large) left; a missing value its default way.
 */
export function categoricalChild(forest: Forest, node: number, x: number): number {
  if (Number.isNaN(x)) return forest.defaultLeft[node] === 1 ? node + 1 : (forest.right[node] ?? 0);
  const code = Math.trunc(x);
  const word = code >>> 5;
  const inSet =
    code >= 0 &&
    word < (forest.categoryWords[node] ?? 0) &&
    (((forest.categoryBits[(forest.categoryOffset[node] ?? 0) + word] ?? 0) >>> (code & 31)) & 1) === 1;
  return inSet ? (forest.right[node] ?? 0) : node + 1;
}

/**
 * The leaf a row reaches in the tree rooted at `root`; `values[offset + f]` is feature f.
 * Allocation-free: this is the scorer's inner loop.
 */
export function leafOf(forest: Forest, root: number, values: ArrayLike<number>, offset: number): number {
  const { splitFeature, splitValue, right, defaultLeft } = forest;
  let node = root;
  for (;;) {
    const feature = splitFeature[node] ?? -1;
    if (feature >= 0) {
      const x = values[offset + feature] ?? Number.NaN;
      if (x < (splitValue[node] ?? 0)) node += 1;
      else if (Number.isNaN(x) && defaultLeft[node] === 1) node += 1;
      else node = right[node] ?? 0;
    } else if (feature === -1) {
      return node;
    } else {
      node = categoricalChild(forest, node, values[offset - feature - 2] ?? Number.NaN);
    }
  }
}

/** Raw margin of one row: base margin plus one leaf per tree. */
export function rowMargin(forest: Forest, values: ArrayLike<number>, offset: number): number {
  const { roots, splitValue } = forest;
  let margin = forest.baseMargin;
  for (let tree = 0; tree < roots.length; tree++) {
    margin += splitValue[leafOf(forest, roots[tree] ?? 0, values, offset)] ?? 0;
  }
  return margin;
}

/**
 * Margins of `rows` rows of a row-major matrix into `out` (`[rows]`). Tree by tree over blocks
 * of rows, so one tree's nodes stay in cache while a block of rows walks it; the sums are in
 * tree order, as in `rowMargin`, so both give the same bits.
 */
export function batchMargins(
  forest: Forest,
  values: ArrayLike<number>,
  rows: number,
  out: Float64Array,
): void {
  const { roots, splitFeature, splitValue, right, defaultLeft, featureCount } = forest;
  const block = 128;
  for (let first = 0; first < rows; first += block) {
    const last = Math.min(rows, first + block);
    for (let row = first; row < last; row++) out[row] = forest.baseMargin;
    for (let tree = 0; tree < roots.length; tree++) {
      const root = roots[tree] ?? 0;
      for (let row = first; row < last; row++) {
        const offset = row * featureCount;
        let node = root;
        for (;;) {
          const feature = splitFeature[node] ?? -1;
          if (feature >= 0) {
            const x = values[offset + feature] ?? Number.NaN;
            if (x < (splitValue[node] ?? 0)) node += 1;
            else if (Number.isNaN(x) && defaultLeft[node] === 1) node += 1;
            else node = right[node] ?? 0;
          } else if (feature === -1) {
            break;
          } else {
            node = categoricalChild(forest, node, values[offset - feature - 2] ?? Number.NaN);
          }
        }
        out[row] = (out[row] ?? 0) + (splitValue[node] ?? 0);
      }
    }
  }
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}
