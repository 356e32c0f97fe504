import { z } from 'zod';
import { formatIssues } from '../../schema/format-issues.js';
import type { FeatureSpec } from './dataset.js';
import { GbdtModel } from './model.js';
import { GbdtModelFormatError } from './model-json.js';
import type { DecisionTree } from './tree.js';

/**
 * XGBoost's JSON model format (`booster.save_model('model.json')`), as written by XGBoost 1.7
 * and read back here: only what scoring and TreeSHAP need is checked, the rest passes.
 */
const Flag = z.union([z.number(), z.boolean()]).transform((value) => (value === true || value === 1 ? 1 : 0));
/** Numbers that XGBoost may write as NaN (categorical split conditions): read as null first. */
const LooseNumbers = z.array(z.number().nullable());

const XgbTree = z.object({
  left_children: z.array(z.number().int()),
  right_children: z.array(z.number().int()),
  split_indices: z.array(z.number().int().nonnegative()),
  split_conditions: LooseNumbers,
  default_left: z.array(Flag),
  sum_hessian: LooseNumbers,
  loss_changes: LooseNumbers.optional(),
  split_type: z.array(z.number().int()).optional(),
  categories: z.array(z.number().int()).optional(),
  categories_nodes: z.array(z.number().int()).optional(),
  categories_segments: z.array(z.number().int()).optional(),
  categories_sizes: z.array(z.number().int()).optional(),
});

const XgbModel = z.object({
  learner: z.object({
    feature_names: z.array(z.string()).optional(),
    feature_types: z.array(z.string()).optional(),
    learner_model_param: z.object({
      base_score: z.string(),
      num_feature: z.string(),
      num_class: z.string().optional(),
    }),
    objective: z.object({ name: z.string() }),
    gradient_booster: z.object({
      name: z.string(),
      model: z
        .object({
          trees: z.array(XgbTree),
          tree_info: z.array(z.number().int()).optional(),
        })
        .optional(),
    }),
  }),
  version: z.array(z.number()).optional(),
});

/** Objectives whose raw margin is a log-odds, so `sigmoid(margin)` is the probability. */
const LOGISTIC_OBJECTIVES = new Set(['binary:logistic', 'reg:logistic']);

/**
 * JSON.parse for XGBoost's output, which writes the bare tokens `NaN` and `Infinity` (not JSON):
 * outside strings, NaN becomes null and ±Infinity a number that parses to ±Infinity.
 */
export function parseXgboostJson(text: string): unknown {
  let out = '';
  let copiedTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    if (char === 'N' && text.startsWith('NaN', index)) {
      out += `${text.slice(copiedTo, index)}null`;
      index += 2;
      copiedTo = index + 1;
    } else if (char === 'I' && text.startsWith('Infinity', index)) {
      out += `${text.slice(copiedTo, index)}1e999`;
      index += 7;
      copiedTo = index + 1;
    }
  }
  return JSON.parse(out + text.slice(copiedTo));
}

/** `"5E-1"`, or `"[5E-1]"` as XGBoost 2 writes it. */
function parseBaseScore(text: string): number {
  const value = Number(text.replace(/^\[|\]$/g, ''));
  if (!(value > 0 && value < 1)) {
    throw new GbdtModelFormatError(
      `xgboost model: learner_model_param.base_score must be a probability, got ${text}`,
    );
  }
  return value;
}

function convertTree(tree: z.infer<typeof XgbTree>, index: number, featureCount: number): DecisionTree {
  const count = tree.left_children.length;
  const label = `xgboost model: trees[${index}]`;
  const arrays = {
    right_children: tree.right_children,
    split_indices: tree.split_indices,
    split_conditions: tree.split_conditions,
    default_left: tree.default_left,
    sum_hessian: tree.sum_hessian,
  };
  for (const [name, array] of Object.entries(arrays)) {
    if (array.length !== count)
      throw new GbdtModelFormatError(`${label}.${name} has ${array.length} entries, left_children ${count}`);
  }
  const converted = {
    left: Int32Array.from(tree.left_children),
    right: Int32Array.from(tree.right_children),
    feature: new Int32Array(count).fill(-1),
    threshold: new Float64Array(count),
    defaultLeft: Uint8Array.from(tree.default_left),
    value: new Float64Array(count),
    cover: Float64Array.from(tree.sum_hessian, (hessian) => hessian ?? 0),
    gain: new Float64Array(count),
    categories: new Map<number, number[]>(),
  };
  for (let node = 0; node < count; node++) {
    const condition = tree.split_conditions[node] ?? null;
    if ((tree.left_children[node] ?? -1) < 0) {
      // XGBoost keeps a leaf's output in split_conditions; it is a float32.
      if (condition === null) throw new GbdtModelFormatError(`${label}: leaf ${node} has no value`);
      converted.value[node] = Math.fround(condition);
      continue;
    }
    const feature = tree.split_indices[node] ?? -1;
    if (feature >= featureCount)
      throw new GbdtModelFormatError(
        `${label}: node ${node} splits on feature ${feature} of ${featureCount}`,
      );
    converted.feature[node] = feature;
    converted.gain[node] = tree.loss_changes?.[node] ?? 0;
    if ((tree.split_type?.[node] ?? 0) === 0) {
      if (condition === null)
        throw new GbdtModelFormatError(`${label}: numeric split ${node} has no threshold`);
      converted.threshold[node] = Math.fround(condition);
    }
  }
  const nodes = tree.categories_nodes ?? [];
  nodes.forEach((node, position) => {
    const start = tree.categories_segments?.[position] ?? 0;
    const size = tree.categories_sizes?.[position] ?? 0;
    const codes = (tree.categories ?? []).slice(start, start + size);
    if (codes.length !== size)
      throw new GbdtModelFormatError(`${label}: categories of node ${node} run past the categories array`);
    converted.categories.set(
      node,
      [...codes].sort((a, b) => a - b),
    );
  });
  for (let node = 0; node < count; node++) {
    if ((tree.split_type?.[node] ?? 0) === 1 && !converted.categories.has(node)) {
      // A categorical split with an empty set sends every category left.
      converted.categories.set(node, []);
    }
  }
  return converted;
}

