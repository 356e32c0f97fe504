import type { FeatureVector } from '../../features/features.js';

/**
 * One training or scoring row of the hybrid model: a customer as of a cut-off day, with what
 * each component reads. Snapshot records (`functions/shared/snapshot-store.ts`) have this shape.
 */
export interface HybridExample {
  readonly user_id: string;
  /** `YYYY-MM-DD`: the features describe the days before it. */
  readonly as_of: string;
  /** 1: churned in the window after `as_of`; 0: did not; null: unknown (not used for training). */
  readonly label: 0 | 1 | null;
  readonly churn_date: string | null;
  readonly features: FeatureVector;
  /** `[days, channels]` row-major float32, oldest day first (`activitySequence`). */
  readonly activity_sequence: Float32Array;
  /** The people linked to the customer as of `as_of` (`graphNeighbours`). */
  readonly neighbours: readonly string[];
}

/** Examples grouped by cut-off day, days ascending; each group is one snapshot (one graph). */
export function groupBySnapshot<T extends { readonly as_of: string }>(examples: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const example of examples) {
    let group = groups.get(example.as_of);
    if (group === undefined) {
      group = [];
      groups.set(example.as_of, group);
    }
    group.push(example);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => group);
}
