export {
  type ChurnOutcome,
  ChurnOutcomeBuilder,
  type ChurnOutcomeOptions,
  DEFAULT_GRACE_DAYS,
  deriveChurnOutcomes,
} from './churn-outcomes.js';
export { type ChurnLabel, mergeLabels, outcomeOfImported } from './merge-labels.js';
export { churnedBefore, type LabelWindow, windowLabel } from './window-label.js';
