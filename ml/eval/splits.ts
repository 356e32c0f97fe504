import { Random } from '../simulate/random.js';
import { countPositives, dayNumberOf } from './inputs.js';

export interface Fold {
  /** Row indices, ascending. */
  readonly train: Int32Array;
  /** Row indices, ascending. */
  readonly test: Int32Array;
}

/**
 * k folds whose test parts cover every row exactly once, each keeping the churn rate of the whole
 * (per-class counts differ by at most one between folds, and so do fold sizes). Each class is
 * shuffled with `seed` and dealt round-robin, continuing the deal from one class to the next; the
 * same labels and seed give the same folds. A class with fewer than k rows leaves some folds
 * without it.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): Fold[] {
  const count = labels.length;
  countPositives('stratifiedKFold', labels);
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`stratifiedKFold: k must be an integer >= 2, got ${k}`);
  if (k > count)
    throw new RangeError(`stratifiedKFold: k = ${k} folds need at least ${k} rows, got ${count}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`stratifiedKFold: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const random = new Random(seed);
  const foldOf = new Int32Array(count);
  const foldSizes = new Int32Array(k);
  let dealt = 0;
  for (const label of [0, 1]) {
    const members: number[] = [];
    for (let index = 0; index < count; index++) if (labels[index] === label) members.push(index);
    // Fisher–Yates.
    for (let last = members.length - 1; last > 0; last--) {
      const other = random.below(last + 1);
      const swap = members[last] ?? 0;
      members[last] = members[other] ?? 0;
      members[other] = swap;
    }
    for (const index of members) {
      const fold = dealt % k;
      foldOf[index] = fold;
      foldSizes[fold] = (foldSizes[fold] ?? 0) + 1;
      dealt += 1;
    }
  }
  const folds: Fold[] = [];
  for (let fold = 0; fold < k; fold++) {
    const testSize = foldSizes[fold] ?? 0;
    const test = new Int32Array(testSize);
    const train = new Int32Array(count - testSize);
    let testCount = 0;
    let trainCount = 0;
    for (let index = 0; index < count; index++) {
      if (foldOf[index] === fold) test[testCount++] = index;
      else train[trainCount++] = index;
    }
    folds.push({ train, test });
  }
  return folds;
}

export interface TimeSplitOptions {
  /** Rows with a cut-off strictly before this day train the model. */
  readonly trainBefore: string;
  /** Rows with a cut-off on this day test it. */
  readonly testOn: string;
}

export interface TimeSplit<T> {
  readonly train: T[];
  readonly test: T[];
  /** Rows in neither part: cut-offs from `trainBefore` up to `testOn`, other than on it, and later. */
  readonly excluded: number;
}

/**
 * Train on earlier cut-offs, test on a later one, as the model will be used. Cut-offs are days
 * (`YYYY-MM-DD`, or timestamps, taken at their UTC day). A training row's label is only known
 * `horizon` days after its cut-off, so put `trainBefore` at least one label horizon before
 * `testOn`; otherwise training sees outcomes that were still in the future at the test cut-off.
 */
export function timeSplit<T>(
  rows: readonly T[],
  cutoffOf: (row: T) => string,
  options: TimeSplitOptions,
): TimeSplit<T> {
  const trainBefore = dayNumberOf('timeSplit: trainBefore', options.trainBefore);
  const testOn = dayNumberOf('timeSplit: testOn', options.testOn);
  if (trainBefore > testOn) {
    throw new RangeError(
      `timeSplit: trainBefore (${options.trainBefore}) must not be after testOn (${options.testOn}), or training would see the test period`,
    );
  }
  const train: T[] = [];
  const test: T[] = [];
  let excluded = 0;
  rows.forEach((row, index) => {
    const cutoff = dayNumberOf(`timeSplit: cut-off of row ${index}`, cutoffOf(row));
    if (cutoff < trainBefore) train.push(row);
    else if (cutoff === testOn) test.push(row);
    else excluded += 1;
  });
  return { train, test, excluded };
}
