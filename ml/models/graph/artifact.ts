import { type Normaliser, nodeColumns } from './data.js';
import { GraphArtifactError, GraphDataError } from './errors.js';
import { type WeightSpec, type WeightValues, weightSpecs } from './network.js';
import { type GraphParams, resolveGraphParams } from './params.js';

export const GRAPH_ARTIFACT_FORMAT = 'churn-radar/graph';
export const GRAPH_ARTIFACT_VERSION = 1;

/** How training went; informative only (prediction does not read it). */
export interface GraphTrainingSummary {
  readonly snapshots: number;
  /** Labelled examples trained on (the hold-out excluded). */
  readonly examples: number;
  readonly positives: number;
  readonly epochs: number;
  /** 1-based epoch whose weights were kept. */
  readonly bestEpoch: number;
  readonly bestValidationAuc: number | null;
  /** `given`: `options.validation`; `holdout`: `params.validationFraction` of the training rows; `none`: last epoch kept. */
  readonly validation: 'given' | 'holdout' | 'none';
  /** TensorFlow.js backend that trained the model. */
  readonly backend: string;
}

/** Everything a model is: what `toArtifact` writes and `loadGraphModel` reads. */
export interface GraphModelState {
  readonly params: GraphParams;
  readonly normaliser: Normaliser;
  /** Margin at or above which `neighbourhoodFacts` counts a neighbour as high-risk (see README). */
  readonly highRiskMargin: number;
  readonly weights: readonly WeightValues[];
  readonly training: GraphTrainingSummary;
}

/** JSON-safe description of the model, saved beside the weights. */
export interface GraphArtifactMeta {
  readonly params: GraphParams;
  /** Node input columns in order: `params.nodeFeatures`, then the neighbourhood columns, then `gone`. */
  readonly columns: readonly string[];
  readonly normaliser: Normaliser;
  readonly highRiskMargin: number;
  /** The tensors stored in `weights`, in order: float32 little-endian, row-major, back to back. */
  readonly weights: readonly WeightSpec[];
  readonly training: GraphTrainingSummary;
}

export interface GraphArtifact {
  readonly format: typeof GRAPH_ARTIFACT_FORMAT;
  readonly version: typeof GRAPH_ARTIFACT_VERSION;
  readonly meta: GraphArtifactMeta;
  readonly weights: Uint8Array;
}

export function encodeArtifact(state: GraphModelState): GraphArtifact {
  const total = state.weights.reduce((sum, weight) => sum + weight.values.length, 0);
  const bytes = new Uint8Array(4 * total);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const weight of state.weights) {
    for (const value of weight.values) {
      view.setFloat32(offset, value, true);
      offset += 4;
    }
  }
  return {
    format: GRAPH_ARTIFACT_FORMAT,
    version: GRAPH_ARTIFACT_VERSION,
    meta: {
      params: state.params,
      columns: nodeColumns(state.params.nodeFeatures),
      normaliser: { mean: [...state.normaliser.mean], std: [...state.normaliser.std] },
      highRiskMargin: state.highRiskMargin,
      weights: state.weights.map(({ name, shape }) => ({ name, shape: [...shape] })),
      training: { ...state.training },
    },
    weights: bytes,
  };
}

function fail(field: string, rule: string, value?: unknown): never {
  const shown = value === undefined ? '' : `, got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}`;
  throw new GraphArtifactError(`${field}: ${rule}${shown}`);
}

function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(field, 'expected an object', value);
  return value as Record<string, unknown>;
}

function numbersAt(value: unknown, field: string, length: number, positive: boolean): number[] {
  if (!Array.isArray(value) || value.length !== length) fail(field, `expected ${length} numbers`, value);
  return value.map((item, index) => {
    if (typeof item !== 'number' || !Number.isFinite(item) || (positive && item <= 0))
      fail(`${field}[${index}]`, positive ? 'expected a positive number' : 'expected a finite number', item);
    return item;
  });
}

