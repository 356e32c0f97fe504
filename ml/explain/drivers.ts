import { type DriverGroup, groupOfFeature, OTHER_GROUP, REASON_CODES } from './catalogue.js';
import { type ContributionInput, featureOrder, groupEvidence, totalOf } from './evidence.js';

export interface DriverGroupSummary {
  readonly code: DriverGroup;
  readonly title: string;
  /**
   * Mean over customers of the absolute net contribution of the group to the churn logit (its
   * features, plus its share of the sequence and graph parts): how much the group moves scores.
   */
  readonly meanAbsContribution: number;
  /** Mean signed net contribution: > 0 when the group pushes scores up on average. */
  readonly meanContribution: number;
  /** Share of customers whose score the group pushes towards churn. */
  readonly shareTowardsChurn: number;
}

export interface FeatureDriver {
  readonly name: string;
  readonly group: DriverGroup;
  readonly meanAbsContribution: number;
  readonly meanContribution: number;
}

export interface ModelPartDriver {
  readonly part: 'sequence' | 'graph';
  /** Customers the part was present for; the means are over them. */
  readonly customers: number;
  readonly meanAbsContribution: number;
  readonly meanContribution: number;
}

/** The model's churn drivers over many customers, for `GET /v1/model` and the model report. Plain JSON. */
export interface DriverSummary {
  readonly customers: number;
  /** Every reason group and `other`, strongest first (ties in catalogue order, `other` last). */
  readonly groups: readonly DriverGroupSummary[];
  /** Tabular features seen with a finite contribution, strongest first (ties in feature order). */
  readonly features: readonly FeatureDriver[];
  /** The sequence and graph parts as a whole, when present. */
  readonly parts: readonly ModelPartDriver[];
}

export interface SummariseDriversOptions {
  /** Most features to list. @default all */
  readonly maxFeatures?: number;
}

export const OTHER_GROUP_TITLE = 'Other (usage times, device, origin)';

const GROUPS: readonly { code: DriverGroup; title: string }[] = [
  ...REASON_CODES.map(({ code, title }) => ({ code, title })),
  { code: OTHER_GROUP, title: OTHER_GROUP_TITLE },
];

class MeanAccumulator {
  customers = 0;
  sum = 0;
  absSum = 0;
  positive = 0;

  add(value: number): void {
    this.customers += 1;
    this.sum += value;
    this.absSum += Math.abs(value);
    if (value > 0) this.positive += 1;
  }
}

function mean(total: number, count: number): number {
  return count === 0 ? 0 : total / count;
}

/**
 * Mean |contribution| per reason group and per feature over many customers' model outputs (the
 * inputs of `explainChurnRisk`, without the feature values). Group amounts are signed nets per
 * customer, so a group whose features cancel out does not look important. Feature means are over
 * every customer (a missing or non-finite contribution counts as 0); with no customers every mean is 0.
 */
export function summariseDrivers(
  inputs: Iterable<ContributionInput>,
  options: SummariseDriversOptions = {},
): DriverSummary {
  const maxFeatures = options.maxFeatures ?? Number.POSITIVE_INFINITY;
  if (!(maxFeatures >= 0) || (Number.isFinite(maxFeatures) && !Number.isInteger(maxFeatures))) {
    throw new RangeError(`summariseDrivers: maxFeatures must be an integer >= 0, got ${maxFeatures}`);
  }
  let customers = 0;
  const groupTotals = new Map(GROUPS.map(({ code }) => [code, new MeanAccumulator()] as const));
  const featureSums = new Map<string, { sum: number; absSum: number }>();
  const parts = { sequence: new MeanAccumulator(), graph: new MeanAccumulator() };
  for (const input of inputs) {
    customers += 1;
    const evidence = groupEvidence(input, 'signed');
    for (const [code, accumulator] of groupTotals) accumulator.add(totalOf(evidence.get(code)));
    for (const [name, amount] of Object.entries(input.featureContributions)) {
      if (!Number.isFinite(amount)) continue;
      const sums = featureSums.get(name) ?? { sum: 0, absSum: 0 };
      sums.sum += amount;
      sums.absSum += Math.abs(amount);
      featureSums.set(name, sums);
    }
    if (input.sequence !== undefined && Number.isFinite(input.sequence.contribution)) {
      parts.sequence.add(input.sequence.contribution);
    }
    if (input.graph !== undefined && Number.isFinite(input.graph.contribution)) {
      parts.graph.add(input.graph.contribution);
    }
  }
  const groups = GROUPS.map(({ code, title }, order) => {
    const accumulator = groupTotals.get(code) ?? new MeanAccumulator();
    return {
      order,
      summary: {
        code,
        title,
        meanAbsContribution: mean(accumulator.absSum, customers),
        meanContribution: mean(accumulator.sum, customers),
        shareTowardsChurn: mean(accumulator.positive, customers),
      },
    };
  })
    .sort(
      (left, right) =>
        right.summary.meanAbsContribution - left.summary.meanAbsContribution || left.order - right.order,
    )
    .map(({ summary }) => summary);
  const features = featureOrder(featureSums.keys())
    .map((name, order) => {
      const sums = featureSums.get(name) ?? { sum: 0, absSum: 0 };
      return {
        order,
        driver: {
          name,
          group: groupOfFeature(name),
          meanAbsContribution: mean(sums.absSum, customers),
          meanContribution: mean(sums.sum, customers),
        },
      };
    })
    .sort(
      (left, right) =>
        right.driver.meanAbsContribution - left.driver.meanAbsContribution || left.order - right.order,
    )
    .slice(0, maxFeatures)
    .map(({ driver }) => driver);
  const partSummaries: ModelPartDriver[] = [];
  for (const part of ['sequence', 'graph'] as const) {
    const accumulator = parts[part];
    if (accumulator.customers === 0) continue;
    partSummaries.push({
      part,
      customers: accumulator.customers,
      meanAbsContribution: mean(accumulator.absSum, accumulator.customers),
      meanContribution: mean(accumulator.sum, accumulator.customers),
    });
  }
  return { customers, groups, features, parts: partSummaries };
}
