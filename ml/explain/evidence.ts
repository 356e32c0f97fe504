import { FEATURE_NAMES } from '../features/features.js';
import { SEQUENCE_CHANNELS } from '../features/sequence.js';
import {
  type DriverGroup,
  GRAPH_REASON,
  groupOfFeature,
  type ReasonCodeName,
  SEQUENCE_CHANNEL_REASONS,
  SEQUENCE_DEFAULT_REASON,
} from './catalogue.js';

/** What the stacked model says about one customer, without the feature values. */
export interface ContributionInput {
  /**
   * Contribution of each tabular feature to the final churn logit (TreeSHAP of the boosting part
   * times its stack weight); > 0 pushes towards churn. Keys are feature names.
   */
  readonly featureContributions: Readonly<Record<string, number>>;
  /**
   * The sequence part: its contribution to the final logit, and per channel the logit change
   * (occlusion) for that channel. Absent when the model has no sequence part.
   */
  readonly sequence?: {
    readonly contribution: number;
    readonly channelEffects: Readonly<Record<string, number>>;
  };
  /** The graph part: its contribution to the final logit and neighbourhood facts. */
  readonly graph?: {
    readonly contribution: number;
    readonly neighbours: number;
    readonly neighboursGone: number;
    readonly riskyNeighbours: number;
  };
}

/** Evidence names for the two non-tabular parts, beside feature names. */
export const SEQUENCE_EVIDENCE = 'sequence';
export const GRAPH_EVIDENCE = 'graph';

/** Per group, the logit amounts behind it by evidence name (feature, `sequence` or `graph`). */
export type GroupEvidence = Map<DriverGroup, Map<string, number>>;

const FEATURE_ORDER: ReadonlyMap<string, number> = new Map(FEATURE_NAMES.map((name, index) => [name, index]));
const CHANNEL_ORDER: ReadonlyMap<string, number> = new Map(
  SEQUENCE_CHANNELS.map((channel, index) => [channel, index]),
);
const CHANNEL_REASONS: ReadonlyMap<string, readonly ReasonCodeName[]> = new Map(
  Object.entries(SEQUENCE_CHANNEL_REASONS),
);

/**
 * Known names in catalogue order, then the rest by name: floating-point sums then do not depend
 * on the order in which a caller built its record.
 */
export function canonicalOrder(names: Iterable<string>, order: ReadonlyMap<string, number>): string[] {
  return [...names].sort((left, right) => {
    const a = order.get(left);
    const b = order.get(right);
    if (a !== undefined && b !== undefined) return a - b;
    if (a !== undefined) return -1;
    if (b !== undefined) return 1;
    return left < right ? -1 : left > right ? 1 : 0;
  });
}

export function featureOrder(names: Iterable<string>): string[] {
  return canonicalOrder(names, FEATURE_ORDER);
}

function add(evidence: GroupEvidence, group: DriverGroup, name: string, amount: number): void {
  if (amount === 0) return;
  let amounts = evidence.get(group);
  if (amounts === undefined) {
    amounts = new Map();
    evidence.set(group, amounts);
  }
  amounts.set(name, (amounts.get(name) ?? 0) + amount);
}

/** Sum of the amounts pointing the way of `direction` (+1 or -1), as a magnitude. */
function alignedTotal(amounts: ReadonlyMap<string, number> | undefined, direction: number): number {
  let total = 0;
  if (amounts !== undefined) for (const amount of amounts.values()) total += Math.max(0, direction * amount);
  return total;
}

/**
 * Shares the sequence part out over reasons: by the channels' occlusion effects that point the
 * same way as the part, and a channel with several reasons by those reasons' tabular evidence.
 */
function allocateSequence(
  evidence: GroupEvidence,
  contribution: number,
  channelEffects: Readonly<Record<string, number>>,
): void {
  const direction = Math.sign(contribution);
  const weights = new Map<string, number>();
  let totalWeight = 0;
  for (const channel of canonicalOrder(Object.keys(channelEffects), CHANNEL_ORDER)) {
    const effect = channelEffects[channel];
    if (typeof effect !== 'number' || !Number.isFinite(effect)) continue;
    const weight = Math.max(0, direction * effect);
    if (weight === 0) continue;
    weights.set(channel, weight);
    totalWeight += weight;
  }
  if (totalWeight === 0) {
    add(evidence, SEQUENCE_DEFAULT_REASON, SEQUENCE_EVIDENCE, contribution);
    return;
  }
  // Tabular evidence as it stood before any sequence share was added, so channel order cannot matter.
  const tabular = new Map(
    [...evidence].map(([group, amounts]) => [group, alignedTotal(amounts, direction)] as const),
  );
  for (const [channel, weight] of weights) {
    const share = (contribution * weight) / totalWeight;
    const reasons = CHANNEL_REASONS.get(channel) ?? [SEQUENCE_DEFAULT_REASON];
    const support = reasons.map((reason) => tabular.get(reason) ?? 0);
    const totalSupport = support.reduce((sum, value) => sum + value, 0);
    reasons.forEach((reason, index) => {
      const part = totalSupport > 0 ? (support[index] ?? 0) / totalSupport : 1 / reasons.length;
      add(evidence, reason, SEQUENCE_EVIDENCE, share * part);
    });
  }
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The model's evidence grouped by reason. `positive` keeps only what pushes towards churn (a
 * reason is built from those); `signed` keeps both directions (for drivers over many customers).
 * NaN and infinite contributions are skipped: a broken number must not become a reason.
 */
export function groupEvidence(input: ContributionInput, mode: 'positive' | 'signed'): GroupEvidence {
  const evidence: GroupEvidence = new Map();
  const keep = (amount: unknown): amount is number => finite(amount) && (mode === 'signed' || amount > 0);
  const contributions = input.featureContributions;
  for (const feature of featureOrder(Object.keys(contributions))) {
    const amount = contributions[feature];
    if (keep(amount)) add(evidence, groupOfFeature(feature), feature, amount);
  }
  const sequence = input.sequence;
  if (sequence !== undefined && keep(sequence.contribution)) {
    allocateSequence(evidence, sequence.contribution, sequence.channelEffects ?? {});
  }
  const graph = input.graph;
  if (graph !== undefined && keep(graph.contribution)) {
    add(evidence, GRAPH_REASON, GRAPH_EVIDENCE, graph.contribution);
  }
  return evidence;
}

export function totalOf(amounts: ReadonlyMap<string, number> | undefined): number {
  let total = 0;
  if (amounts !== undefined) for (const amount of amounts.values()) total += amount;
  return total;
}
