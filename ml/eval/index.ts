export { type AblationRow, ablationTable, type ComponentPredictions } from './ablation.js';
export { fitIsotonic, type IsotonicModel, predictIsotonic, reviveIsotonic } from './isotonic.js';
export { type LeadTimeQuantiles, type LeadTimeSummary, leadTimes, type ScoreOnDay } from './lead-time.js';
export { fitPlatt, PLATT_EPSILON, type PlattModel, predictPlatt, revivePlatt } from './platt.js';
export {
  brierScore,
  type CalibrationBin,
  calibrationCurve,
  calibrationErrorOf,
  DEFAULT_CALIBRATION_BINS,
  expectedCalibrationError,
  logLoss,
} from './probability.js';
export {
  DEFAULT_CURVE_POINTS,
  type Lift,
  liftAt,
  type PrPoint,
  prAuc,
  prCurve,
  type RocPoint,
  rocAuc,
  rocCurve,
} from './ranking.js';
export {
  DEFAULT_LIFT_FRACTIONS,
  type DecisionThreshold,
  type EvaluateOptions,
  type EvaluationReport,
  evaluate,
  type LiftRow,
} from './report.js';
export { type Fold, stratifiedKFold, type TimeSplit, type TimeSplitOptions, timeSplit } from './splits.js';
export {
  type BusinessCosts,
  type Confusion,
  chooseThreshold,
  confusionAt,
  type F1Threshold,
  type ProfitThreshold,
  type ThresholdChoice,
  thresholdForMaxF1,
  thresholdForPrecision,
  thresholdForRecall,
} from './threshold.js';
