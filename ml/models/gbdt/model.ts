import type { FeatureSpec } from './dataset.js';
import { batchMargins, compileForest, type Forest, leafOf, rowMargin, sigmoid } from './forest.js';
import type { GbdtParams } from './params.js';
import { checkTreeShape, type DecisionTree } from './tree.js';
import { TreeShapExplainer } from './tree-shap.js';

/** What training recorded; absent for models loaded from XGBoost. */
export interface TrainingSummary {
  readonly params: GbdtParams;
  /** Rounds run (early stopping may end before `params.rounds`). */
  readonly roundsRun: number;
  /** Index of the round whose model is kept (the best validation score, else the last round). */
  readonly bestIteration: number;
  /** Validation metric per round (`params.evalMetric`); empty without a validation set. */
  readonly validationHistory: readonly number[];
  /** Threads that built histograms (1 when the data was below `minParallelCells`). */
  readonly threads: number;
}

export interface GbdtModelInit {
  readonly trees: readonly DecisionTree[];
  readonly features: readonly FeatureSpec[];
  /** Raw margin before any tree (logit of the base score). */
  readonly baseMargin: number;
  readonly training?: TrainingSummary;
  /** Where the trees came from, e.g. `churn-radar` or `xgboost 1.7.4`. */
  readonly source?: string;
}

/**
 * A trained binary classifier: a sum of regression trees on the logit scale. Inputs are
 * row-major `[rows, features.length]` matrices (or one row) with `NaN` for missing values and
 * categorical features as integer codes. Batch calls return new arrays; single-row calls
 * allocate nothing.
 */
export class GbdtModel {
  readonly trees: readonly DecisionTree[];
  readonly features: readonly FeatureSpec[];
  readonly baseMargin: number;
  readonly training: TrainingSummary | undefined;
  readonly source: string;
  private readonly forest: Forest;
  private explainer: TreeShapExplainer | undefined;

  constructor(init: GbdtModelInit) {
    this.trees = init.trees;
    this.features = init.features;
    this.baseMargin = init.baseMargin;
    this.training = init.training;
    this.source = init.source ?? 'churn-radar';
    init.trees.forEach((tree, index) => {
      checkTreeShape(tree, init.features.length, `tree ${index}`);
    });
    this.forest = compileForest(init.trees, init.features.length, init.baseMargin);
  }

  get featureCount(): number {
    return this.features.length;
  }

  private rowsOf(values: ArrayLike<number>, rows: number | undefined): number {
    const count = rows ?? values.length / this.featureCount;
    if (!Number.isInteger(count) || count * this.featureCount > values.length) {
      throw new RangeError(
        `expected rows x ${this.featureCount} features, got ${values.length} values${rows === undefined ? '' : ` for ${rows} rows`}`,
      );
    }
    return count;
  }

  /** `[rows]` raw margins (log-odds). */
  predictMargin(values: ArrayLike<number>, rows?: number): Float64Array {
    const count = this.rowsOf(values, rows);
    const out = new Float64Array(count);
    batchMargins(this.forest, values, count, out);
    return out;
  }

  /** `[rows]` churn probabilities. */
  predictProbability(values: ArrayLike<number>, rows?: number): Float64Array {
    const out = this.predictMargin(values, rows);
    for (let row = 0; row < out.length; row++) out[row] = sigmoid(out[row] ?? 0);
    return out;
  }

  /** Raw margin of the row at `values[offset .. offset + featureCount)`. */
  predictRowMargin(values: ArrayLike<number>, offset = 0): number {
    return rowMargin(this.forest, values, offset);
  }

  predictRowProbability(values: ArrayLike<number>, offset = 0): number {
    return sigmoid(rowMargin(this.forest, values, offset));
  }

  /** `[rows, trees]` leaf reached in each tree, as a node index within that tree (XGBoost's `pred_leaf`). */
  predictLeaves(values: ArrayLike<number>, rows?: number): Int32Array {
    const count = this.rowsOf(values, rows);
    const { roots } = this.forest;
    const out = new Int32Array(count * roots.length);
    for (let row = 0; row < count; row++) {
      for (let tree = 0; tree < roots.length; tree++) {
        const leaf = leafOf(this.forest, roots[tree] ?? 0, values, row * this.featureCount);
        out[row * roots.length + tree] = this.forest.sourceNode[leaf] ?? -1;
      }
    }
    return out;
  }

  private shap(): TreeShapExplainer {
    this.explainer ??= new TreeShapExplainer(this.forest);
    return this.explainer;
  }

  /** The expected margin over the training data as the covers record it: SHAP's bias term. */
  get expectedMargin(): number {
    return this.shap().bias;
  }

  /**
   * `[rows, features + 1]` exact TreeSHAP contributions to the raw margin, the bias last (as
   * XGBoost's `pred_contribs`); each row sums to its margin.
   */
  contributions(values: ArrayLike<number>, rows?: number): Float64Array {
    const count = this.rowsOf(values, rows);
    const width = this.featureCount + 1;
    const out = new Float64Array(count * width);
    const explainer = this.shap();
    for (let row = 0; row < count; row++) {
      explainer.explainRow(values, row * this.featureCount, out.subarray(row * width, (row + 1) * width));
    }
    return out;
  }

  /** Contributions of one row into `out` (`[features + 1]`, allocated when not given). */
  rowContributions(
    values: ArrayLike<number>,
    offset = 0,
    out = new Float64Array(this.featureCount + 1),
  ): Float64Array {
    if (out.length < this.featureCount + 1)
      throw new RangeError(`out must hold ${this.featureCount + 1} numbers`);
    this.shap().explainRow(values, offset, out);
    return out;
  }
}
