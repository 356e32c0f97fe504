import { checkProbabilities, checkSameLength, countPositives } from './inputs.js';

/**
 * Platt scaling on the logit: `p = sigmoid(a * logit(score) + b)`. The identity is a = 1, b = 0;
 * a < 1 softens over-confident scores, b shifts the base rate. Plain JSON, exact round trip.
 */
export interface PlattModel {
  readonly kind: 'platt';
  readonly a: number;
  readonly b: number;
}

/** Scores are clipped this far from 0 and 1 so that their logit stays finite. */
export const PLATT_EPSILON = 1e-15;

const MAX_ITERATIONS = 100;

function logitOf(score: number): number {
  const clipped = Math.min(1 - PLATT_EPSILON, Math.max(PLATT_EPSILON, score));
  return Math.log(clipped) - Math.log1p(-clipped);
}

function sigmoid(value: number): number {
  if (value >= 0) return 1 / (1 + Math.exp(-value));
  const exp = Math.exp(value);
  return exp / (1 + exp);
}

/** log(1 + e^value) without overflow. */
function softplus(value: number): number {
  return Math.max(value, 0) + Math.log1p(Math.exp(-Math.abs(value)));
}

/**
 * Maximum-likelihood fit of (a, b) by Newton's method with step halving. The 0/1 labels are
 * replaced by Platt's targets ((P + 1) / (P + 2) for churners, 1 / (N + 2) for the others), as
 * sklearn does: on separable data the plain fit would run off to infinite parameters.
 */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): PlattModel {
  const count = checkSameLength('fitPlatt', scores, labels);
  checkProbabilities('fitPlatt', scores);
  const positives = countPositives('fitPlatt', labels);
  const negatives = count - positives;
  const positiveTarget = (positives + 1) / (positives + 2);
  const negativeTarget = 1 / (negatives + 2);
  const z = new Float64Array(count);
  const targets = new Float64Array(count);
  let zMin = Number.POSITIVE_INFINITY;
  let zMax = Number.NEGATIVE_INFINITY;
  let targetSum = 0;
  for (let index = 0; index < count; index++) {
    const logit = logitOf(scores[index] ?? 0);
    z[index] = logit;
    zMin = Math.min(zMin, logit);
    zMax = Math.max(zMax, logit);
    const target = labels[index] === 1 ? positiveTarget : negativeTarget;
    targets[index] = target;
    targetSum += target;
  }
  const meanTarget = targetSum / count;
  // With one distinct score the slope is not identified; the intercept alone is the exact fit.
  if (zMin === zMax) return { kind: 'platt', a: 0, b: logitOf(meanTarget) };

  const lossAt = (a: number, b: number): number => {
    let loss = 0;
    for (let index = 0; index < count; index++) {
      const u = a * (z[index] ?? 0) + b;
      loss += softplus(u) - (targets[index] ?? 0) * u;
    }
    return loss;
  };

  let a = 0;
  let b = logitOf(meanTarget);
  let loss = lossAt(a, b);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let gradientA = 0;
    let gradientB = 0;
    let hessianAA = 0;
    let hessianAB = 0;
    let hessianBB = 0;
    for (let index = 0; index < count; index++) {
      const zi = z[index] ?? 0;
      const p = sigmoid(a * zi + b);
      const residual = p - (targets[index] ?? 0);
      const curvature = p * (1 - p);
      gradientA += residual * zi;
      gradientB += residual;
      hessianAA += curvature * zi * zi;
      hessianAB += curvature * zi;
      hessianBB += curvature;
    }
    if (Math.max(Math.abs(gradientA), Math.abs(gradientB)) < 1e-10 * count) break;
    // A tiny ridge keeps the 2x2 solve defined when the scores saturate the sigmoid.
    hessianAA += 1e-12;
    hessianBB += 1e-12;
    const determinant = hessianAA * hessianBB - hessianAB * hessianAB;
    const stepA = (hessianBB * gradientA - hessianAB * gradientB) / determinant;
    const stepB = (hessianAA * gradientB - hessianAB * gradientA) / determinant;
    let scale = 1;
    let improved = false;
    while (scale > 1e-10) {
      const candidateA = a - scale * stepA;
      const candidateB = b - scale * stepB;
      const candidateLoss = lossAt(candidateA, candidateB);
      if (candidateLoss <= loss) {
        improved = candidateLoss < loss;
        a = candidateA;
        b = candidateB;
        loss = candidateLoss;
        break;
      }
      scale /= 2;
    }
    if (!improved) break;
  }
  return { kind: 'platt', a, b };
}

export function predictPlatt(model: PlattModel, score: number): number {
  if (!(score >= 0 && score <= 1))
    throw new RangeError(`predictPlatt: score must be in [0, 1], got ${score}`);
  return sigmoid(model.a * logitOf(score) + model.b);
}

/** Checks a model read back from JSON (e.g. an artifact in S3) and returns it typed. */
export function revivePlatt(value: unknown): PlattModel {
  if (
    typeof value !== 'object' ||
    value === null ||
    !('kind' in value) ||
    !('a' in value) ||
    !('b' in value)
  ) {
    throw new TypeError('Platt model: expected an object with kind, a and b');
  }
  const { kind, a, b } = value;
  if (kind !== 'platt') throw new TypeError(`Platt model: kind must be "platt", got ${JSON.stringify(kind)}`);
  if (typeof a !== 'number' || !Number.isFinite(a) || typeof b !== 'number' || !Number.isFinite(b)) {
    throw new TypeError(`Platt model: a and b must be finite numbers, got ${JSON.stringify({ a, b })}`);
  }
  return { kind, a, b };
}
