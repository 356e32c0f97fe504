import type { GbdtDataset } from './dataset.js';
import { seededUniform } from './random.js';

/** Rows `indices` of a dataset, as a dataset of their own (for folds and splits). */
export function selectRows(data: GbdtDataset, indices: ArrayLike<number>): GbdtDataset {
  const featureCount = data.features.length;
  const values = new Float32Array(indices.length * featureCount);
  const labels = new Float32Array(indices.length);
  const weights = data.weights === undefined ? undefined : new Float32Array(indices.length);
  for (let index = 0; index < indices.length; index++) {
    const row = indices[index] ?? 0;
    values.set(data.values.subarray(row * featureCount, (row + 1) * featureCount), index * featureCount);
    labels[index] = data.labels[row] ?? 0;
    if (weights !== undefined) weights[index] = data.weights?.[row] ?? 0;
  }
  return {
    values,
    rows: indices.length,
    features: data.features,
    labels,
    ...(weights === undefined ? {} : { weights }),
  };
}

/**
 * Fold of every row (`[rows]`, values 0..k-1) for stratified k-fold cross-validation: each
 * class is shuffled (seeded) and dealt round-robin, so every fold has the class balance of the
 * whole set to within one row.
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed: number): Uint8Array {
  if (!Number.isInteger(folds) || folds < 2 || folds > 255)
    throw new RangeError(`folds must be an integer in [2, 255], got ${folds}`);
  const assignment = new Uint8Array(labels.length);
  const random = seededUniform(seed, 0);
  for (const positive of [false, true]) {
    const members: number[] = [];
    for (let row = 0; row < labels.length; row++)
      if ((labels[row] ?? 0) > 0.5 === positive) members.push(row);
    for (let index = members.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      const kept = members[index] ?? 0;
      members[index] = members[other] ?? 0;
      members[other] = kept;
    }
    members.forEach((row, index) => {
      assignment[row] = index % folds;
    });
  }
  return assignment;
}

/** Row indices of fold `fold` (test) and of the other folds (train). */
export function foldRows(assignment: Uint8Array, fold: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  assignment.forEach((value, row) => {
    (value === fold ? test : train).push(row);
  });
  return { train, test };
}
