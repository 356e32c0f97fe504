import type { FeatureSpec } from '../gbdt/dataset.js';

/** Percentiles stored per numeric feature: enough for PSI bins and a KS distance. */
export const BASELINE_QUANTILES = 100;

export interface NumericBaseline {
  readonly name: string;
  readonly kind: 'numeric';
  readonly count: number;
  readonly missing: number;
  readonly mean: number;
  readonly std: number;
  /** `BASELINE_QUANTILES + 1` values: the 0th, 1st, ..., 100th percentile of the non-missing values. */
  readonly quantiles: readonly number[];
}

export interface CategoricalBaseline {
  readonly name: string;
  readonly kind: 'categorical';
  readonly count: number;
  readonly missing: number;
  /** Rows per level (levels as the model codes them). */
  readonly levels: Readonly<Record<string, number>>;
}

export type FeatureBaseline = NumericBaseline | CategoricalBaseline;

/** The training distributions the drift checks compare recent data with (issue: monitoring). */
export interface TrainingBaseline {
  readonly rows: number;
  readonly features: readonly FeatureBaseline[];
  /** Distribution of the calibrated churn probability on the training rows (out of fold). */
  readonly score: NumericBaseline;
}

/** Percentiles by linear interpolation between ranks (numpy's default). */
function percentiles(sorted: Float64Array): number[] {
  const out: number[] = [];
  for (let step = 0; step <= BASELINE_QUANTILES; step++) {
    if (sorted.length === 0) {
      out.push(Number.NaN);
      continue;
    }
    const position = (step / BASELINE_QUANTILES) * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(sorted.length - 1, low + 1);
    const fraction = position - low;
    out.push((sorted[low] ?? 0) * (1 - fraction) + (sorted[high] ?? 0) * fraction);
  }
  return out;
}

export function numericBaseline(name: string, values: ArrayLike<number>): NumericBaseline {
  const present: number[] = [];
  for (let index = 0; index < values.length; index++) {
    const value = values[index] ?? Number.NaN;
    if (!Number.isNaN(value)) present.push(value);
  }
  const sorted = Float64Array.from(present).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const mean = sorted.length === 0 ? 0 : sum / sorted.length;
  let squares = 0;
  for (const value of sorted) squares += (value - mean) ** 2;
  return {
    name,
    kind: 'numeric',
    count: values.length,
    missing: values.length - sorted.length,
    mean,
    std: sorted.length === 0 ? 0 : Math.sqrt(squares / sorted.length),
    quantiles: percentiles(sorted),
  };
}

/** Baselines of every column of an encoded matrix (`[rows, features.length]`) and of the scores. */
export function trainingBaseline(
  features: readonly FeatureSpec[],
  values: Float32Array,
  rows: number,
  scores: ArrayLike<number>,
): TrainingBaseline {
  const width = features.length;
  const column = new Float64Array(rows);
  const baselines = features.map((spec, index): FeatureBaseline => {
    for (let row = 0; row < rows; row++) column[row] = values[row * width + index] ?? Number.NaN;
    if (spec.kind === 'numeric') return numericBaseline(spec.name, column);
    const levels: Record<string, number> = {};
    let missing = 0;
    for (let row = 0; row < rows; row++) {
      const code = column[row] ?? Number.NaN;
      const level = Number.isNaN(code) ? undefined : spec.categories?.[code];
      if (level === undefined) missing += 1;
      else levels[level] = (levels[level] ?? 0) + 1;
    }
    return { name: spec.name, kind: 'categorical', count: rows, missing, levels };
  });
  return { rows, features: baselines, score: numericBaseline('churn_probability', scores) };
}
