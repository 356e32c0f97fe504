import { FEATURE_DEFINITIONS } from '../../features/features.js';
import { GraphDataError } from './errors.js';

/**
 * How a raw feature is squashed before standardising: `log1p` for counts, durations and
 * recencies (heavy right tails; a negative value counts as 0), `signed-log1p` for values that
 * can be negative (sign(x) log1p(|x|)), `identity` for flags, ratios and scores.
 */
export type NodeTransform = 'log1p' | 'signed-log1p' | 'identity';

export interface NodeFeatureSpec {
  /** A numeric feature of `FEATURE_DEFINITIONS` (or any numeric key the examples carry). */
  readonly name: string;
  readonly transform: NodeTransform;
}

/**
 * The node inputs by default: what says whether a customer is drifting away (activity, its
 * trend and recency), what pushes them (failed payments, support, the end of a promo, price),
 * where they stand in the billing cycle (cancelled, days to the paid-until date), and tenure and
 * degree. Every node of the graph reads the same list: the customer and each neighbour.
 */
export const DEFAULT_NODE_FEATURES: readonly NodeFeatureSpec[] = [
  { name: 'active_days_7d', transform: 'log1p' },
  { name: 'active_days_30d', transform: 'log1p' },
  { name: 'play_minutes_30d', transform: 'log1p' },
  { name: 'trend_sessions_14d', transform: 'log1p' },
  { name: 'trend_minutes_30d', transform: 'log1p' },
  { name: 'days_since_last_session', transform: 'log1p' },
  { name: 'failed_payments_30d', transform: 'log1p' },
  { name: 'days_since_last_failed_payment', transform: 'log1p' },
  { name: 'days_to_paid_until', transform: 'signed-log1p' },
  { name: 'is_cancelled', transform: 'identity' },
  { name: 'cancel_page_views_30d', transform: 'log1p' },
  { name: 'support_tickets_30d', transform: 'log1p' },
  { name: 'mean_csat_90d', transform: 'identity' },
  { name: 'buffering_per_session_30d', transform: 'log1p' },
  { name: 'monthly_price', transform: 'log1p' },
  { name: 'promo_days_to_end', transform: 'log1p' },
  { name: 'promo_ended_30d', transform: 'identity' },
  { name: 'tenure_days', transform: 'log1p' },
  { name: 'graph_neighbours', transform: 'log1p' },
];

export interface GraphParams {
  /** Numeric features every node reads. @default DEFAULT_NODE_FEATURES (19) */
  readonly nodeFeatures: readonly NodeFeatureSpec[];
  /** GraphSAGE layers, 1 to 3; each lets a customer see one hop further. @default 2 */
  readonly layers: number;
  /** Neighbours sampled per node at each hop, the customer's own first; one per layer. @default [10, 5] */
  readonly fanOuts: readonly number[];
  /** Units of every SAGE layer. @default 32 */
  readonly hiddenUnits: number;
  /**
   * false: the same network with every neighbour masked out and the neighbourhood counts zeroed,
   * i.e. a model of the customer's own features (the ablation that measures what the graph adds).
   * @default true
   */
  readonly useNeighbourhood: boolean;
  /** Upper bound on passes; early stopping usually ends sooner. @default 40 */
  readonly epochs: number;
  /** @default 512 */
  readonly batchSize: number;
  /** Adam's step size. @default 0.003 */
  readonly learningRate: number;
  /**
   * Extra L2 on the kernel rows that read the neighbourhood (neighbour means, neighbourhood
   * counts): the network must find the neighbourhood worth it before it leans on it. Without it,
   * a neighbourhood that carries little (as in the simulator at a 30-day horizon) costs AUC the
   * way any uninformative input does. @default 0.01
   */
  readonly neighbourL2: number;
  /** Share of the node inputs zeroed at random in training (inverted dropout). @default 0.3 */
  readonly dropout: number;
  /** L2 penalty on the kernels (not biases), added to the mean loss. @default 0.00001 */
  readonly l2: number;
  /**
   * Epochs without a better validation AUC before stopping; the best epoch's weights are kept.
   * 0 = no early stopping: every epoch runs, the last is kept and nothing is held out (a refit
   * for a number of epochs found before). @default 5
   */
  readonly patience: number;
  /**
   * Each epoch trains on every labelled churner and this many non-churners per churner, drawn
   * afresh each epoch (balances the ~6% positives and cuts the epoch cost). 0 = every
   * non-churner, every epoch. @default 4
   */
  readonly negativesPerPositive: number;
  /** Loss weight of a churner relative to a non-churner. @default 1 */
  readonly positiveWeight: number;
  /**
   * Share of the customers held out for early stopping when no `validation` is given, picked by
   * a seeded hash of user_id with all their snapshots; they stay in the graph as neighbours.
   * 0 = no early stopping.
   * @default 0.1
   */
  readonly validationFraction: number;
  /** Seeds initialisation, neighbour sampling, negatives, order and the hold-out. @default 42 */
  readonly seed: number;
}

