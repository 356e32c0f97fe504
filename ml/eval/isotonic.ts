import { checkFiniteScores, checkProbabilities, checkSameLength } from './inputs.js';

/**
 * A non-decreasing, piecewise-linear map from a score to a calibrated probability: `x` strictly
 * increasing, `y` non-decreasing, same length. Plain JSON, so it round-trips exactly through the
 * model artifact (JSON keeps every double).
 */
export interface IsotonicModel {
  readonly kind: 'isotonic';
  readonly x: readonly number[];
  readonly y: readonly number[];
}

interface Block {
  xStart: number;
  xEnd: number;
  weight: number;
  sum: number;
  value: number;
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing fit of the targets (0/1
 * labels, or rates in [0, 1]) with the least squared error. Equal scores are pooled first, so
 * the fit does not depend on their order (as sklearn's `IsotonicRegression`).
 */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): IsotonicModel {
  const count = checkSameLength('fitIsotonic', scores, labels);
  checkFiniteScores('fitIsotonic', scores);
  checkProbabilities('fitIsotonic labels', labels);
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  order.sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));

  // Equal scores must get one value, so they are pooled before any ordering is enforced.
  const points: Block[] = [];
  for (let position = 0; position < count; position++) {
    const index = order[position] ?? 0;
    const x = scores[index] ?? 0;
    const point: Block = {
      xStart: x,
      xEnd: x,
      weight: 1,
      sum: labels[index] ?? 0,
      value: labels[index] ?? 0,
    };
    const last = points[points.length - 1];
    if (last !== undefined && last.xEnd === x) absorb(last, point);
    else points.push(point);
  }

  const blocks: Block[] = [];
  for (const point of points) {
    blocks.push(point);
    // Each new block may break the order of those before it; pooling walks back until it holds.
    for (;;) {
      const current = blocks[blocks.length - 1];
      const previous = blocks[blocks.length - 2];
      if (current === undefined || previous === undefined || previous.value < current.value) break;
      absorb(previous, current);
      blocks.pop();
    }
  }

  const x: number[] = [];
  const y: number[] = [];
  for (const block of blocks) {
    x.push(block.xStart);
    y.push(block.value);
    if (block.xEnd > block.xStart) {
      x.push(block.xEnd);
      y.push(block.value);
    }
  }
  return { kind: 'isotonic', x, y };
}

function absorb(into: Block, from: Block): void {
  // Pooling equal values keeps the value as it is: a mean recomputed from the sums could drift
  // by an ulp, and a step function should come back exactly.
  const value = into.value === from.value ? into.value : (into.sum + from.sum) / (into.weight + from.weight);
  into.xEnd = from.xEnd;
  into.weight += from.weight;
  into.sum += from.sum;
  into.value = value;
}

/** Linear interpolation between the fitted points; constant beyond the first and last. */
export function predictIsotonic(model: IsotonicModel, score: number): number {
  const { x, y } = model;
  const last = x.length - 1;
  if (Number.isNaN(score)) throw new RangeError('predictIsotonic: score must be a number, got NaN');
  if (score <= (x[0] ?? 0)) return y[0] ?? 0;
  if (score >= (x[last] ?? 0)) return y[last] ?? 0;
  // Binary search for x[low] <= score < x[low + 1].
  let low = 0;
  let high = last;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if ((x[middle] ?? 0) <= score) low = middle;
    else high = middle;
  }
  const x0 = x[low] ?? 0;
  const y0 = y[low] ?? 0;
  const x1 = x[high] ?? 0;
  const y1 = y[high] ?? 0;
  if (score === x0 || y0 === y1) return y0;
  return y0 + ((score - x0) / (x1 - x0)) * (y1 - y0);
}

/** Checks a model read back from JSON (e.g. an artifact in S3) and returns it typed. */
export function reviveIsotonic(value: unknown): IsotonicModel {
  if (
    typeof value !== 'object' ||
    value === null ||
    !('kind' in value) ||
    !('x' in value) ||
    !('y' in value)
  ) {
    throw new TypeError('isotonic model: expected an object with kind, x and y');
  }
  const { kind, x, y } = value;
  if (kind !== 'isotonic')
    throw new TypeError(`isotonic model: kind must be "isotonic", got ${JSON.stringify(kind)}`);
  if (!isNumberArray(x) || !isNumberArray(y))
    throw new TypeError('isotonic model: x and y must be arrays of finite numbers');
  if (x.length === 0 || x.length !== y.length) {
    throw new TypeError(
      `isotonic model: x and y must be non-empty and of one length, got ${x.length} and ${y.length}`,
    );
  }
  for (let index = 1; index < x.length; index++) {
    if (!((x[index] ?? 0) > (x[index - 1] ?? 0)))
      throw new TypeError(`isotonic model: x must increase, at ${index}`);
    if (!((y[index] ?? 0) >= (y[index - 1] ?? 0)))
      throw new TypeError(`isotonic model: y must not decrease, at ${index}`);
  }
  return { kind, x, y };
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isFinite(item));
}
