import { z } from 'zod';
import { formatIssues } from '../../schema/format-issues.js';
import type { FeatureSpec } from './dataset.js';
import { GbdtModel, type TrainingSummary } from './model.js';
import { type GbdtParams, resolveParams } from './params.js';
import type { DecisionTree } from './tree.js';

export const MODEL_FORMAT = 'churn-radar/gbdt';
export const MODEL_VERSION = 1;

/** A model file that cannot be read: the message names the field and what was wrong with it. */
export class GbdtModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GbdtModelFormatError';
  }
}

const Integers = z.array(z.number().int());
const Numbers = z.array(z.number());

const TreeJson = z.object({
  left: Integers,
  right: Integers,
  feature: Integers,
  threshold: Numbers,
  defaultLeft: z.array(z.union([z.literal(0), z.literal(1)])),
  value: Numbers,
  cover: Numbers,
  gain: Numbers,
  /** `[node, [codes going right]]` for each categorical split. */
  categories: z.array(z.tuple([z.number().int().nonnegative(), Integers])),
});

const FeatureJson = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  categories: z.array(z.string()).optional(),
});

const ParamsJson = z.object({
  rounds: z.number(),
  learningRate: z.number(),
  maxDepth: z.number(),
  maxLeaves: z.number(),
  growPolicy: z.enum(['depthwise', 'lossguide']),
  lambda: z.number(),
  alpha: z.number(),
  gamma: z.number(),
  minChildWeight: z.number(),
  subsample: z.number(),
  colsampleBytree: z.number(),
  scalePosWeight: z.number(),
  baseScore: z.number(),
  maxBin: z.number(),
  maxCatToOnehot: z.number(),
  maxCatThreshold: z.number(),
  seed: z.number(),
  threads: z.number(),
  minParallelCells: z.number(),
  earlyStoppingRounds: z.number(),
  evalMetric: z.enum(['logloss', 'auc']),
}) satisfies z.ZodType<GbdtParams>;

const TrainingJson = z.object({
  params: ParamsJson,
  roundsRun: z.number().int(),
  bestIteration: z.number().int(),
  /** JSON has no NaN: a metric that was NaN (AUC of a one-class set) is stored as null. */
  validationHistory: z.array(z.number().nullable()),
  threads: z.number().int(),
});

const ModelJson = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(MODEL_VERSION),
  objective: z.literal('binary:logistic'),
  baseMargin: z.number(),
  source: z.string(),
  features: z.array(FeatureJson).min(1),
  training: TrainingJson.optional(),
  trees: z.array(TreeJson),
});

/**
 * The model file, version 1: plain JSON, one object per tree with one array per node
 * attribute (XGBoost's layout, compact and easy to read from any language). Numbers are written
 * as JavaScript prints doubles, which reads back bit for bit, so a loaded model predicts exactly
 * what the saved one did.
 */
export type GbdtModelJson = z.infer<typeof ModelJson>;

function treeToJson(tree: DecisionTree): z.infer<typeof TreeJson> {
  return {
    left: Array.from(tree.left),
    right: Array.from(tree.right),
    feature: Array.from(tree.feature),
    threshold: Array.from(tree.threshold),
    defaultLeft: Array.from(tree.defaultLeft, (bit) => (bit === 1 ? 1 : 0)),
    value: Array.from(tree.value),
    cover: Array.from(tree.cover),
    gain: Array.from(tree.gain),
    categories: [...tree.categories].map(([node, codes]) => [node, [...codes]]),
  };
}

function treeFromJson(tree: z.infer<typeof TreeJson>): DecisionTree {
  return {
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    defaultLeft: Uint8Array.from(tree.defaultLeft),
    value: Float64Array.from(tree.value),
    cover: Float64Array.from(tree.cover),
    gain: Float64Array.from(tree.gain),
    categories: new Map(tree.categories.map(([node, codes]) => [node, [...codes].sort((a, b) => a - b)])),
  };
}

/** The model as a JSON-ready object (see GbdtModelJson). */
export function modelToJson(model: GbdtModel): GbdtModelJson {
  const json: GbdtModelJson = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    objective: 'binary:logistic',
    baseMargin: model.baseMargin,
    source: model.source,
    features: model.features.map((feature) => ({
      name: feature.name,
      kind: feature.kind,
      ...(feature.categories === undefined ? {} : { categories: [...feature.categories] }),
    })),
    trees: model.trees.map(treeToJson),
  };
  const training = model.training;
  if (training !== undefined) {
    json.training = {
      params: { ...training.params },
      roundsRun: training.roundsRun,
      bestIteration: training.bestIteration,
      validationHistory: training.validationHistory.map((metric) => (Number.isNaN(metric) ? null : metric)),
      threads: training.threads,
    };
  }
  return json;
}

/** The model file's text. */
export function saveModel(model: GbdtModel): string {
  return JSON.stringify(modelToJson(model));
}

/**
 * Reads a model saved by `saveModel` (its text, or the parsed object). Throws
 * GbdtModelFormatError naming the field when the file is not a model of this format and version.
 */
export function loadModel(input: string | unknown): GbdtModel {
  let parsedInput: unknown = input;
  if (typeof input === 'string') {
    try {
      parsedInput = JSON.parse(input);
    } catch (error) {
      throw new GbdtModelFormatError(
        `gbdt model: not JSON (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  const result = ModelJson.safeParse(parsedInput, { reportInput: true });
  if (!result.success) throw new GbdtModelFormatError(`gbdt model: ${formatIssues(result.error, 'model')}`);
  const json = result.data;
  const features: FeatureSpec[] = json.features.map((feature) => ({
    name: feature.name,
    kind: feature.kind,
    ...(feature.categories === undefined ? {} : { categories: feature.categories }),
  }));
  let training: TrainingSummary | undefined;
  if (json.training !== undefined) {
    training = {
      params: json.training.params,
      roundsRun: json.training.roundsRun,
      bestIteration: json.training.bestIteration,
      validationHistory: json.training.validationHistory.map((metric) => metric ?? Number.NaN),
      threads: json.training.threads,
    };
  }
  try {
    if (training !== undefined) resolveParams(training.params);
    return new GbdtModel({
      trees: json.trees.map(treeFromJson),
      features,
      baseMargin: json.baseMargin,
      source: json.source,
      ...(training === undefined ? {} : { training }),
    });
  } catch (error) {
    throw new GbdtModelFormatError(`gbdt model: ${error instanceof Error ? error.message : String(error)}`);
  }
}
