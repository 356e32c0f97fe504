export { customerFolds } from './folds.js';
export {
  fitLogistic,
  type LogisticModel,
  type LogisticOptions,
  logisticMargin,
  logisticTerms,
} from './logistic.js';
export {
  type CalibrationMethod,
  calibrate,
  fitStacker,
  reviveStacker,
  type Stacker,
  type StackerOptions,
  stackMargin,
  stackTerms,
} from './stacker.js';
