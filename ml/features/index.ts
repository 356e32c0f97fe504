export {
  addCounters,
  addDays,
  addEvent,
  aggregateEvents,
  DAY_COUNTERS,
  type DayAggregate,
  type DayCounter,
  dayNumber,
  dayOf,
  dayText,
  emptyDay,
  type LatestValue,
  mergeAggregates,
  mergeDays,
  reviveDay,
  type SubscriptionState,
} from './day-aggregate.js';
export {
  type ActivitySegment,
  activitySegment,
  type CategoricalFeatureName,
  computeFeatures,
  FEATURE_DEFINITIONS,
  FEATURE_NAMES,
  type FeatureDefinition,
  type FeatureName,
  type FeatureVector,
  featureVectorToRow,
  NEVER_DAYS,
  type NumericFeatureName,
  PARTNER_PROMO,
  RFM_CUTS,
  type RfmSegment,
  rfmSegment,
  UNKNOWN,
} from './features.js';
export { buildGraph, type CustomerGraph, graphNeighbours } from './graph.js';
export { type CustomerHistory, LOOKBACK_DAYS, type ProfileLike } from './history.js';
export { activitySequence, SEQUENCE_CHANNELS, type SequenceChannel } from './sequence.js';
export {
  buildSnapshotRows,
  historiesFromEvents,
  type LabelLike,
  type SnapshotOptions,
  type SnapshotRow,
} from './snapshot.js';
