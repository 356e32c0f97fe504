import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { FeatureSpec, GbdtDataset } from '../../../../ml/models/gbdt/dataset.js';
import { seededUniform } from '../../../../ml/models/gbdt/random.js';

export const FEATURE_COUNT = 8;
/** Feature 5 is categorical (10 codes); feature 3 is missing on ~15% of rows. */
export const SYNTHETIC_FEATURES: readonly FeatureSpec[] = Array.from(
  { length: FEATURE_COUNT },
  (_, feature) => ({
    name: `x${feature}`,
    kind: feature === 5 ? 'categorical' : 'numeric',
  }),
);

/**
 * A seeded binary problem with interactions, a nonlinearity, missing values that carry signal
 * and a categorical effect; labels are drawn from the true probability, so no model is perfect.
 */
export function syntheticDataset(rows: number, seed: number): GbdtDataset & { readonly truth: Float64Array } {
  const random = seededUniform(seed, 99);
  const normal = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const values = new Float32Array(rows * FEATURE_COUNT);
  const labels = new Float32Array(rows);
  const truth = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const at = row * FEATURE_COUNT;
    for (let feature = 0; feature < FEATURE_COUNT; feature++) {
      values[at + feature] = feature === 5 ? Math.floor(random() * 10) : normal();
    }
    if (random() < 0.15) values[at + 3] = Number.NaN;
    const x = (feature: number): number => values[at + feature] ?? 0;
    const category = x(5);
    const logit =
      1.5 * x(0) +
      x(1) * x(2) +
      (Number.isNaN(x(3)) ? 1.2 : Math.sin(2 * x(3))) +
      ([1, 4, 7].includes(category) ? 1 : -0.5) +
      0.5 * x(4) * x(4) -
      1;
    truth[row] = 1 / (1 + Math.exp(-logit));
    labels[row] = random() < (truth[row] ?? 0) ? 1 : 0;
  }
  return { values, rows, features: SYNTHETIC_FEATURES, labels, truth };
}

export interface XgboostFixture {
  readonly model: string;
  readonly rows: number;
  readonly features: number;
  readonly values: Float32Array;
  readonly margins: readonly number[];
  readonly leaves: readonly (readonly number[])[];
  readonly contributions: readonly (readonly number[])[];
}

const ExpectedSchema = z.object({
  rows: z.number().int(),
  features: z.number().int(),
  values: z.array(z.array(z.number().nullable())),
  margins: z.array(z.number()),
  leaves: z.array(z.array(z.number().int())),
  contributions: z.array(z.array(z.number())),
});

/** A fixture made by bench/reference/make_xgb_fixture.py with python3-xgboost 1.7. */
export function xgboostFixture(name: 'numeric' | 'categorical'): XgboostFixture {
  const directory = fileURLToPath(new URL('../../../fixtures/xgboost/', import.meta.url));
  const expected = ExpectedSchema.parse(
    JSON.parse(readFileSync(`${directory}${name}.expected.json`, 'utf8')),
  );
  return {
    model: readFileSync(`${directory}${name}.model.json`, 'utf8'),
    rows: expected.rows,
    features: expected.features,
    values: Float32Array.from(expected.values.flat(), (value) => value ?? Number.NaN),
    margins: expected.margins,
    leaves: expected.leaves,
    contributions: expected.contributions,
  };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let index = 0; index < a.length; index++)
    worst = Math.max(worst, Math.abs((a[index] ?? 0) - (b[index] ?? 0)));
  return worst;
}
