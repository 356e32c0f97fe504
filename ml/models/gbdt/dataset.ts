/** How the learner reads a column: ordered values, or unordered integer codes. */
export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
  /**
   * For categorical features: the level behind each code (`categories[code]`), kept in the model
   * so a scorer can encode its input the way training did. Codes are what the trees split on.
   */
  readonly categories?: readonly string[];
}

/**
 * Training or scoring data: a dense row-major matrix `values` of shape `[rows, features.length]`
 * with `NaN` for a missing value. Categorical columns hold integer codes `0..K-1` (K at most
 * `maxBin - 1`); a code outside what training saw is routed like XGBoost does (see README).
 */
export interface GbdtMatrix {
  readonly values: Float32Array;
  readonly rows: number;
  readonly features: readonly FeatureSpec[];
}

export interface GbdtDataset extends GbdtMatrix {
  /** `[rows]`, each in [0, 1] (1 = churned). */
  readonly labels: ArrayLike<number>;
  /** `[rows]`, optional non-negative sample weights (XGBoost's `weight`). */
  readonly weights?: ArrayLike<number>;
}

/** Data that breaks the learner's input contract; the message names the column, row or field. */
export class GbdtDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GbdtDataError';
  }
}

/** Checks shapes, labels, weights and categorical codes once, so the hot loops need not. */
export function validateDataset(data: GbdtMatrix, role: string, labels?: ArrayLike<number>): void {
  const featureCount = data.features.length;
  if (featureCount === 0) throw new GbdtDataError(`${role}: no features`);
  if (!Number.isInteger(data.rows) || data.rows < 1)
    throw new GbdtDataError(`${role}: rows must be a positive integer, got ${data.rows}`);
  if (data.values.length !== data.rows * featureCount) {
    throw new GbdtDataError(
      `${role}: values holds ${data.values.length} numbers but rows x features is ${data.rows} x ${featureCount}`,
    );
  }
  for (let feature = 0; feature < featureCount; feature++) {
    const spec = data.features[feature];
    if (spec?.kind !== 'categorical') continue;
    for (let row = 0; row < data.rows; row++) {
      const value = data.values[row * featureCount + feature] ?? Number.NaN;
      if (Number.isNaN(value)) continue;
      if (!Number.isInteger(value) || value < 0) {
        throw new GbdtDataError(
          `${role}: categorical feature "${spec.name}" must hold integer codes >= 0 or NaN; row ${row} has ${value}`,
        );
      }
    }
  }
  if (labels === undefined) return;
  if (labels.length !== data.rows)
    throw new GbdtDataError(`${role}: ${labels.length} labels for ${data.rows} rows`);
  for (let row = 0; row < data.rows; row++) {
    const label = labels[row] ?? Number.NaN;
    if (!(label >= 0 && label <= 1))
      throw new GbdtDataError(`${role}: label of row ${row} must be in [0, 1], got ${label}`);
  }
}

export function validateWeights(weights: ArrayLike<number>, rows: number, role: string): void {
  if (weights.length !== rows) throw new GbdtDataError(`${role}: ${weights.length} weights for ${rows} rows`);
  for (let row = 0; row < rows; row++) {
    const weight = weights[row] ?? Number.NaN;
    if (!(weight >= 0 && Number.isFinite(weight)))
      throw new GbdtDataError(`${role}: weight of row ${row} must be finite and >= 0, got ${weight}`);
  }
}
