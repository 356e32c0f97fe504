import { checkProbabilities, checkSameLength, countPositives } from './inputs.js';

function checkProbabilitiesAndLabels(
  what: string,
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  checkSameLength(what, probabilities, labels);
  checkProbabilities(what, probabilities);
  return countPositives(what, labels);
}

/**
 * Mean negative log-likelihood of the labels. Probabilities are clipped to [eps, 1 - eps] so one
 * confident miss costs about 34.5 instead of Infinity.
 */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, eps = 1e-15): number {
  checkProbabilitiesAndLabels('logLoss', probabilities, labels);
  if (!(eps > 0 && eps < 0.5)) throw new RangeError(`logLoss: eps must be in (0, 0.5), got ${eps}`);
  let total = 0;
  for (let index = 0; index < probabilities.length; index++) {
    const probability = Math.min(1 - eps, Math.max(eps, probabilities[index] ?? 0));
    total -= labels[index] === 1 ? Math.log(probability) : Math.log1p(-probability);
  }
  return total / probabilities.length;
}

/** Mean squared difference between the probability and the 0/1 outcome. */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkProbabilitiesAndLabels('brierScore', probabilities, labels);
  let total = 0;
  for (let index = 0; index < probabilities.length; index++) {
    const error = (probabilities[index] ?? 0) - (labels[index] ?? 0);
    total += error * error;
  }
  return total / probabilities.length;
}

export interface CalibrationBin {
  readonly binStart: number;
  readonly binEnd: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
  readonly count: number;
}

export const DEFAULT_CALIBRATION_BINS = 10;

/**
 * Reliability diagram over `bins` uniform bins of [0, 1]; each bin holds [binStart, binEnd)
 * except the last, which also holds 1. Empty bins are left out (as sklearn's
 * `calibration_curve`): they have no observed rate to plot.
 */
export function calibrationCurve(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = DEFAULT_CALIBRATION_BINS,
): CalibrationBin[] {
  checkProbabilitiesAndLabels('calibrationCurve', probabilities, labels);
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`calibrationCurve: bins must be a positive integer, got ${bins}`);
  }
  const predictedSums = new Float64Array(bins);
  const churners = new Float64Array(bins);
  const counts = new Float64Array(bins);
  for (let index = 0; index < probabilities.length; index++) {
    const probability = probabilities[index] ?? 0;
    const bin = Math.min(bins - 1, Math.floor(probability * bins));
    predictedSums[bin] = (predictedSums[bin] ?? 0) + probability;
    churners[bin] = (churners[bin] ?? 0) + (labels[index] ?? 0);
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  const curve: CalibrationBin[] = [];
  for (let bin = 0; bin < bins; bin++) {
    const count = counts[bin] ?? 0;
    if (count === 0) continue;
    curve.push({
      binStart: bin / bins,
      binEnd: (bin + 1) / bins,
      meanPredicted: (predictedSums[bin] ?? 0) / count,
      observedRate: (churners[bin] ?? 0) / count,
      count,
    });
  }
  return curve;
}

/**
 * Expected calibration error: the gap between predicted and observed churn rate in each bin of
 * the calibration curve, weighted by the bin's share of customers.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = DEFAULT_CALIBRATION_BINS,
): number {
  return calibrationErrorOf(calibrationCurve(probabilities, labels, bins));
}

/** ECE from a calibration curve already computed (so a report bins only once). */
export function calibrationErrorOf(curve: readonly CalibrationBin[]): number {
  let total = 0;
  let weighted = 0;
  for (const bin of curve) {
    total += bin.count;
    weighted += bin.count * Math.abs(bin.meanPredicted - bin.observedRate);
  }
  return total === 0 ? 0 : weighted / total;
}
