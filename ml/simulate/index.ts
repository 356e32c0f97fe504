export {
  BASELINE_FEATURES,
  fitLogistic,
  type LogisticModel,
  predictLogistic,
  WindowAggregates,
} from './baseline.js';
export {
  ACTIVITY_SEGMENTS,
  CHANNELS,
  COUNTRIES,
  DEVICES,
  GENRES,
  PLANS,
  TASTE_SEGMENTS,
  USAGE_PATTERNS,
} from './catalog.js';
export { CHURN_CAUSES, type ChurnCause, Customer, Phase } from './customer.js';
export type { DayEvents } from './event-writer.js';
export { windowChurnProbability } from './oracle.js';
export {
  LABEL_COLUMNS,
  labelsCsv,
  ORACLE_COLUMNS,
  oracleCsv,
  PROFILE_COLUMNS,
  profilesCsv,
  SEGMENT_COLUMNS,
  SIMULATION_FILES,
  segmentsCsv,
  type WriteSimulationHooks,
  type WrittenSimulation,
  writeSimulation,
} from './output.js';
export { cumulative, deriveSeed, Random } from './random.js';
export { formatRows, summaryRows } from './report.js';
export { rocAuc } from './roc-auc.js';
export {
  calibrateHazardScale,
  DEFAULT_HORIZON_DAYS,
  DEFAULT_MONTHLY_CHURN,
  DEFAULT_START,
  defaultCutoffs,
  INITIAL_HAZARD_SCALE,
  type OracleTable,
  type ResolvedSimulationOptions,
  resolveOptions,
  runSimulation,
  runSimulationSync,
  type SimulationHooks,
  type SimulationOptions,
  type SimulationProgress,
  type SimulationResult,
} from './simulation.js';
export { type SimulationSummary, summarizeSimulation } from './summary.js';
export { DRIFT_KINDS, type DriftKind, type DriftScenario, parseDriftScenario } from './world.js';
