/** A logistic regression on a few columns: the stacker's meta-learner. */
export interface LogisticModel {
  readonly kind: 'logistic';
  /** Column names, in the order of `coefficients`. */
  readonly inputs: readonly string[];
  readonly coefficients: readonly number[];
  readonly intercept: number;
  /** Mean and spread of each column on the training data: inputs are standardised before the weights. */
  readonly means: readonly number[];
  readonly scales: readonly number[];
}

export interface LogisticOptions {
  /** L2 penalty on the (standardised) coefficients, per training row. @default 1e-4 */
  readonly l2?: number;
  /** Newton steps at most. @default 50 */
  readonly maxIterations?: number;
}

/** Solves the small symmetric positive-definite system `a x = b` in place (Cholesky). */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] ?? 0) * (l[j * n + k] ?? 0);
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * n + j] = sum / (l[j * n + j] ?? 1);
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] ?? 0) * (y[k] ?? 0);
    y[i] = sum / (l[i * n + i] ?? 1);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i] ?? 0;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * n + i] ?? 1);
  }
  return x;
}

const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin));

/**
 * Fits `P(y = 1) = sigmoid(intercept + sum_j coefficients_j * (x_j - mean_j) / scale_j)` by
 * Newton's method (IRLS) with an L2 penalty, which is exact and fast for the handful of columns
 * a stacker has. `columns[j]` holds column j for every row.
 */
export function fitLogistic(
  inputs: readonly string[],
  columns: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  const width = columns.length;
  const rows = labels.length;
  if (width !== inputs.length)
    throw new RangeError(`fitLogistic: ${inputs.length} names for ${width} columns`);
  if (rows === 0) throw new RangeError('fitLogistic: no rows');
  columns.forEach((column, index) => {
    if (column.length !== rows)
      throw new RangeError(`fitLogistic: column ${inputs[index]} has ${column.length} rows, labels ${rows}`);
  });
  const means = columns.map((column) => {
    let sum = 0;
    for (let row = 0; row < rows; row++) sum += column[row] ?? 0;
    return sum / rows;
  });
  const scales = columns.map((column, index) => {
    let sum = 0;
    const mean = means[index] ?? 0;
    for (let row = 0; row < rows; row++) sum += ((column[row] ?? 0) - mean) ** 2;
    const deviation = Math.sqrt(sum / rows);
    return deviation > 1e-12 ? deviation : 1;
  });
  const n = width + 1;
  // Standardised design with the intercept last.
  const design = new Float64Array(rows * n);
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < width; j++)
      design[row * n + j] = ((columns[j]?.[row] ?? 0) - (means[j] ?? 0)) / (scales[j] ?? 1);
    design[row * n + width] = 1;
  }
  const penalty = (options.l2 ?? 1e-4) * rows;
  const weights = new Float64Array(n);
  const maxIterations = options.maxIterations ?? 50;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (let row = 0; row < rows; row++) {
      let margin = 0;
      for (let j = 0; j < n; j++) margin += (weights[j] ?? 0) * (design[row * n + j] ?? 0);
      const p = sigmoid(margin);
      const residual = p - (labels[row] ?? 0);
      const curvature = Math.max(p * (1 - p), 1e-10);
      for (let i = 0; i < n; i++) {
        const xi = design[row * n + i] ?? 0;
        gradient[i] = (gradient[i] ?? 0) + residual * xi;
        for (let j = 0; j <= i; j++)
          hessian[i * n + j] = (hessian[i * n + j] ?? 0) + curvature * xi * (design[row * n + j] ?? 0);
      }
    }
    for (let i = 0; i < width; i++) {
      gradient[i] = (gradient[i] ?? 0) + penalty * (weights[i] ?? 0);
      hessian[i * n + i] = (hessian[i * n + i] ?? 0) + penalty;
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) hessian[j * n + i] = hessian[i * n + j] ?? 0;
    const step = solve(hessian, gradient, n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      weights[i] = (weights[i] ?? 0) - (step[i] ?? 0);
      change = Math.max(change, Math.abs(step[i] ?? 0));
    }
    if (change < 1e-9) break;
  }
  return {
    kind: 'logistic',
    inputs: [...inputs],
    coefficients: Array.from(weights.subarray(0, width)),
    intercept: weights[width] ?? 0,
    means,
    scales,
  };
}

/**
 * Each input's share of the logistic margin for one row (`contributions[j]`, summing with the
 * returned `base` to the margin): the stack's way of splitting a score among its components.
 */
export function logisticTerms(
  model: LogisticModel,
  values: ArrayLike<number>,
): { base: number; terms: number[] } {
  let base = model.intercept;
  const terms = model.coefficients.map((coefficient, j) => {
    const scale = model.scales[j] ?? 1;
    base -= (coefficient * (model.means[j] ?? 0)) / scale;
    return (coefficient * (values[j] ?? 0)) / scale;
  });
  return { base, terms };
}

export function logisticMargin(model: LogisticModel, values: ArrayLike<number>): number {
  let margin = model.intercept;
  for (let j = 0; j < model.coefficients.length; j++)
    margin +=
      ((model.coefficients[j] ?? 0) * ((values[j] ?? 0) - (model.means[j] ?? 0))) / (model.scales[j] ?? 1);
  return margin;
}
