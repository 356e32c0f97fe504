import { z } from 'zod';
import { SEQUENCE_CHANNELS } from '../../features/sequence.js';
import { formatIssue } from '../../schema/index.js';
import { stepBounds } from './data.js';
import { resolveSequenceParams, type SequenceParams } from './params.js';

export interface SequenceEpoch {
  /** From 1. */
  readonly epoch: number;
  /** Mean weighted log loss over the epoch's training batches (on the sampled rows); null if not finite. */
  readonly loss: number | null;
  /** Null without a validation set. */
  readonly validationAuc: number | null;
  /** Rows trained on in this epoch (churners + sampled non-churners). */
  readonly rows: number;
  readonly seconds: number;
}

export interface SequenceTrainingSummary {
  readonly rows: number;
  /** Rows with a label above 0.5. */
  readonly positives: number;
  readonly validationRows: number;
  /** The epoch whose weights the model kept (from 1): the best validation AUC, else the last. */
  readonly bestEpoch: number;
  readonly bestValidationAuc: number | null;
  readonly epochs: readonly SequenceEpoch[];
  /** TensorFlow.js backend that trained the model (`wasm`, `tensorflow`, `cpu`). */
  readonly backend: string;
  readonly seconds: number;
}

export const ARTIFACT_FORMAT = 'churn-radar/sequence';
export const ARTIFACT_VERSION = 1;

/** Everything but the weights, JSON-serialisable (`JSON.stringify` then `parseSequenceMeta` round-trips it). */
export interface SequenceMeta {
  readonly params: SequenceParams;
  /** The input channels, in order: `SEQUENCE_CHANNELS` when the model was trained. */
  readonly channels: readonly string[];
  /** `[start, end)` day offsets of each step in the window, oldest first (derived from params; kept for readers). */
  readonly steps: readonly (readonly number[])[];
  /** Per channel, on ln(1 + mean daily value per step). */
  readonly normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Raw mean daily value per channel in training, for occlusion. */
  readonly channelMeans: readonly number[];
  readonly training: SequenceTrainingSummary;
  /** TensorFlow.js `model.json` content without the weights manifest paths: topology and weight specs. */
  readonly network: {
    readonly modelTopology: Record<string, unknown>;
    readonly weightSpecs: readonly {
      readonly name: string;
      readonly shape: readonly number[];
      readonly dtype: 'float32';
    }[];
  };
}

export interface SequenceArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly version: typeof ARTIFACT_VERSION;
  readonly meta: SequenceMeta;
  /** The weights, in `meta.network.weightSpecs` order (TensorFlow.js' weights.bin). */
  readonly weights: Uint8Array;
}

/** An artifact this code cannot load; the message names the field. */
export class SequenceArtifactError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SequenceArtifactError';
  }
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const perChannel = z.array(finite).length(SEQUENCE_CHANNELS.length);

const nullableFinite = z.union([finite, z.null()]);

const TrainingSchema = z.object({
  rows: z.number().int().min(0),
  positives: z.number().int().min(0),
  validationRows: z.number().int().min(0),
  bestEpoch: z.number().int().min(0),
  bestValidationAuc: nullableFinite,
  epochs: z.array(
    z.object({
      epoch: z.number().int().min(1),
      loss: nullableFinite,
      validationAuc: nullableFinite,
      rows: z.number().int().min(0),
      seconds: finite,
    }),
  ),
  backend: z.string(),
  seconds: finite,
});

const MetaSchema = z.object({
  params: z.record(z.string(), z.unknown()),
  channels: z.array(z.string()),
  steps: z.array(z.array(z.number().int())),
  normalisation: z.object({
    mean: perChannel,
    std: z.array(finite.refine((v) => v > 0, 'must be > 0')).length(SEQUENCE_CHANNELS.length),
  }),
  channelMeans: perChannel,
  training: TrainingSchema,
  network: z.object({
    modelTopology: z.record(z.string(), z.unknown()),
    weightSpecs: z.array(
      z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.literal('float32') }),
    ),
  }),
});

/** Checks an artifact (typically parsed from storage) and returns its meta with resolved params. */
export function parseSequenceArtifact(artifact: unknown): SequenceArtifact {
  if (typeof artifact !== 'object' || artifact === null) {
    throw new SequenceArtifactError('artifact: expected an object');
  }
  const { format, version, meta, weights } = artifact as Record<string, unknown>;
  if (format !== ARTIFACT_FORMAT) {
    throw new SequenceArtifactError(`artifact.format: expected ${ARTIFACT_FORMAT}, got ${String(format)}`);
  }
  if (version !== ARTIFACT_VERSION) {
    throw new SequenceArtifactError(`artifact.version: expected ${ARTIFACT_VERSION}, got ${String(version)}`);
  }
  if (!(weights instanceof Uint8Array))
    throw new SequenceArtifactError('artifact.weights: expected a Uint8Array');
  const parsed = MetaSchema.safeParse(meta, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const text = formatIssue(issue, '');
      return issue.path.length === 0 ? `artifact.meta${text}` : `artifact.meta.${text}`;
    });
    throw new SequenceArtifactError(issues.join('; '));
  }
  const value = parsed.data;
  if (value.channels.join(',') !== SEQUENCE_CHANNELS.join(',')) {
    throw new SequenceArtifactError(
      `artifact.meta.channels: expected ${SEQUENCE_CHANNELS.join(', ')}, got ${value.channels.join(', ')}`,
    );
  }
  let params: SequenceParams;
  try {
    params = resolveSequenceParams(value.params as Partial<SequenceParams>);
  } catch (error) {
    throw new SequenceArtifactError(`artifact.meta.${(error as Error).message}`, { cause: error });
  }
  if (JSON.stringify(stepBounds(params)) !== JSON.stringify(value.steps)) {
    throw new SequenceArtifactError('artifact.meta.steps: do not match params.days, recentDays and poolDays');
  }
  const bytes = value.network.weightSpecs.reduce(
    (sum, spec) => sum + 4 * spec.shape.reduce((product, size) => product * size, 1),
    0,
  );
  if (weights.byteLength !== bytes) {
    throw new SequenceArtifactError(
      `artifact.weights: expected ${bytes} bytes for meta.network.weightSpecs, got ${weights.byteLength}`,
    );
  }
  return { format: ARTIFACT_FORMAT, version: ARTIFACT_VERSION, meta: { ...value, params }, weights };
}
