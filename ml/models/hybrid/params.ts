import type { BusinessCosts } from '../../eval/index.js';
import type { GbdtParams } from '../gbdt/params.js';
import type { GraphParams } from '../graph/index.js';
import type { SequenceParams } from '../sequence/index.js';
import type { CalibrationMethod } from '../stack/index.js';

export const COMPONENTS = ['gbdt', 'sequence', 'graph'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface HybridParams {
  /** The parts to train and stack; `gbdt` is always one of them (it carries the explanations). */
  readonly components: readonly ComponentName[];
  /** Out-of-fold stacking: folds by customer. @default 3 */
  readonly folds: number;
  /** Seeds folds and every component. @default 7 */
  readonly seed: number;
  readonly gbdt: Partial<GbdtParams>;
  readonly sequence: Partial<SequenceParams>;
  readonly graph: Partial<GraphParams>;
  /** @default 'isotonic' */
  readonly calibration: CalibrationMethod;
  /** The retention campaign's economics: they choose the decision threshold. */
  readonly costs: BusinessCosts;
}

/**
 * Boosting defaults for churn snapshots (tens to hundreds of thousands of rows, ~6% churners):
 * shallow trees with a small step and sampling generalise better here than XGBoost's defaults;
 * early stopping on each fold's held-out customers picks the number of trees.
 */
export const DEFAULT_GBDT_PARAMS: Partial<GbdtParams> = {
  rounds: 600,
  learningRate: 0.05,
  maxDepth: 5,
  minChildWeight: 5,
  subsample: 0.8,
  colsampleBytree: 0.8,
  lambda: 1,
  earlyStoppingRounds: 40,
  evalMetric: 'logloss',
};

/**
 * A month of a 10-a-month subscription kept for a year is worth about 120; a contact (an offer,
 * an agent's call) costs about 5 and keeps one churner in four. Override in cdk.json / `--costs`.
 */
export const DEFAULT_COSTS: BusinessCosts = { contactCost: 5, savedCustomerValue: 120, saveRate: 0.25 };

export const DEFAULT_HYBRID_PARAMS: HybridParams = {
  components: COMPONENTS,
  folds: 3,
  seed: 7,
  gbdt: DEFAULT_GBDT_PARAMS,
  sequence: {},
  graph: {},
  calibration: 'isotonic',
  costs: DEFAULT_COSTS,
};

export function resolveHybridParams(params: Partial<HybridParams> = {}): HybridParams {
  const resolved: HybridParams = {
    ...DEFAULT_HYBRID_PARAMS,
    ...params,
    gbdt: { ...DEFAULT_GBDT_PARAMS, ...params.gbdt },
    sequence: { ...params.sequence },
    graph: { ...params.graph },
  };
  const unknown = resolved.components.filter((name) => !(COMPONENTS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new RangeError(`components: unknown ${unknown.join(', ')}; expected ${COMPONENTS.join(', ')}`);
  if (!resolved.components.includes('gbdt')) throw new RangeError('components: must include gbdt');
  if (!Number.isInteger(resolved.folds) || resolved.folds < 2 || resolved.folds > 10)
    throw new RangeError(`folds: expected an integer in 2..10, got ${resolved.folds}`);
  if (!Number.isInteger(resolved.seed))
    throw new RangeError(`seed: expected an integer, got ${resolved.seed}`);
  return resolved;
}
