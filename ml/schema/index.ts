export {
  EVENT_PROPERTIES,
  EVENT_TYPES,
  type Event,
  type EventOf,
  EventSchema,
  type EventType,
  isEvent,
  type ParseEventResult,
  parseEvent,
  parseEventJson,
} from './event.js';
export { formatIssue, formatIssues } from './format-issues.js';
export { type Label, LabelSchema, type ParseLabelResult, parseLabel, parseLabelCsvRow } from './label.js';
export {
  type ParseProfileResult,
  type Profile,
  ProfileSchema,
  parseProfile,
  parseProfileCsvRow,
} from './profile.js';
export { describeValue, IsoUtcTimestamp, isIsoUtcTimestamp } from './timestamp.js';
