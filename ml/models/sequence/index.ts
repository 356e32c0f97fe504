export {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  parseSequenceArtifact,
  type SequenceArtifact,
  SequenceArtifactError,
  type SequenceEpoch,
  type SequenceMeta,
  type SequenceTrainingSummary,
} from './artifact.js';
export { type LabelledSequences, type Normalisation, type SequenceBatch, stepBounds } from './data.js';
export { loadSequenceModel, PREDICT_CHUNK, SequenceModel } from './model.js';
export {
  DEFAULT_SEQUENCE_PARAMS,
  resolveSequenceParams,
  type SequenceCell,
  type SequenceParams,
} from './params.js';
export { type TrainSequenceOptions, trainSequenceModel } from './train.js';
