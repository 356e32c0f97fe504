import { categoricalChild, type Forest } from './forest.js';

/** The child a row takes at inner node `node` (the same routing as `leafOf`). */
function childOf(forest: Forest, node: number, values: ArrayLike<number>, offset: number): number {
  const feature = forest.splitFeature[node] ?? -1;
  if (feature < 0) return categoricalChild(forest, node, values[offset - feature - 2] ?? Number.NaN);
  const x = values[offset + feature] ?? Number.NaN;
  if (x < (forest.splitValue[node] ?? 0)) return node + 1;
  if (Number.isNaN(x) && forest.defaultLeft[node] === 1) return node + 1;
  return forest.right[node] ?? 0;
}

function splitFeatureOf(forest: Forest, node: number): number {
  const feature = forest.splitFeature[node] ?? -1;
  return feature >= 0 ? feature : -feature - 2;
}

/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2), written after
 * XGBoost's `RegTree::TreeShap` so that it reproduces `pred_contribs`: the contributions of a
 * row plus the bias (the expected margin under the training covers) sum to its raw margin.
 *
 * The path elements live in preallocated typed arrays sized by the deepest tree, so explaining
 * a row allocates nothing.
 */
export class TreeShapExplainer {
  private readonly forest: Forest;
  /** Expected leaf value below each node, weighted by cover. */
  private readonly meanValue: Float64Array;
  /** baseMargin + each tree's expected value: the last column of every explanation. */
  readonly bias: number;
  private readonly pathFeature: Int32Array;
  private readonly pathZero: Float64Array;
  private readonly pathOne: Float64Array;
  private readonly pathWeight: Float64Array;
  private values: ArrayLike<number> = [];
  private offset = 0;
  private out: Float64Array = new Float64Array(0);

  constructor(forest: Forest) {
    this.forest = forest;
    this.meanValue = new Float64Array(forest.splitFeature.length);
    let bias = forest.baseMargin;
    let deepest = 0;
    for (let tree = 0; tree < forest.roots.length; tree++) {
      bias += this.fillMeanValue(forest.roots[tree] ?? 0);
      deepest = Math.max(deepest, forest.depths[tree] ?? 0);
    }
    this.bias = bias;
    const maxd = deepest + 2;
    const size = (maxd * (maxd + 1)) / 2;
    this.pathFeature = new Int32Array(size);
    this.pathZero = new Float64Array(size);
    this.pathOne = new Float64Array(size);
    this.pathWeight = new Float64Array(size);
  }

  private fillMeanValue(node: number): number {
    const { forest } = this;
    const left = node + 1;
    let mean: number;
    if (forest.splitFeature[node] === -1) mean = forest.splitValue[node] ?? 0;
    else {
      const right = forest.right[node] ?? 0;
      mean =
        (this.fillMeanValue(left) * (forest.cover[left] ?? 0) +
          this.fillMeanValue(right) * (forest.cover[right] ?? 0)) /
        (forest.cover[node] ?? 0);
    }
    this.meanValue[node] = mean;
    return mean;
  }

  /**
   * Writes the contributions of the row at `values[offset .. offset + featureCount)` into
   * `out[0 .. featureCount)` and the bias into `out[featureCount]`.
   */
  explainRow(values: ArrayLike<number>, offset: number, out: Float64Array): void {
    const { forest } = this;
    out.fill(0, 0, forest.featureCount + 1);
    out[forest.featureCount] = this.bias;
    this.values = values;
    this.offset = offset;
    this.out = out;
    for (let tree = 0; tree < forest.roots.length; tree++) {
      const root = forest.roots[tree] ?? 0;
      if (forest.splitFeature[root] === -1) continue;
      this.recurse(root, 0, 0, 1, 1, -1);
    }
    this.values = [];
  }

  private extendPath(path: number, depth: number, zero: number, one: number, feature: number): void {
    const { pathFeature, pathZero, pathOne, pathWeight } = this;
    pathFeature[path + depth] = feature;
    pathZero[path + depth] = zero;
    pathOne[path + depth] = one;
    pathWeight[path + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      pathWeight[path + i + 1] =
        (pathWeight[path + i + 1] ?? 0) + (one * (pathWeight[path + i] ?? 0) * (i + 1)) / (depth + 1);
      pathWeight[path + i] = (zero * (pathWeight[path + i] ?? 0) * (depth - i)) / (depth + 1);
    }
  }

