export {
  applyRenames,
  type ColumnMappingFlags,
  type ColumnRenames,
  columnRenames,
  guessIdColumn,
  parseMapFlag,
} from './column-mapping.js';
export {
  deriveEventId,
  type EventConversion,
  type EventImportOptions,
  importEventStream,
  importEvents,
  toEvent,
} from './events.js';
export {
  collectOutcomes,
  convertRows,
  type ImportReject,
  type ImportResult,
  type RowOutcome,
  type SourceRows,
} from './import-result.js';
export {
  type ImportedLabel,
  importLabelStream,
  importLabels,
  type LabelImportOptions,
  parseChurnFlag,
  parseImportedLabel,
  toLabel,
} from './labels.js';
export {
  type AttributeColumn,
  type AttributeValue,
  type ColumnKind,
  detectColumnKind,
  type ImportedProfile,
  ImportedProfileSchema,
  importProfiles,
  KNOWN_PROFILE_FIELDS,
  type ProfileImportOptions,
  type ProfileImportResult,
  parseImportedProfile,
} from './profiles.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  detectFormat,
  ImportFileError,
  type ImportFormat,
  isGzip,
  maybeGunzip,
  openImportFile,
  RAW_PREVIEW_CHARS,
  type ReadImportOptions,
  readImportRows,
  type SourceBlank,
  type SourceError,
  type SourceRecord,
  type SourceRow,
} from './source-reader.js';
export {
  type NormaliseTimestampOptions,
  type NormaliseTimestampResult,
  normaliseTimestamp,
} from './timestamps.js';
