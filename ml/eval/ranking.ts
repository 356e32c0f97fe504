import { checkScoresAndLabels, downsample, type RankedCounts, rankCounts, ratio } from './inputs.js';

/**
 * Area under the ROC curve: the chance that a random churner scores above a random non-churner,
 * ties counting half (the average-rank Mann–Whitney statistic, as sklearn's `roc_auc_score`).
 * NaN when the labels hold only one class, where it is undefined.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkScoresAndLabels('rocAuc', scores, labels);
  return rocAucOf(rankCounts(scores, labels));
}

export function rocAucOf(ranked: RankedCounts): number {
  const { truePositives, falsePositives, positives, negatives } = ranked;
  if (positives === 0 || negatives === 0) return Number.NaN;
  // Trapezoids over the tie groups in integer counts: a tie group's diagonal step is exactly the
  // half credit its churner/non-churner pairs get, and the sum stays exact below 2^53.
  let doubledArea = 0;
  let previousTp = 0;
  let previousFp = 0;
  for (let index = 0; index < truePositives.length; index++) {
    const tp = truePositives[index] ?? 0;
    const fp = falsePositives[index] ?? 0;
    doubledArea += (fp - previousFp) * (tp + previousTp);
    previousTp = tp;
    previousFp = fp;
  }
  return doubledArea / (2 * positives * negatives);
}

/**
 * Average precision, as sklearn's `average_precision_score`: the precision at each distinct
 * threshold weighted by the recall it adds, with no interpolation (the trapezoid would be
 * optimistic). NaN without churners.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkScoresAndLabels('prAuc', scores, labels);
  return prAucOf(rankCounts(scores, labels));
}

export function prAucOf(ranked: RankedCounts): number {
  const { truePositives, falsePositives, positives } = ranked;
  if (positives === 0) return Number.NaN;
  let weightedPrecision = 0;
  let previousTp = 0;
  for (let index = 0; index < truePositives.length; index++) {
    const tp = truePositives[index] ?? 0;
    const fp = falsePositives[index] ?? 0;
    if (tp > previousTp) weightedPrecision += (tp - previousTp) * (tp / (tp + fp));
    previousTp = tp;
  }
  return weightedPrecision / positives;
}

/** `threshold` is null for the starting point, where nobody is flagged. */
export interface RocPoint {
  readonly threshold: number | null;
  readonly falsePositiveRate: number;
  readonly truePositiveRate: number;
}

export const DEFAULT_CURVE_POINTS = 200;

/**
 * ROC curve for charts, from (0, 0) to (1, 1). Points on a straight segment are dropped first
 * (they add nothing to a line chart; sklearn's `drop_intermediate`), then the rest are thinned
 * evenly to at most `maxPoints`.
 */
export function rocCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxPoints = DEFAULT_CURVE_POINTS,
): RocPoint[] {
  checkScoresAndLabels('rocCurve', scores, labels);
  return rocCurveOf(rankCounts(scores, labels), maxPoints);
}

export function rocCurveOf(ranked: RankedCounts, maxPoints: number): RocPoint[] {
  const { thresholds, truePositives, falsePositives, positives, negatives } = ranked;
  const tps = [0, ...truePositives];
  const fps = [0, ...falsePositives];
  const points: RocPoint[] = [];
  for (let index = 0; index < tps.length; index++) {
    const last = index === tps.length - 1;
    if (index > 0 && !last) {
      // Integer counts make collinearity exact: a point is kept where the slope changes.
      const tpBend = (tps[index + 1] ?? 0) - 2 * (tps[index] ?? 0) + (tps[index - 1] ?? 0);
      const fpBend = (fps[index + 1] ?? 0) - 2 * (fps[index] ?? 0) + (fps[index - 1] ?? 0);
      if (tpBend === 0 && fpBend === 0) continue;
    }
    points.push({
      threshold: index === 0 ? null : (thresholds[index - 1] ?? null),
      falsePositiveRate: ratio(fps[index] ?? 0, negatives),
      truePositiveRate: ratio(tps[index] ?? 0, positives),
    });
  }
  return downsample(points, maxPoints);
}

/** `threshold` is null for the starting point (recall 0, precision 1, as sklearn draws it). */
export interface PrPoint {
  readonly threshold: number | null;
  readonly recall: number;
  readonly precision: number;
}

/** Precision–recall curve for charts, by rising recall, thinned evenly to at most `maxPoints`. */
export function prCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxPoints = DEFAULT_CURVE_POINTS,
): PrPoint[] {
  checkScoresAndLabels('prCurve', scores, labels);
  return prCurveOf(rankCounts(scores, labels), maxPoints);
}

export function prCurveOf(ranked: RankedCounts, maxPoints: number): PrPoint[] {
  const { thresholds, truePositives, falsePositives, positives } = ranked;
  const points: PrPoint[] = [{ threshold: null, recall: 0, precision: 1 }];
  for (let index = 0; index < thresholds.length; index++) {
    const tp = truePositives[index] ?? 0;
    const fp = falsePositives[index] ?? 0;
    points.push({
      threshold: thresholds[index] ?? null,
      recall: ratio(tp, positives),
      precision: ratio(tp, tp + fp),
    });
  }
  return downsample(points, maxPoints);
}

export interface Lift {
  /** Churn rate among the flagged divided by the overall churn rate. */
  readonly lift: number;
  /** Churn rate among the flagged. */
  readonly precision: number;
  /** Share of all churners who are among the flagged. */
  readonly captured: number;
}

/**
 * Lift when contacting the highest-scored `fraction` of customers (rounded up to whole
 * customers). When the cut falls inside a group of tied scores, the group is shared pro rata,
 * which is what a random tie-break would give on average, so the figure does not depend on the
 * input order.
 */
export function liftAt(scores: ArrayLike<number>, labels: ArrayLike<number>, fraction: number): Lift {
  checkScoresAndLabels('liftAt', scores, labels);
  return liftOf(rankCounts(scores, labels), fraction);
}

export function liftOf(ranked: RankedCounts, fraction: number): Lift {
  if (!(fraction > 0 && fraction <= 1))
    throw new RangeError(`liftAt: fraction must be in (0, 1], got ${fraction}`);
  const { truePositives, falsePositives, positives, negatives } = ranked;
  const count = positives + negatives;
  // The tolerance keeps 0.1 * 100 from becoming 11 customers through rounding noise.
  const flagged = Math.min(count, Math.max(1, Math.ceil(fraction * count - 1e-9)));
  let churnersFlagged = 0;
  let previousTp = 0;
  let previousTotal = 0;
  for (let index = 0; index < truePositives.length; index++) {
    const tp = truePositives[index] ?? 0;
    const total = tp + (falsePositives[index] ?? 0);
    if (total >= flagged) {
      const share = (flagged - previousTotal) / (total - previousTotal);
      churnersFlagged = previousTp + share * (tp - previousTp);
      break;
    }
    previousTp = tp;
    previousTotal = total;
  }
  const precision = churnersFlagged / flagged;
  const baseRate = positives / count;
  return { lift: ratio(precision, baseRate), precision, captured: ratio(churnersFlagged, positives) };
}