  private unwindPath(path: number, depth: number, index: number): void {
    const { pathFeature, pathZero, pathOne, pathWeight } = this;
    const one = pathOne[path + index] ?? 0;
    const zero = pathZero[path + index] ?? 0;
    let nextOnePortion = pathWeight[path + depth] ?? 0;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const kept = pathWeight[path + i] ?? 0;
        pathWeight[path + i] = (nextOnePortion * (depth + 1)) / ((i + 1) * one);
        nextOnePortion = kept - ((pathWeight[path + i] ?? 0) * zero * (depth - i)) / (depth + 1);
      } else {
        pathWeight[path + i] = ((pathWeight[path + i] ?? 0) * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      pathFeature[path + i] = pathFeature[path + i + 1] ?? 0;
      pathZero[path + i] = pathZero[path + i + 1] ?? 0;
      pathOne[path + i] = pathOne[path + i + 1] ?? 0;
    }
  }

  private unwoundPathSum(path: number, depth: number, index: number): number {
    const { pathZero, pathOne, pathWeight } = this;
    const one = pathOne[path + index] ?? 0;
    const zero = pathZero[path + index] ?? 0;
    let nextOnePortion = pathWeight[path + depth] ?? 0;
    let total = 0;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const part = (nextOnePortion * (depth + 1)) / ((i + 1) * one);
        total += part;
        nextOnePortion = (pathWeight[path + i] ?? 0) - part * zero * ((depth - i) / (depth + 1));
      } else if (zero !== 0) {
        total += (pathWeight[path + i] ?? 0) / zero / ((depth - i) / (depth + 1));
      }
    }
    return total;
  }

  private recurse(
    node: number,
    uniqueDepth: number,
    parentPath: number,
    parentZero: number,
    parentOne: number,
    parentFeature: number,
  ): void {
    const { forest, pathFeature, pathZero, pathOne, pathWeight } = this;
    // Each level works on its own copy of the path, laid out after its parent's.
    const path = parentPath + uniqueDepth + 1;
    pathFeature.copyWithin(path, parentPath, parentPath + uniqueDepth + 1);
    pathZero.copyWithin(path, parentPath, parentPath + uniqueDepth + 1);
    pathOne.copyWithin(path, parentPath, parentPath + uniqueDepth + 1);
    pathWeight.copyWithin(path, parentPath, parentPath + uniqueDepth + 1);
    this.extendPath(path, uniqueDepth, parentZero, parentOne, parentFeature);

    const left = node + 1;
    if (forest.splitFeature[node] === -1) {
      const leafValue = forest.splitValue[node] ?? 0;
      for (let i = 1; i <= uniqueDepth; i++) {
        const weight = this.unwoundPathSum(path, uniqueDepth, i);
        const feature = pathFeature[path + i] ?? 0;
        this.out[feature] =
          (this.out[feature] ?? 0) +
          weight * ((pathOne[path + i] ?? 0) - (pathZero[path + i] ?? 0)) * leafValue;
      }
      return;
    }
    const feature = splitFeatureOf(forest, node);
    const hot = childOf(forest, node, this.values, this.offset);
    const cold = hot === left ? (forest.right[node] ?? 0) : left;
    const cover = forest.cover[node] ?? 0;
    const hotZero = (forest.cover[hot] ?? 0) / cover;
    const coldZero = (forest.cover[cold] ?? 0) / cover;
    let incomingZero = 1;
    let incomingOne = 1;
    let depth = uniqueDepth;
    // A feature already on the path is undone first, then redone for this split.
    let index = 0;
    for (; index <= depth; index++) if (pathFeature[path + index] === feature) break;
    if (index !== depth + 1) {
      incomingZero = pathZero[path + index] ?? 0;
      incomingOne = pathOne[path + index] ?? 0;
      this.unwindPath(path, depth, index);
      depth -= 1;
    }
    this.recurse(hot, depth + 1, path, hotZero * incomingZero, incomingOne, feature);
    this.recurse(cold, depth + 1, path, coldZero * incomingZero, 0, feature);
  }
}