/**
 * Loads a binary classifier saved by XGBoost as JSON (`booster.save_model('model.json')`, for
 * instance the `xgboost-model` of SageMaker's built-in algorithm re-saved as JSON) into the same
 * scorer and TreeSHAP as models trained here. Numeric splits keep XGBoost's `x < threshold`
 * rule with thresholds and leaves as float32; categorical splits keep its "listed categories go
 * right" rule. Margins agree with XGBoost's to float32 rounding: XGBoost sums leaves in float32,
 * this scorer in float64.
 *
 * `features` names the columns (and their kinds); by default they come from the model's
 * `feature_names`/`feature_types`, or are called f0, f1, ...
 */
export function loadXgboostModel(input: string | unknown, features?: readonly FeatureSpec[]): GbdtModel {
  let parsedInput: unknown = input;
  if (typeof input === 'string') {
    try {
      parsedInput = parseXgboostJson(input);
    } catch (error) {
      throw new GbdtModelFormatError(
        `xgboost model: not JSON (${error instanceof Error ? error.message : String(error)}); save it with booster.save_model('model.json')`,
      );
    }
  }
  const result = XgbModel.safeParse(parsedInput, { reportInput: true });
  if (!result.success)
    throw new GbdtModelFormatError(`xgboost model: ${formatIssues(result.error, 'model')}`);
  const { learner } = result.data;
  const objective = learner.objective.name;
  if (!LOGISTIC_OBJECTIVES.has(objective)) {
    throw new GbdtModelFormatError(
      `xgboost model: objective ${objective} is not supported; expected binary:logistic (a binary classifier)`,
    );
  }
  if (learner.gradient_booster.name !== 'gbtree' || learner.gradient_booster.model === undefined) {
    throw new GbdtModelFormatError(
      `xgboost model: booster ${learner.gradient_booster.name} is not supported; expected gbtree`,
    );
  }
  const numClass = Number(learner.learner_model_param.num_class ?? '0');
  if (numClass > 1)
    throw new GbdtModelFormatError(`xgboost model: ${numClass} classes; expected a binary classifier`);
  const featureCount = Number(learner.learner_model_param.num_feature);
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new GbdtModelFormatError(
      `xgboost model: learner_model_param.num_feature must be a positive integer, got ${learner.learner_model_param.num_feature}`,
    );
  }
  let specs: readonly FeatureSpec[];
  if (features !== undefined) {
    if (features.length !== featureCount)
      throw new GbdtModelFormatError(
        `xgboost model has ${featureCount} features, ${features.length} were named`,
      );
    specs = features;
  } else {
    const names = learner.feature_names ?? [];
    const types = learner.feature_types ?? [];
    specs = Array.from({ length: featureCount }, (_, feature) => ({
      name: names[feature] ?? `f${feature}`,
      kind: types[feature] === 'c' ? 'categorical' : 'numeric',
    }));
  }
  const baseScore = parseBaseScore(learner.learner_model_param.base_score);
  const trees = learner.gradient_booster.model.trees.map((tree, index) =>
    convertTree(tree, index, featureCount),
  );
  const version = result.data.version?.join('.') ?? 'unknown';
  try {
    return new GbdtModel({
      trees,
      features: specs,
      // XGBoost starts every margin from float32(logit(base_score)).
      baseMargin: Math.fround(Math.log(baseScore / (1 - baseScore))),
      source: `xgboost ${version}`,
    });
  } catch (error) {
    throw new GbdtModelFormatError(
      `xgboost model: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
