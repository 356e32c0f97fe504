import { dayNumber, dayOf } from '../features/day-aggregate.js';

/**
 * Input checks and the ranking every threshold metric is built on. Bad input throws a RangeError
 * that names the function, the position and the rule: an evaluation that quietly skipped a NaN
 * score would report a number for a population it did not see.
 */

export function checkSameLength(what: string, scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const count = scores.length;
  if (labels.length !== count) throw new RangeError(`${what}: ${count} scores but ${labels.length} labels`);
  if (count === 0) throw new RangeError(`${what}: no scores to evaluate`);
  return count;
}

export function checkFiniteScores(what: string, scores: ArrayLike<number>): void {
  for (let index = 0; index < scores.length; index++) {
    const score = scores[index];
    if (score === undefined || !Number.isFinite(score)) {
      throw new RangeError(`${what}: score at ${index} must be a finite number, got ${score}`);
    }
  }
}

export function checkProbabilities(what: string, probabilities: ArrayLike<number>): void {
  for (let index = 0; index < probabilities.length; index++) {
    const probability = probabilities[index];
    if (probability === undefined || !(probability >= 0 && probability <= 1)) {
      throw new RangeError(`${what}: probability at ${index} must be in [0, 1], got ${probability}`);
    }
  }
}

/** Counts churners; throws unless every label is 0 or 1. */
export function countPositives(what: string, labels: ArrayLike<number>): number {
  let positives = 0;
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index];
    if (label === 1) positives += 1;
    else if (label !== 0) throw new RangeError(`${what}: label at ${index} must be 0 or 1, got ${label}`);
  }
  return positives;
}

/** Scores (any finite numbers) and 0/1 labels of equal, non-zero length; returns the churner count. */
export function checkScoresAndLabels(
  what: string,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  checkSameLength(what, scores, labels);
  checkFiniteScores(what, scores);
  return countPositives(what, labels);
}

/** Both classes present: the ranking metrics are undefined otherwise. */
export function requireBothClasses(what: string, positives: number, count: number): void {
  if (positives === 0 || positives === count) {
    throw new RangeError(
      `${what}: labels need at least one churner and one non-churner, got ${positives} churners of ${count}`,
    );
  }
}

/**
 * The confusion counts at every distinct score, highest first: flagging everyone whose score is
 * `>= thresholds[i]` finds `truePositives[i]` churners and `falsePositives[i]` non-churners.
 * Tied scores share one entry, so metrics never depend on the order ties happen to be sorted in.
 */
export interface RankedCounts {
  readonly thresholds: Float64Array;
  readonly truePositives: Float64Array;
  readonly falsePositives: Float64Array;
  readonly positives: number;
  readonly negatives: number;
}

/** O(n log n). Expects checked input. */
export function rankCounts(scores: ArrayLike<number>, labels: ArrayLike<number>): RankedCounts {
  const count = scores.length;
  const values = Float64Array.from(scores);
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  order.sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0));
  const thresholds = new Float64Array(count);
  const truePositives = new Float64Array(count);
  const falsePositives = new Float64Array(count);
  let distinct = 0;
  let tp = 0;
  let fp = 0;
  for (let position = 0; position < count; position++) {
    const index = order[position] ?? 0;
    if (labels[index] === 1) tp += 1;
    else fp += 1;
    const score = values[index] ?? 0;
    const next = values[order[position + 1] ?? 0] ?? 0;
    if (position === count - 1 || next !== score) {
      thresholds[distinct] = score;
      truePositives[distinct] = tp;
      falsePositives[distinct] = fp;
      distinct += 1;
    }
  }
  return {
    thresholds: thresholds.slice(0, distinct),
    truePositives: truePositives.slice(0, distinct),
    falsePositives: falsePositives.slice(0, distinct),
    positives: tp,
    negatives: fp,
  };
}

/** a / b, or 0 when b is 0 (sklearn's `zero_division=0`), so reports stay JSON numbers. */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * The smallest double above `value`: a threshold that flags nobody yet is still a finite number,
 * so it survives JSON (Infinity would come back as null).
 */
export function nextUp(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (value === 0) return Number.MIN_VALUE;
  const buffer = new Float64Array([value]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] = (bits[0] ?? 0n) + (value > 0 ? 1n : -1n);
  return buffer[0] ?? value;
}

/** Evenly spaced points of a curve, always keeping the first and the last. */
export function downsample<T>(points: readonly T[], maxPoints: number): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  }
  if (points.length <= maxPoints) return [...points];
  const kept: T[] = [];
  const step = (points.length - 1) / (maxPoints - 1);
  for (let slot = 0; slot < maxPoints; slot++) {
    const point = points[Math.round(slot * step)];
    if (point !== undefined) kept.push(point);
  }
  return kept;
}

/** Days since 1970-01-01 of a day or timestamp; the error names what was being read. */
export function dayNumberOf(what: string, text: string): number {
  try {
    return dayNumber(dayOf(text));
  } catch {
    throw new RangeError(
      `${what}: expected a day (YYYY-MM-DD) or an ISO 8601 timestamp, got ${JSON.stringify(text)}`,
    );
  }
}
