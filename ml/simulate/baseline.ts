import type { Event } from '../schema/event.js';

/**
 * A deliberately simple churn model used to check the simulated data: logistic regression on
 * a handful of 30-day aggregates. If it scored near the oracle, the data would be trivial; if it
 * scored near 0.5, the behaviour would carry no signal.
 */
export const BASELINE_FEATURES = [
  'log_sessions_30d',
  'log_play_minutes_30d',
  'failed_payments_30d',
  'log_tenure_days',
  'days_since_last_session',
  'session_share_last_7d',
] as const;

const DAY_MS = 86_400_000;
const SESSIONS = 0;
const MINUTES = 1;
const FAILED = 2;
const SESSIONS_7D = 3;
const LAST_SESSION_MS = 4;
const SLOTS = 5;

/** Per customer and cut-off, the aggregates of events in the 30 days before the cut-off. */
export class WindowAggregates {
  private readonly cutoffsMs: readonly number[];
  private readonly windowMs: number;
  private readonly byCutoff: Array<Map<string, Float64Array>>;

  constructor(cutoffsMs: readonly number[], windowDays = 30) {
    this.cutoffsMs = cutoffsMs;
    this.windowMs = windowDays * DAY_MS;
    this.byCutoff = cutoffsMs.map(() => new Map());
  }

  add(event: Event): void {
    const type = event.type;
    if (type !== 'session_start' && type !== 'play' && type !== 'payment_failed') return;
    const ms = Date.parse(event.ts);
    this.cutoffsMs.forEach((cutoffMs, index) => {
      if (ms >= cutoffMs || ms < cutoffMs - this.windowMs) return;
      const customers = this.byCutoff[index];
      if (customers === undefined) return;
      let slots = customers.get(event.user_id);
      if (slots === undefined) {
        slots = new Float64Array(SLOTS).fill(0);
        slots[LAST_SESSION_MS] = Number.NEGATIVE_INFINITY;
        customers.set(event.user_id, slots);
      }
      if (event.type === 'session_start') {
        slots[SESSIONS] = (slots[SESSIONS] ?? 0) + 1;
        if (ms >= cutoffMs - 7 * DAY_MS) slots[SESSIONS_7D] = (slots[SESSIONS_7D] ?? 0) + 1;
        slots[LAST_SESSION_MS] = Math.max(slots[LAST_SESSION_MS] ?? 0, ms);
      } else if (event.type === 'play') {
        slots[MINUTES] = (slots[MINUTES] ?? 0) + event.properties.minutes;
      } else {
        slots[FAILED] = (slots[FAILED] ?? 0) + 1;
      }
    });
  }

  /** The feature vector (BASELINE_FEATURES order) of a customer registered at `registeredMs`. */
  features(userId: string, cutoffIndex: number, registeredMs: number): number[] {
    const cutoffMs = this.cutoffsMs[cutoffIndex] ?? 0;
    const slots = this.byCutoff[cutoffIndex]?.get(userId);
    const sessions = slots?.[SESSIONS] ?? 0;
    const lastSession = slots?.[LAST_SESSION_MS] ?? Number.NEGATIVE_INFINITY;
    const windowDays = this.windowMs / DAY_MS;
    return [
      Math.log1p(sessions),
      Math.log1p(slots?.[MINUTES] ?? 0),
      slots?.[FAILED] ?? 0,
      Math.log1p(Math.max(0, (cutoffMs - registeredMs) / DAY_MS)),
      Number.isFinite(lastSession) ? Math.min(windowDays, (cutoffMs - lastSession) / DAY_MS) : windowDays,
      sessions === 0 ? 0 : (slots?.[SESSIONS_7D] ?? 0) / sessions,
    ];
  }
}

export interface LogisticModel {
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Intercept first, then one weight per standardised feature. */
  readonly weights: readonly number[];
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A is small and dense). */
function solve(matrix: number[][], vector: number[]): number[] {
  const size = vector.length;
  const a = matrix.map((row, index) => [...row, vector[index] ?? 0]);
  for (let column = 0; column < size; column++) {
    let pivot = column;
    for (let row = column + 1; row < size; row++) {
      if (Math.abs(a[row]?.[column] ?? 0) > Math.abs(a[pivot]?.[column] ?? 0)) pivot = row;
    }
    const pivotRow = a[pivot];
    const current = a[column];
    if (pivotRow === undefined || current === undefined) throw new Error('solve: bad matrix');
    a[pivot] = current;
    a[column] = pivotRow;
    const divisor = pivotRow[column] ?? 1;
    for (let row = column + 1; row < size; row++) {
      const target = a[row];
      if (target === undefined) continue;
      const factor = (target[column] ?? 0) / divisor;
      for (let k = column; k <= size; k++) target[k] = (target[k] ?? 0) - factor * (pivotRow[k] ?? 0);
    }
  }
  const x = new Array<number>(size).fill(0);
  for (let row = size - 1; row >= 0; row--) {
    const current = a[row] ?? [];
    let sum = current[size] ?? 0;
    for (let k = row + 1; k < size; k++) sum -= (current[k] ?? 0) * (x[k] ?? 0);
    x[row] = sum / (current[row] ?? 1);
  }
  return x;
}

/** Fits L2-regularised logistic regression by Newton's method on standardised features. */
export function fitLogistic(
  rows: readonly number[][],
  labels: readonly number[],
  l2 = 1e-3,
  iterations = 25,
): LogisticModel {
  const width = rows[0]?.length ?? 0;
  const means = new Array<number>(width).fill(0);
  const scales = new Array<number>(width).fill(0);
  for (const row of rows) {
    for (let k = 0; k < width; k++) means[k] = (means[k] ?? 0) + (row[k] ?? 0) / rows.length;
  }
  for (const row of rows) {
    for (let k = 0; k < width; k++)
      scales[k] = (scales[k] ?? 0) + ((row[k] ?? 0) - (means[k] ?? 0)) ** 2 / rows.length;
  }
  for (let k = 0; k < width; k++) scales[k] = Math.sqrt(scales[k] ?? 0) || 1;
  const standardised = rows.map((row) => [
    1,
    ...row.map((value, k) => (value - (means[k] ?? 0)) / (scales[k] ?? 1)),
  ]);
  let weights = new Array<number>(width + 1).fill(0);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const gradient = new Array<number>(width + 1).fill(0);
    const hessian = Array.from({ length: width + 1 }, () => new Array<number>(width + 1).fill(0));
    standardised.forEach((x, index) => {
      const p = sigmoid(dot(weights, x));
      const error = p - (labels[index] ?? 0);
      const curvature = Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i <= width; i++) {
        gradient[i] = (gradient[i] ?? 0) + error * (x[i] ?? 0);
        const hessianRow = hessian[i];
        if (hessianRow === undefined) continue;
        for (let j = 0; j <= width; j++)
          hessianRow[j] = (hessianRow[j] ?? 0) + curvature * (x[i] ?? 0) * (x[j] ?? 0);
      }
    });
    for (let i = 1; i <= width; i++) {
      gradient[i] = (gradient[i] ?? 0) + l2 * rows.length * (weights[i] ?? 0);
      const hessianRow = hessian[i];
      if (hessianRow !== undefined) hessianRow[i] = (hessianRow[i] ?? 0) + l2 * rows.length;
    }
    const step = solve(hessian, gradient);
    weights = weights.map((weight, i) => weight - (step[i] ?? 0));
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { means, scales, weights };
}

export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  const x = [1, ...row.map((value, k) => (value - (model.means[k] ?? 0)) / (model.scales[k] ?? 1))];
  return sigmoid(dot(model.weights, x));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
