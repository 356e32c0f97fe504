import {
  checkProbabilities,
  checkScoresAndLabels,
  type RankedCounts,
  rankCounts,
  requireBothClasses,
} from './inputs.js';
import {
  brierScore,
  type CalibrationBin,
  calibrationCurve,
  calibrationErrorOf,
  DEFAULT_CALIBRATION_BINS,
  logLoss,
} from './probability.js';
import {
  DEFAULT_CURVE_POINTS,
  liftOf,
  type PrPoint,
  prAucOf,
  prCurveOf,
  type RocPoint,
  rocAucOf,
  rocCurveOf,
} from './ranking.js';
import {
  type BusinessCosts,
  type Confusion,
  chooseThresholdOf,
  confusionAt,
  maxF1ThresholdOf,
} from './threshold.js';

export interface EvaluateOptions {
  /** When given, the decision threshold maximises expected profit; otherwise F1. */
  readonly costs?: BusinessCosts;
  /** @default 10 */
  readonly calibrationBins?: number;
  /** Most points per chart curve. @default 200 */
  readonly curvePoints?: number;
  /** Top shares of customers to report lift for. @default [0.05, 0.1] */
  readonly liftFractions?: readonly number[];
}

export const DEFAULT_LIFT_FRACTIONS: readonly number[] = [0.05, 0.1];

export interface LiftRow {
  readonly fraction: number;
  readonly lift: number;
  readonly precision: number;
  readonly captured: number;
}

export interface DecisionThreshold {
  readonly method: 'profit' | 'max-f1';
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly contacted: number;
  /** Null when no costs were given. */
  readonly expectedProfit: number | null;
}

/** Everything the model gate, the registry and the dashboard show about one model on one test set. Plain JSON. */
export interface EvaluationReport {
  readonly customers: number;
  readonly churners: number;
  readonly churnRate: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly logLoss: number;
  readonly brierScore: number;
  readonly expectedCalibrationError: number;
  readonly calibration: CalibrationBin[];
  readonly lift: LiftRow[];
  readonly costs: BusinessCosts | null;
  readonly decision: DecisionThreshold;
  /** At the decision threshold. */
  readonly confusion: Confusion;
  readonly rocCurve: RocPoint[];
  readonly prCurve: PrPoint[];
}

/**
 * Evaluates churn probabilities against outcomes. Needs both churners and non-churners (AUC is
 * undefined otherwise, and a report must hold numbers, not NaN).
 */
export function evaluate(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: EvaluateOptions = {},
): EvaluationReport {
  const churners = checkScoresAndLabels('evaluate', probabilities, labels);
  checkProbabilities('evaluate', probabilities);
  const customers = probabilities.length;
  requireBothClasses('evaluate', churners, customers);
  const calibration = calibrationCurve(
    probabilities,
    labels,
    options.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
  );
  const curvePoints = options.curvePoints ?? DEFAULT_CURVE_POINTS;
  // One sort serves every ranking metric, curve and threshold.
  const ranked = rankCounts(probabilities, labels);
  const decision = decisionThreshold(ranked, options.costs);
  return {
    customers,
    churners,
    churnRate: churners / customers,
    rocAuc: rocAucOf(ranked),
    prAuc: prAucOf(ranked),
    logLoss: logLoss(probabilities, labels),
    brierScore: brierScore(probabilities, labels),
    expectedCalibrationError: calibrationErrorOf(calibration),
    calibration,
    lift: (options.liftFractions ?? DEFAULT_LIFT_FRACTIONS).map((fraction) => ({
      fraction,
      ...liftOf(ranked, fraction),
    })),
    costs: options.costs === undefined ? null : { ...options.costs },
    decision,
    confusion: confusionAt(probabilities, labels, decision.threshold),
    rocCurve: rocCurveOf(ranked, curvePoints),
    prCurve: prCurveOf(ranked, curvePoints),
  };
}

function decisionThreshold(ranked: RankedCounts, costs: BusinessCosts | undefined): DecisionThreshold {
  if (costs === undefined) {
    const { threshold, precision, recall, contacted, f1 } = maxF1ThresholdOf(ranked);
    return { method: 'max-f1', threshold, precision, recall, f1, contacted, expectedProfit: null };
  }
  const { threshold, precision, recall, contacted, expectedProfit } = chooseThresholdOf(ranked, costs);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { method: 'profit', threshold, precision, recall, f1, contacted, expectedProfit };
}
