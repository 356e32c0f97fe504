export {
  ARTIFACT_FORMAT,
  type ArtifactExtras,
  type ArtifactFiles,
  ModelArtifactError,
  type ModelManifest,
  modelFromFiles,
  modelToFiles,
  readArtifactDirectory,
  readManifest,
  writeArtifactDirectory,
} from './artifact.js';
export {
  BASELINE_QUANTILES,
  type FeatureBaseline,
  type NumericBaseline,
  type TrainingBaseline,
  trainingBaseline,
} from './baseline.js';
export { evaluateHybrid, evaluateOutOfFold, formatEvaluation, type HybridEvaluation } from './evaluate.js';
export { groupBySnapshot, type HybridExample } from './example.js';
export {
  type DecisionPolicy,
  type ExplainedScore,
  HybridModel,
  type HybridScore,
  type RiskBand,
  type RiskBands,
  riskBands,
  type ScoreOptions,
  type TrainingRecord,
} from './model.js';
export {
  COMPONENTS,
  type ComponentName,
  DEFAULT_COSTS,
  DEFAULT_HYBRID_PARAMS,
  type HybridParams,
  resolveHybridParams,
} from './params.js';
export { TabularEncoder, tabularFeatures } from './tabular.js';
export {
  assembleHybrid,
  type ComponentModel,
  type ComponentResult,
  type HybridTraining,
  type OutOfFold,
  type PreparedTraining,
  prepareTraining,
  type TrainHybridOptions,
  type TrainingProgress,
  trainComponent,
  trainHybrid,
} from './train.js';
