export {
  DEFAULT_MAX_REASONS,
  DEFAULT_MIN_WEIGHT,
  type DriverGroup,
  FACT_THRESHOLDS,
  GRAPH_REASON,
  groupOfFeature,
  MAX_FACTS_PER_REASON,
  OTHER_GROUP,
  REASON_CODES,
  RETENTION_ACTIONS,
  type ReasonCodeName,
  type RetentionAction,
  reasonCodeOf,
  retentionActionOf,
  SEQUENCE_CHANNEL_REASONS,
  SEQUENCE_DEFAULT_REASON,
  UNEXPLAINED_FEATURES,
} from './catalogue.js';
export {
  type DriverGroupSummary,
  type DriverSummary,
  type FeatureDriver,
  type ModelPartDriver,
  OTHER_GROUP_TITLE,
  type SummariseDriversOptions,
  summariseDrivers,
} from './drivers.js';
export { type ContributionInput, GRAPH_EVIDENCE, SEQUENCE_EVIDENCE } from './evidence.js';
export {
  type ExplainOptions,
  type Explanation,
  type ExplanationInput,
  explainChurnRisk,
  type ReasonCode,
} from './explain.js';
