export {
  GRAPH_ARTIFACT_FORMAT,
  GRAPH_ARTIFACT_VERSION,
  type GraphArtifact,
  type GraphArtifactMeta,
  type GraphModelState,
  type GraphTrainingSummary,
} from './artifact.js';
export {
  GONE_COLUMN,
  type GraphExample,
  NEIGHBOURHOOD_COLUMNS,
  type Normaliser,
  nodeColumns,
} from './data.js';
export { GraphArtifactError, GraphDataError } from './errors.js';
export {
  HIGH_RISK_SHARE,
  type NeighbourhoodFacts,
  type NeighbourhoodFactsOptions,
  neighbourhoodFacts,
} from './facts.js';
export { GraphModel, loadGraphModel, type PredictOptions } from './model.js';
export {
  DEFAULT_GRAPH_PARAMS,
  DEFAULT_NODE_FEATURES,
  type GraphParams,
  type NodeFeatureSpec,
  type NodeTransform,
  resolveGraphParams,
} from './params.js';
export { type TrainGraphOptions, trainGraphModel } from './train.js';
