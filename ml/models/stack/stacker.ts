import {
  fitIsotonic,
  fitPlatt,
  type IsotonicModel,
  type PlattModel,
  predictIsotonic,
  predictPlatt,
  reviveIsotonic,
  revivePlatt,
} from '../../eval/index.js';
import { fitLogistic, type LogisticModel, logisticMargin, logisticTerms } from './logistic.js';

export type CalibrationMethod = 'isotonic' | 'platt';

/**
 * The meta-learner over the components' out-of-fold margins, then a calibration map from its
 * margin to a churn probability. Each part is plain JSON, stored in the model artifact.
 */
export interface Stacker {
  readonly format: 'churn-radar/stacker';
  readonly version: 1;
  readonly meta: LogisticModel;
  readonly calibration: IsotonicModel | PlattModel;
}

export interface StackerOptions {
  /** @default 'isotonic' */
  readonly calibration?: CalibrationMethod;
  /** L2 penalty of the meta-learner. @default 1e-4 */
  readonly l2?: number;
}

/**
 * Isotonic calibration is a step function, so customers in one step would tie; this much of the
 * stack's own probability is added back so the order of the stack survives calibration (the
 * ranking metrics stay those of the stack) while the probabilities move by less than 1e-6.
 */
const TIE_BREAK = 1e-6;

const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin));

/**
 * Fits the meta-learner on out-of-fold margins (`columns[j][row]` = component `inputs[j]`'s
 * margin for training row `row`, predicted by a model that never saw that row), then the
 * calibration on the meta-learner's margins for the same rows.
 */
export function fitStacker(
  inputs: readonly string[],
  columns: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: StackerOptions = {},
): Stacker {
  const meta = fitLogistic(inputs, columns, labels, options.l2 === undefined ? {} : { l2: options.l2 });
  const margins = new Float64Array(labels.length);
  const row = new Float64Array(inputs.length);
  for (let index = 0; index < labels.length; index++) {
    for (let j = 0; j < inputs.length; j++) row[j] = columns[j]?.[index] ?? 0;
    margins[index] = logisticMargin(meta, row);
  }
  const calibration =
    (options.calibration ?? 'isotonic') === 'isotonic'
      ? fitIsotonic(margins, labels)
      : fitPlatt(
          margins.map((margin) => sigmoid(margin)),
          labels,
        );
  return { format: 'churn-radar/stacker', version: 1, meta, calibration };
}

/** The meta-learner's margin for one row of component margins (in `stacker.meta.inputs` order). */
export function stackMargin(stacker: Stacker, componentMargins: ArrayLike<number>): number {
  return logisticMargin(stacker.meta, componentMargins);
}

/** Each component's share of the stack margin: `base + sum(terms) = stackMargin`. */
export function stackTerms(
  stacker: Stacker,
  componentMargins: ArrayLike<number>,
): { base: number; terms: number[] } {
  return logisticTerms(stacker.meta, componentMargins);
}

/** The calibrated churn probability for a stack margin. */
export function calibrate(stacker: Stacker, margin: number): number {
  const { calibration } = stacker;
  if (calibration.kind === 'platt') return predictPlatt(calibration, sigmoid(margin));
  const probability = predictIsotonic(calibration, margin) + TIE_BREAK * (sigmoid(margin) - 0.5);
  return Math.min(1, Math.max(0, probability));
}

/** Checks a stacker read back from JSON and returns it typed; the message names what is wrong. */
export function reviveStacker(value: unknown): Stacker {
  if (typeof value !== 'object' || value === null) throw new TypeError('stacker: expected an object');
  const record = value as Record<string, unknown>;
  if (record.format !== 'churn-radar/stacker' || record.version !== 1)
    throw new TypeError(`stacker: unknown format ${String(record.format)} version ${String(record.version)}`);
  const meta = record.meta as Record<string, unknown> | undefined;
  const numbers = (name: string, list: unknown): number[] => {
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'number' && Number.isFinite(item)))
      throw new TypeError(`stacker.meta.${name}: expected a list of finite numbers`);
    return list as number[];
  };
  if (meta?.kind !== 'logistic' || !Array.isArray(meta.inputs) || typeof meta.intercept !== 'number')
    throw new TypeError('stacker.meta: expected a logistic model with inputs and intercept');
  const inputs = meta.inputs.map(String);
  const coefficients = numbers('coefficients', meta.coefficients);
  const means = numbers('means', meta.means);
  const scales = numbers('scales', meta.scales);
  if ([coefficients, means, scales].some((list) => list.length !== inputs.length))
    throw new TypeError('stacker.meta: coefficients, means and scales must have one entry per input');
  const calibrationRecord = record.calibration as { kind?: unknown } | undefined;
  const calibration =
    calibrationRecord?.kind === 'platt' ? revivePlatt(calibrationRecord) : reviveIsotonic(calibrationRecord);
  return {
    format: 'churn-radar/stacker',
    version: 1,
    meta: { kind: 'logistic', inputs, coefficients, intercept: meta.intercept, means, scales },
    calibration,
  };
}
