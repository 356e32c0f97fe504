import type { GraphExample } from './data.js';
import { GraphDataError } from './errors.js';

/** What a plain-language reason can say about a customer's neighbourhood. */
export interface NeighbourhoodFacts {
  readonly user_id: string;
  /** Distinct people linked to the customer (the customer excluded). */
  readonly neighbours: number;
  /** Of those, how many are not current customers (not among the examples): left, or not joined. */
  readonly neighboursGone: number;
  /** Of those, how many are current customers. */
  readonly neighboursCurrent: number;
  /** Current neighbours with a margin at or above the high-risk margin; NaN without margins. */
  readonly riskyNeighbours: number;
  /** Mean margin (logit) of the current neighbours; NaN without margins or without current neighbours. */
  readonly meanNeighbourMargin: number;
}

export interface NeighbourhoodFactsOptions {
  /**
   * Margin at or above which a neighbour counts as high-risk. A trained model's is
   * `model.highRiskMargin`. @default the margin of the top 10% of `margins` (HIGH_RISK_SHARE)
   */
  readonly highRiskMargin?: number;
}

/** Without a given threshold, the riskiest tenth of the snapshot counts as high-risk. */
export const HIGH_RISK_SHARE = 0.1;

/** The smallest margin among the top `share` of `margins` (at least one). */
export function topShareMargin(margins: ArrayLike<number>, share: number): number {
  const sorted = Float64Array.from(margins).sort();
  if (sorted.length === 0) return Number.POSITIVE_INFINITY;
  const top = Math.max(1, Math.ceil(share * sorted.length));
  return sorted[sorted.length - top] as number;
}

/**
 * Per example (in order): its neighbours, how many are gone and, with `margins` (one per
 * example, e.g. from `predictMargin` on the same examples), how many current neighbours are
 * high-risk and their mean margin. `examples` is the whole snapshot: a neighbour who is not
 * among them is gone.
 */
export function neighbourhoodFacts(
  examples: readonly GraphExample[],
  margins?: ArrayLike<number>,
  options: NeighbourhoodFactsOptions = {},
): NeighbourhoodFacts[] {
  if (!Array.isArray(examples)) throw new GraphDataError('examples: expected an array');
  if (margins !== undefined && margins.length !== examples.length)
    throw new GraphDataError(
      `margins: expected ${examples.length} values (one per example), got ${margins.length}`,
    );
  const threshold =
    options.highRiskMargin ?? (margins === undefined ? undefined : topShareMargin(margins, HIGH_RISK_SHARE));
  if (threshold !== undefined && Number.isNaN(threshold))
    throw new GraphDataError('options.highRiskMargin: expected a number, got NaN');
  const indexOf = new Map<string, number>();
  examples.forEach((example, index) => {
    if (typeof example?.user_id !== 'string' || example.user_id === '')
      throw new GraphDataError(`examples[${index}].user_id: expected a non-empty string`);
    indexOf.set(example.user_id, index);
  });
  return examples.map((example, index) => {
    if (!Array.isArray(example.neighbours))
      throw new GraphDataError(`examples[${index}].neighbours: expected an array of user ids`);
    const seen = new Set<string>();
    let gone = 0;
    let current = 0;
    let highRisk = 0;
    let marginSum = 0;
    for (const neighbour of example.neighbours) {
      if (neighbour === example.user_id || seen.has(neighbour)) continue;
      seen.add(neighbour);
      const at = indexOf.get(neighbour);
      if (at === undefined) {
        gone += 1;
        continue;
      }
      current += 1;
      if (margins === undefined || threshold === undefined) continue;
      const margin = margins[at] as number;
      marginSum += margin;
      if (margin >= threshold) highRisk += 1;
    }
    return {
      user_id: example.user_id,
      neighbours: seen.size,
      neighboursGone: gone,
      neighboursCurrent: current,
      riskyNeighbours: margins === undefined ? Number.NaN : highRisk,
      meanNeighbourMargin: margins === undefined || current === 0 ? Number.NaN : marginSum / current,
    };
  });
}
