import type { FeatureVector } from '../features/features.js';
import {
  DEFAULT_MAX_REASONS,
  DEFAULT_MIN_WEIGHT,
  MAX_FACTS_PER_REASON,
  REASON_CODES,
  type ReasonCodeName,
  type RetentionAction,
  retentionActionOf,
} from './catalogue.js';
import { type ContributionInput, groupEvidence, totalOf } from './evidence.js';
import { FACTS, type Fact, type FactContext, factContext } from './facts.js';

export interface ExplanationInput extends ContributionInput {
  /**
   * The customer's feature values at scoring time. Missing or non-finite values are allowed: a
   * statement that needs them is simply not made.
   */
  readonly features: Readonly<Partial<FeatureVector>>;
}

export interface ReasonCode {
  readonly code: ReasonCodeName;
  /** Plain language from the customer's own values, e.g. "3 failed payments in 30 days". */
  readonly text: string;
  /** Logit weight behind it: the positive contributions of its features and its share of the sequence and graph parts. */
  readonly weight: number;
  readonly action: RetentionAction;
  /** What carries the weight, strongest first: feature names, and `sequence` / `graph` for those parts. */
  readonly features: readonly string[];
}

export interface Explanation {
  /** Strongest first; ties keep the catalogue order. */
  readonly reasons: readonly ReasonCode[];
  /** The action for the top reason, `no_action` without reasons. */
  readonly action: RetentionAction;
  readonly actionText: string;
}

export interface ExplainOptions {
  /** @default 3 */
  readonly maxReasons?: number;
  /** Logit weight a reason needs to be stated. @default 0.1 */
  readonly minWeight?: number;
  /**
   * The typical monthly price (e.g. the training mean of `monthly_price` from the model
   * artifact), so the price reason can say "above average". Without it the reason states the price.
   */
  readonly typicalMonthlyPrice?: number;
}

const FACTS_BY_CODE: ReadonlyMap<ReasonCodeName, readonly Fact[]> = new Map(
  REASON_CODES.map((reason) => [reason.code, FACTS.filter((fact) => fact.code === reason.code)] as const),
);

function evidenceScore(fact: Fact, amounts: ReadonlyMap<string, number>): number {
  let score = 0;
  for (const name of fact.evidence) score += amounts.get(name) ?? 0;
  return score;
}

/**
 * The statements of a reason: the supported one with the most evidence, then others on new
 * topics that have evidence of their own, up to `MAX_FACTS_PER_REASON`.
 */
function statementsOf(
  code: ReasonCodeName,
  amounts: ReadonlyMap<string, number>,
  values: FactContext,
): string[] {
  const ranked = (FACTS_BY_CODE.get(code) ?? [])
    .map((fact, order) => ({ fact, order, score: evidenceScore(fact, amounts) }))
    .sort((left, right) => right.score - left.score || left.order - right.order);
  const statements: string[] = [];
  const topics = new Set<string>();
  for (const { fact, score } of ranked) {
    if (statements.length >= MAX_FACTS_PER_REASON) break;
    if (topics.has(fact.topic) || (statements.length > 0 && score <= 0)) continue;
    const statement = fact.phrase(values);
    if (statement === undefined) continue;
    statements.push(statement);
    topics.add(fact.topic);
  }
  return statements;
}

function checkOptions(options: ExplainOptions): { maxReasons: number; minWeight: number } {
  const maxReasons = options.maxReasons ?? DEFAULT_MAX_REASONS;
  if (!Number.isInteger(maxReasons) || maxReasons < 0) {
    throw new RangeError(`explainChurnRisk: maxReasons must be an integer >= 0, got ${maxReasons}`);
  }
  const minWeight = options.minWeight ?? DEFAULT_MIN_WEIGHT;
  if (!(Number.isFinite(minWeight) && minWeight >= 0)) {
    throw new RangeError(`explainChurnRisk: minWeight must be a finite number >= 0, got ${minWeight}`);
  }
  return { maxReasons, minWeight };
}

/**
 * Why a customer is at risk, in plain language, and what to do about it. Evidence is grouped by
 * reason (`REASON_CODES`): the positive contributions of the reason's features plus its share of
 * the sequence and graph parts. A reason is stated when its weight reaches `minWeight` and the
 * customer's values support at least one statement; a reason whose weight rests on values that
 * say nothing plain (say, a long tenure pushing the score up) is left out rather than guessed at.
 * Deterministic: the same input gives the same explanation, whatever the key order of its records.
 */
export function explainChurnRisk(input: ExplanationInput, options: ExplainOptions = {}): Explanation {
  const { maxReasons, minWeight } = checkOptions(options);
  const evidence = groupEvidence(input, 'positive');
  const values = factContext(input.features, input.graph, options.typicalMonthlyPrice);
  const candidates: { reason: ReasonCode; order: number }[] = [];
  REASON_CODES.forEach((entry, order) => {
    const amounts = evidence.get(entry.code);
    const weight = totalOf(amounts);
    if (amounts === undefined || !(weight > 0 && weight >= minWeight)) return;
    const statements = statementsOf(entry.code, amounts, values);
    if (statements.length === 0) return;
    const features = [...amounts]
      .map(([name, amount], index) => ({ name, amount, index }))
      .sort((left, right) => right.amount - left.amount || left.index - right.index)
      .map(({ name }) => name);
    candidates.push({
      order,
      reason: { code: entry.code, text: statements.join('; '), weight, action: entry.action, features },
    });
  });
  candidates.sort((left, right) => right.reason.weight - left.reason.weight || left.order - right.order);
  const reasons = candidates.slice(0, maxReasons).map(({ reason }) => reason);
  // From the candidates, not `reasons`, so that maxReasons 0 (action only) still gets the action.
  const action = candidates[0]?.reason.action ?? 'no_action';
  return { reasons, action, actionText: retentionActionOf(action).title };
}
