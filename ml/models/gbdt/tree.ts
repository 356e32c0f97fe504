/**
 * One regression tree, as trained here or loaded from XGBoost: arrays indexed by node, root 0.
 *
 * A numeric split sends `x < threshold` left, a missing value (`NaN`) to `defaultLeft`, the rest
 * right. A categorical split sends the categories listed in `categories` right and every other
 * code (unseen ones included) left, missing values to `defaultLeft`: XGBoost's semantics, so one
 * scorer serves both.
 */
export interface DecisionTree {
  /** `[nodes]` left child, -1 for a leaf. */
  readonly left: Int32Array;
  /** `[nodes]` right child, -1 for a leaf. */
  readonly right: Int32Array;
  /** `[nodes]` feature split on, -1 for a leaf. */
  readonly feature: Int32Array;
  /** `[nodes]` numeric split point (a float32 value); 0 for leaves and categorical splits. */
  readonly threshold: Float64Array;
  /** `[nodes]` 1 when missing values go left. */
  readonly defaultLeft: Uint8Array;
  /** `[nodes]` leaf output (learning rate applied); for inner nodes, the weight the node would have as a leaf. */
  readonly value: Float64Array;
  /** `[nodes]` hessian sum of the training rows that reached the node (TreeSHAP weighs paths by it). */
  readonly cover: Float64Array;
  /** `[nodes]` loss reduction of the split, 0 for leaves. */
  readonly gain: Float64Array;
  /** Categorical splits only: node -> the category codes that go right, ascending. */
  readonly categories: ReadonlyMap<number, readonly number[]>;
}

export function isLeaf(tree: DecisionTree, node: number): boolean {
  return (tree.left[node] ?? -1) < 0;
}

export function nodeCount(tree: DecisionTree): number {
  return tree.left.length;
}

/** Deepest root-to-leaf path, in splits. */
export function treeDepth(tree: DecisionTree): number {
  let deepest = 0;
  const stack: Array<[number, number]> = [[0, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    const left = tree.left[node] ?? -1;
    if (left < 0) {
      if (depth > deepest) deepest = depth;
      continue;
    }
    stack.push([left, depth + 1], [tree.right[node] ?? -1, depth + 1]);
  }
  return deepest;
}

/** Checks the links of a tree from any source: every node reached once from the root, no cycle. */
export function checkTreeShape(tree: DecisionTree, featureCount: number, label: string): void {
  const count = tree.left.length;
  const arrays = [
    tree.right,
    tree.feature,
    tree.threshold,
    tree.defaultLeft,
    tree.value,
    tree.cover,
    tree.gain,
  ];
  for (const array of arrays) {
    if (array.length !== count) throw new Error(`${label}: node arrays differ in length`);
  }
  if (count === 0) throw new Error(`${label}: no nodes`);
  const reached = new Uint8Array(count);
  const stack = [0];
  reached[0] = 1;
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const left = tree.left[node] ?? -1;
    const right = tree.right[node] ?? -1;
    if (left < 0 && right < 0) continue;
    const feature = tree.feature[node] ?? -1;
    if (feature < 0 || feature >= featureCount)
      throw new Error(`${label}: node ${node} splits on feature ${feature}, outside 0..${featureCount - 1}`);
    for (const child of [left, right]) {
      if (child <= 0 || child >= count)
        throw new Error(`${label}: node ${node} has child ${child}, outside 1..${count - 1}`);
      if (reached[child] === 1) throw new Error(`${label}: node ${child} is reached twice`);
      reached[child] = 1;
      stack.push(child);
    }
  }
  for (const [node, codes] of tree.categories) {
    if ((tree.left[node] ?? -1) < 0) throw new Error(`${label}: leaf ${node} has a category set`);
    for (const code of codes) {
      if (!Number.isInteger(code) || code < 0) throw new Error(`${label}: node ${node} has category ${code}`);
    }
  }
}