function trainingAt(value: unknown): GraphTrainingSummary {
  const record = objectAt(value, 'meta.training');
  const count = (key: string): number => {
    const item = record[key];
    if (typeof item !== 'number' || !Number.isInteger(item) || item < 0)
      fail(`meta.training.${key}`, 'expected a non-negative integer', item);
    return item;
  };
  const auc = record.bestValidationAuc;
  if (auc !== null && (typeof auc !== 'number' || !Number.isFinite(auc)))
    fail('meta.training.bestValidationAuc', 'expected a number or null', auc);
  const validation = record.validation;
  if (validation !== 'given' && validation !== 'holdout' && validation !== 'none')
    fail('meta.training.validation', "expected 'given', 'holdout' or 'none'", validation);
  if (typeof record.backend !== 'string') fail('meta.training.backend', 'expected a string', record.backend);
  return {
    snapshots: count('snapshots'),
    examples: count('examples'),
    positives: count('positives'),
    epochs: count('epochs'),
    bestEpoch: count('bestEpoch'),
    bestValidationAuc: auc,
    validation,
    backend: record.backend,
  };
}

/** Checks an artifact field by field (the error names the field) and returns the model state. */
export function decodeArtifact(artifact: unknown): GraphModelState {
  const root = objectAt(artifact, 'artifact');
  if (root.format !== GRAPH_ARTIFACT_FORMAT)
    fail('format', `expected ${JSON.stringify(GRAPH_ARTIFACT_FORMAT)}`, root.format);
  if (root.version !== GRAPH_ARTIFACT_VERSION)
    fail('version', `expected ${GRAPH_ARTIFACT_VERSION}`, root.version);
  const meta = objectAt(root.meta, 'meta');
  let params: GraphParams;
  try {
    params = resolveGraphParams(objectAt(meta.params, 'meta.params') as Partial<GraphParams>);
  } catch (error) {
    if (error instanceof GraphDataError) throw new GraphArtifactError(`meta.${error.message}`);
    throw error;
  }
  const columns = nodeColumns(params.nodeFeatures);
  if (!Array.isArray(meta.columns) || meta.columns.length !== columns.length)
    fail(
      'meta.columns',
      `expected ${columns.length} columns matching meta.params.nodeFeatures`,
      meta.columns,
    );
  meta.columns.forEach((column: unknown, index: number) => {
    if (column !== columns[index])
      fail(`meta.columns[${index}]`, `expected ${JSON.stringify(columns[index])}`, column);
  });
  const normaliser = objectAt(meta.normaliser, 'meta.normaliser');
  const mean = numbersAt(normaliser.mean, 'meta.normaliser.mean', columns.length, false);
  const std = numbersAt(normaliser.std, 'meta.normaliser.std', columns.length, true);
  const highRiskMargin = meta.highRiskMargin;
  if (typeof highRiskMargin !== 'number' || !Number.isFinite(highRiskMargin))
    fail('meta.highRiskMargin', 'expected a finite number', highRiskMargin);
  const specs = weightSpecs(columns.length, params.hiddenUnits, params.layers);
  const storedSpecs = meta.weights;
  if (!Array.isArray(storedSpecs) || storedSpecs.length !== specs.length)
    fail('meta.weights', `expected ${specs.length} tensors for these params`, storedSpecs);
  specs.forEach((spec, index) => {
    const stored = objectAt(storedSpecs[index], `meta.weights[${index}]`);
    if (stored.name !== spec.name)
      fail(`meta.weights[${index}].name`, `expected ${JSON.stringify(spec.name)}`, stored.name);
    if (!Array.isArray(stored.shape) || stored.shape.join(',') !== spec.shape.join(','))
      fail(`meta.weights[${index}].shape`, `expected [${spec.shape.join(', ')}]`, stored.shape);
  });
  const bytes = root.weights;
  if (!(bytes instanceof Uint8Array)) fail('weights', 'expected a Uint8Array of float32 values');
  const total = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== 4 * total) fail('weights', `expected ${4 * total} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const weights = specs.map((spec) => {
    const values = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    for (let index = 0; index < values.length; index++) {
      const value = view.getFloat32(offset, true);
      if (!Number.isFinite(value)) fail('weights', `${spec.name}[${index}] is not finite`);
      values[index] = value;
      offset += 4;
    }
    return { ...spec, values };
  });
  return { params, normaliser: { mean, std }, highRiskMargin, weights, training: trainingAt(meta.training) };
}
