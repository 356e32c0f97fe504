import { availableParallelism } from 'node:os';

/**
 * Training parameters. Names follow XGBoost's (in camelCase) and so do the defaults, except
 * `rounds` (XGBoost's `num_boost_round`, 10 there) and `threads`.
 */
export interface GbdtParams {
  /** Boosting rounds (trees), at most; early stopping may keep fewer. */
  readonly rounds: number;
  /** Shrinkage applied to every leaf (`eta`). */
  readonly learningRate: number;
  /** Deepest level a split may create; 0 = no limit (then `maxLeaves` must be set). */
  readonly maxDepth: number;
  /** Leaves per tree at most; 0 = no limit. */
  readonly maxLeaves: number;
  /** `depthwise` grows level by level; `lossguide` always splits the leaf with the best gain. */
  readonly growPolicy: 'depthwise' | 'lossguide';
  /** L2 regularisation on leaf weights. */
  readonly lambda: number;
  /** L1 regularisation on leaf weights. */
  readonly alpha: number;
  /** Least gain for a split to survive pruning (`min_split_loss`). */
  readonly gamma: number;
  /** Least hessian sum in a child. */
  readonly minChildWeight: number;
  /** Share of rows drawn (Bernoulli, seeded) for each tree. */
  readonly subsample: number;
  /** Share of features drawn (without replacement, seeded) for each tree. */
  readonly colsampleBytree: number;
  /** Weight multiplier of positive rows, for imbalanced classes. */
  readonly scalePosWeight: number;
  /** Initial prediction as a probability (XGBoost 1.7: 0.5, i.e. margin 0). */
  readonly baseScore: number;
  /** Histogram slots per feature, the missing-value slot included (XGBoost's `max_bin`). */
  readonly maxBin: number;
  /** Categorical features with fewer categories than this split one category against the rest. */
  readonly maxCatToOnehot: number;
  /** Categories at most on the smaller side of a partition split. */
  readonly maxCatThreshold: number;
  /** Seeds row and column sampling. */
  readonly seed: number;
  /** Threads building histograms: the calling thread plus `threads - 1` worker threads. */
  readonly threads: number;
  /** Below this many rows x features the work is too small to share, and one thread trains. */
  readonly minParallelCells: number;
  /** Stop when the validation metric has not improved for this many rounds; 0 = never. */
  readonly earlyStoppingRounds: number;
  /** Validation metric for early stopping and the training log. */
  readonly evalMetric: 'logloss' | 'auc';
}

export const DEFAULT_PARAMS: GbdtParams = {
  rounds: 100,
  learningRate: 0.3,
  maxDepth: 6,
  maxLeaves: 0,
  growPolicy: 'depthwise',
  lambda: 1,
  alpha: 0,
  gamma: 0,
  minChildWeight: 1,
  subsample: 1,
  colsampleBytree: 1,
  scalePosWeight: 1,
  baseScore: 0.5,
  maxBin: 256,
  maxCatToOnehot: 4,
  maxCatThreshold: 64,
  seed: 0,
  threads: Math.min(2, availableParallelism()),
  minParallelCells: 50_000,
  earlyStoppingRounds: 0,
  evalMetric: 'logloss',
};

function check(ok: boolean, name: keyof GbdtParams, rule: string, value: unknown): void {
  if (!ok) throw new RangeError(`gbdt parameter ${name} must be ${rule}, got ${String(value)}`);
}

const isWhole = (value: number, least: number): boolean => Number.isInteger(value) && value >= least;

/** Defaults filled in and every value checked, with a message naming the parameter and its rule. */
export function resolveParams(params: Partial<GbdtParams> = {}): GbdtParams {
  const resolved: GbdtParams = { ...DEFAULT_PARAMS, ...params };
  const p = resolved;
  check(isWhole(p.rounds, 1), 'rounds', 'an integer >= 1', p.rounds);
  check(p.learningRate > 0 && p.learningRate <= 1, 'learningRate', 'in (0, 1]', p.learningRate);
  check(isWhole(p.maxDepth, 0) && p.maxDepth <= 30, 'maxDepth', 'an integer in [0, 30]', p.maxDepth);
  check(isWhole(p.maxLeaves, 0), 'maxLeaves', 'an integer >= 0', p.maxLeaves);
  check(p.maxLeaves !== 1, 'maxLeaves', 'not 1 (a tree needs two leaves to split)', p.maxLeaves);
  check(
    p.growPolicy === 'depthwise' || p.growPolicy === 'lossguide',
    'growPolicy',
    "'depthwise' or 'lossguide'",
    p.growPolicy,
  );
  check(p.maxDepth > 0 || p.maxLeaves > 0, 'maxDepth', '> 0 unless maxLeaves limits the tree', p.maxDepth);
  check(
    p.maxDepth > 0 || p.growPolicy === 'lossguide',
    'maxDepth',
    "> 0 with growPolicy 'depthwise'",
    p.maxDepth,
  );
  check(p.lambda >= 0 && Number.isFinite(p.lambda), 'lambda', 'finite and >= 0', p.lambda);
  check(p.alpha >= 0 && Number.isFinite(p.alpha), 'alpha', 'finite and >= 0', p.alpha);
  check(p.gamma >= 0 && Number.isFinite(p.gamma), 'gamma', 'finite and >= 0', p.gamma);
  check(
    p.minChildWeight >= 0 && Number.isFinite(p.minChildWeight),
    'minChildWeight',
    'finite and >= 0',
    p.minChildWeight,
  );
  check(p.subsample > 0 && p.subsample <= 1, 'subsample', 'in (0, 1]', p.subsample);
  check(p.colsampleBytree > 0 && p.colsampleBytree <= 1, 'colsampleBytree', 'in (0, 1]', p.colsampleBytree);
  check(
    p.scalePosWeight > 0 && Number.isFinite(p.scalePosWeight),
    'scalePosWeight',
    'finite and > 0',
    p.scalePosWeight,
  );
  check(p.baseScore > 0 && p.baseScore < 1, 'baseScore', 'a probability in (0, 1)', p.baseScore);
  check(isWhole(p.maxBin, 3) && p.maxBin <= 256, 'maxBin', 'an integer in [3, 256]', p.maxBin);
  check(isWhole(p.maxCatToOnehot, 1), 'maxCatToOnehot', 'an integer >= 1', p.maxCatToOnehot);
  check(isWhole(p.maxCatThreshold, 1), 'maxCatThreshold', 'an integer >= 1', p.maxCatThreshold);
  check(isWhole(p.seed, 0) && p.seed <= 0xffffffff, 'seed', 'an integer in [0, 2^32)', p.seed);
  check(isWhole(p.threads, 1) && p.threads <= 64, 'threads', 'an integer in [1, 64]', p.threads);
  check(isWhole(p.minParallelCells, 0), 'minParallelCells', 'an integer >= 0', p.minParallelCells);
  check(isWhole(p.earlyStoppingRounds, 0), 'earlyStoppingRounds', 'an integer >= 0', p.earlyStoppingRounds);
  check(
    p.evalMetric === 'logloss' || p.evalMetric === 'auc',
    'evalMetric',
    "'logloss' or 'auc'",
    p.evalMetric,
  );
  return resolved;
}
