import { FEATURE_DEFINITIONS } from '../../../../ml/features/features.js';
import type { GraphExample } from '../../../../ml/models/graph/index.js';
import { seededUniform } from '../../../../ml/models/graph/random.js';

const NUMERIC = FEATURE_DEFINITIONS.filter((definition) => definition.kind === 'numeric').map(
  (definition) => definition.name,
);

/** Every numeric feature drawn at random (counts-like, 0..30), the same way for every customer. */
function noiseFeatures(random: () => number, degree: number): Record<string, number | string> {
  const features: Record<string, number | string> = { plan: 'standard' };
  for (const name of NUMERIC) features[name] = Math.floor(random() * 30);
  features.is_cancelled = random() < 0.2 ? 1 : 0;
  features.graph_neighbours = degree;
  return features;
}

export type PlantedEffect =
  /** Churn when a neighbour is gone (not in the snapshot). */
  | 'gone'
  /** Churn when a current neighbour has cancelled (`is_cancelled` = 1); nobody is gone. */
  | 'cancelled-neighbour';

/**
 * A snapshot where churn is planted in the neighbourhood only: every customer has exactly two
 * neighbours and own features drawn the same way whatever the label, so a model of the
 * customer alone cannot beat chance. 3% of labels are flipped.
 */
export function plantedSnapshot(
  size: number,
  seed: number,
  effect: PlantedEffect,
  prefix = `s${seed}`,
): GraphExample[] {
  const random = seededUniform(seed, 7);
  const id = (index: number) => `${prefix}-${String(index).padStart(5, '0')}`;
  const pickOther = (self: number): number => {
    const other = Math.floor(random() * (size - 1));
    return other >= self ? other + 1 : other;
  };
  const neighbours: string[][] = [];
  let gone = 0;
  for (let index = 0; index < size; index++) {
    const list: string[] = [];
    while (list.length < 2) {
      const candidate =
        effect === 'gone' && random() < 0.15 ? `${prefix}-gone-${gone++}` : id(pickOther(index));
      if (!list.includes(candidate)) list.push(candidate);
    }
    neighbours.push(list);
  }
  const features = Array.from({ length: size }, () => noiseFeatures(random, 2));
  const cancelled = new Set<string>();
  features.forEach((vector, index) => {
    if (vector.is_cancelled === 1) cancelled.add(id(index));
  });
  return neighbours.map((list, index) => {
    const planted =
      effect === 'gone'
        ? list.some((neighbour) => neighbour.includes('-gone-'))
        : list.some((neighbour) => cancelled.has(neighbour));
    const flip = random() < 0.03;
    return {
      user_id: id(index),
      features: features[index] as Record<string, number | string>,
      neighbours: list,
      label: (planted !== flip ? 1 : 0) as 0 | 1,
    };
  });
}

/** Labelled margins of a snapshot, for rocAuc. */
export function labelled(
  examples: readonly GraphExample[],
  margins: Float64Array,
): { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  examples.forEach((example, index) => {
    if (example.label === null) return;
    scores.push(margins[index] as number);
    labels.push(example.label);
  });
  return { scores, labels };
}