export const DEFAULT_GRAPH_PARAMS: GraphParams = {
  nodeFeatures: DEFAULT_NODE_FEATURES,
  layers: 2,
  fanOuts: [10, 5],
  hiddenUnits: 32,
  useNeighbourhood: true,
  epochs: 40,
  batchSize: 512,
  learningRate: 0.003,
  l2: 0.00001,
  neighbourL2: 0.01,
  dropout: 0.3,
  patience: 5,
  negativesPerPositive: 4,
  positiveWeight: 1,
  validationFraction: 0.1,
  seed: 42,
};

const MAX_FAN_OUT = 64;
const MAX_EPOCHS = 10_000;

function fail(field: string, rule: string, value: unknown): never {
  throw new GraphDataError(`params.${field}: ${rule}, got ${JSON.stringify(value) ?? String(value)}`);
}

function integerIn(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(field, `expected an integer from ${min} to ${max}`, value);
}

function numberIn(field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value > max ||
    value < min ||
    (minExclusive && value === min)
  )
    fail(
      field,
      `expected a number ${minExclusive ? 'above' : 'from'} ${min}${max === Number.POSITIVE_INFINITY ? '' : ` to ${max}`}`,
      value,
    );
}

const CATEGORICAL_FEATURES = new Set<string>(
  FEATURE_DEFINITIONS.filter((definition) => definition.kind === 'categorical').map(
    (definition) => definition.name,
  ),
);

/** Defaults filled in and every field checked; the error names the field and the rule. */
export function resolveGraphParams(params: Partial<GraphParams> = {}): GraphParams {
  const resolved: GraphParams = { ...DEFAULT_GRAPH_PARAMS };
  for (const [key, value] of Object.entries(params)) {
    if (!(key in DEFAULT_GRAPH_PARAMS)) fail(key, 'unknown parameter', value);
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const { nodeFeatures, fanOuts } = resolved;
  if (!Array.isArray(nodeFeatures) || nodeFeatures.length === 0)
    fail('nodeFeatures', 'expected a non-empty array', nodeFeatures);
  const seen = new Set<string>();
  nodeFeatures.forEach((spec: NodeFeatureSpec, index) => {
    const field = `nodeFeatures[${index}]`;
    if (typeof spec !== 'object' || spec === null) fail(field, 'expected { name, transform }', spec);
    if (typeof spec.name !== 'string' || spec.name === '')
      fail(`${field}.name`, 'expected a feature name', spec.name);
    if (CATEGORICAL_FEATURES.has(spec.name))
      fail(`${field}.name`, 'expected a numeric feature (this one is categorical)', spec.name);
    if (seen.has(spec.name)) fail(`${field}.name`, 'expected each feature once', spec.name);
    seen.add(spec.name);
    if (spec.transform !== 'log1p' && spec.transform !== 'signed-log1p' && spec.transform !== 'identity')
      fail(`${field}.transform`, "expected 'log1p', 'signed-log1p' or 'identity'", spec.transform);
  });
  integerIn('layers', resolved.layers, 1, 3);
  if (!Array.isArray(fanOuts) || fanOuts.length !== resolved.layers)
    fail('fanOuts', `expected one fan-out per layer (${resolved.layers})`, fanOuts);
  fanOuts.forEach((fanOut, index) => {
    integerIn(`fanOuts[${index}]`, fanOut, 1, MAX_FAN_OUT);
  });
  integerIn('hiddenUnits', resolved.hiddenUnits, 1, 1024);
  if (typeof resolved.useNeighbourhood !== 'boolean')
    fail('useNeighbourhood', 'expected true or false', resolved.useNeighbourhood);
  integerIn('epochs', resolved.epochs, 1, MAX_EPOCHS);
  integerIn('batchSize', resolved.batchSize, 1, 65_536);
  numberIn('learningRate', resolved.learningRate, 0, 1, true);
  numberIn('l2', resolved.l2, 0, Number.POSITIVE_INFINITY);
  numberIn('neighbourL2', resolved.neighbourL2, 0, Number.POSITIVE_INFINITY);
  numberIn('dropout', resolved.dropout, 0, 0.9);
  integerIn('patience', resolved.patience, 0, MAX_EPOCHS);
  numberIn('negativesPerPositive', resolved.negativesPerPositive, 0, Number.POSITIVE_INFINITY);
  numberIn('positiveWeight', resolved.positiveWeight, 0, Number.POSITIVE_INFINITY, true);
  numberIn('validationFraction', resolved.validationFraction, 0, 0.5);
  integerIn('seed', resolved.seed, 0, 2 ** 32 - 1);
  return {
    ...resolved,
    nodeFeatures: nodeFeatures.map((spec) => ({ name: spec.name, transform: spec.transform })),
    fanOuts: [...fanOuts],
  };
}
