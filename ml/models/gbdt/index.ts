export { type BinnedMatrix, binMatrix } from './binning.js';
export {
  type FeatureKind,
  type FeatureSpec,
  GbdtDataError,
  type GbdtDataset,
  type GbdtMatrix,
  validateDataset,
} from './dataset.js';
export { foldRows, selectRows, stratifiedFolds } from './folds.js';
export { logLoss, rocAuc } from './metrics.js';
export { GbdtModel, type GbdtModelInit, type TrainingSummary } from './model.js';
export {
  GbdtModelFormatError,
  type GbdtModelJson,
  loadModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  modelToJson,
  saveModel,
} from './model-json.js';
export { DEFAULT_PARAMS, type GbdtParams, resolveParams } from './params.js';
export { parseTelcoCsv, type TelcoDataset } from './telco.js';
export { type TrainOptions, trainGbdt } from './train.js';
export type { DecisionTree } from './tree.js';
export { loadXgboostModel, parseXgboostJson } from './xgboost-json.js';
