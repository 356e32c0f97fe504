import { describe, expect, it } from 'vitest';
import { liftAt, prAuc, prCurve, rocAuc, rocCurve } from '../../../ml/eval/index.js';

// Reference values follow sklearn's semantics (roc_auc_score, average_precision_score); the
// first case is the example in sklearn's own documentation, the others are worked out pair by pair.
describe('rocAuc and prAuc', () => {
  it('match the sklearn documentation example', () => {
    const scores = [0.1, 0.4, 0.35, 0.8];
    const labels = [0, 0, 1, 1];
    expect(rocAuc(scores, labels)).toBe(0.75);
    expect(prAuc(scores, labels)).toBeCloseTo(5 / 6, 12);
  });

  it('give tied scores half credit in AUC and enter them together in average precision', () => {
    // Pairs: 0.9 beats both non-churners (2), 0.5 ties both (2 x 0.5) -> 3 of 4.
    // AP: at 0.9 recall 1/2 with precision 1, at 0.5 recall 1 with precision 2/4.
    expect(rocAuc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.75);
    expect(prAuc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.75);

    // Churners at 0.9, 0.8, 0.7; non-churners at 0.8, 0.7, 0.7, 0.1.
    // AUC = (4 + 3.5 + 2) / 12; AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/6 = 13/18.
    const scores = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.1];
    const labels = [1, 1, 0, 1, 0, 0, 0];
    expect(rocAuc(scores, labels)).toBeCloseTo(9.5 / 12, 12);
    expect(prAuc(scores, labels)).toBeCloseTo(13 / 18, 12);
  });

  it('are 0.5 and the churn rate when every score ties, and do not depend on input order', () => {
    expect(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 0])).toBe(0.5);
    expect(prAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 0])).toBe(0.25);
    const scores = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.1];
    const labels = [1, 1, 0, 1, 0, 0, 0];
    const order = [6, 3, 0, 5, 2, 4, 1];
    const shuffledScores = order.map((index) => scores[index] ?? 0);
    const shuffledLabels = order.map((index) => labels[index] ?? 0);
    expect(rocAuc(shuffledScores, shuffledLabels)).toBe(rocAuc(scores, labels));
    expect(prAuc(shuffledScores, shuffledLabels)).toBe(prAuc(scores, labels));
  });

  it('are perfect for a perfect ranking, and AUC is 0 for an inverted one', () => {
    expect(rocAuc(new Float64Array([0.1, 0.2, 0.8, 0.9]), new Uint8Array([0, 0, 1, 1]))).toBe(1);
    expect(prAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('are NaN with one class and reject bad input naming the position', () => {
    expect(rocAuc([0.2, 0.4], [0, 0])).toBeNaN();
    expect(prAuc([0.2, 0.4], [0, 0])).toBeNaN();
    expect(() => rocAuc([0.2, Number.NaN], [0, 1])).toThrow(/score at 1 must be a finite number/);
    expect(() => rocAuc([0.2, 0.4], [0, 2])).toThrow(/label at 1 must be 0 or 1/);
    expect(() => rocAuc([0.2, 0.4], [0])).toThrow(/2 scores but 1 labels/);
    expect(() => prAuc([], [])).toThrow(/no scores/);
  });
});

describe('rocCurve and prCurve', () => {
  it('run from (0, 0) to (1, 1) and drop points on straight segments', () => {
    // Thresholds 0.9 (churner), 0.8 (churner), 0.7 (tie: one of each), 0.1 (non-churner).
    const curve = rocCurve([0.9, 0.8, 0.7, 0.7, 0.1], [1, 1, 1, 0, 0]);
    expect(curve).toEqual([
      { threshold: null, falsePositiveRate: 0, truePositiveRate: 0 },
      { threshold: 0.8, falsePositiveRate: 0, truePositiveRate: 2 / 3 },
      { threshold: 0.7, falsePositiveRate: 0.5, truePositiveRate: 1 },
      { threshold: 0.1, falsePositiveRate: 1, truePositiveRate: 1 },
    ]);
  });

  it('start at recall 0 with precision 1 and give precision and recall per threshold', () => {
    expect(prCurve([0.9, 0.8, 0.7, 0.7], [1, 0, 1, 0])).toEqual([
      { threshold: null, recall: 0, precision: 1 },
      { threshold: 0.9, recall: 0.5, precision: 1 },
      { threshold: 0.8, recall: 0.5, precision: 0.5 },
      { threshold: 0.7, recall: 1, precision: 0.5 },
    ]);
  });

  it('thin long curves to at most maxPoints, keeping both ends', () => {
    const count = 1000;
    const scores = Array.from({ length: count }, (_, index) => index / count);
    const labels = scores.map((_, index) => (index % 3 === 0 ? 1 : 0));
    const roc = rocCurve(scores, labels, 50);
    const pr = prCurve(scores, labels, 50);
    expect(roc.length).toBeLessThanOrEqual(50);
    expect(pr).toHaveLength(50);
    expect(roc[0]).toEqual({ threshold: null, falsePositiveRate: 0, truePositiveRate: 0 });
    expect(roc[roc.length - 1]).toEqual({ threshold: 0, falsePositiveRate: 1, truePositiveRate: 1 });
    expect(pr[pr.length - 1]).toMatchObject({ threshold: 0, recall: 1 });
    expect(() => rocCurve(scores, labels, 1)).toThrow(/maxPoints/);
  });
});

describe('liftAt', () => {
  it('reports lift, precision and captured share for the top 10%', () => {
    // 100 customers, 20 churners; the 10 highest scores hold 8 of them.
    const scores = Array.from({ length: 100 }, (_, index) => 1 - index / 100);
    const labels = scores.map((_, index) => (index < 10 ? (index < 8 ? 1 : 0) : index < 22 ? 1 : 0));
    expect(labels.reduce<number>((sum, label) => sum + label, 0)).toBe(20);
    const lift = liftAt(scores, labels, 0.1);
    expect(lift.precision).toBeCloseTo(0.8, 12);
    expect(lift.lift).toBeCloseTo(4, 12);
    expect(lift.captured).toBeCloseTo(0.4, 12);
  });

  it('shares a tie group cut by the top fraction pro rata', () => {
    // 20 customers, top 10% = 2; four tie at the top with 2 churners, 2 more churners below.
    const scores = [0.9, 0.9, 0.9, 0.9, ...Array.from({ length: 16 }, (_, index) => 0.5 - index / 100)];
    const labels = [1, 0, 1, 0, 1, 1, ...Array.from({ length: 14 }, () => 0)];
    const lift = liftAt(scores, labels, 0.1);
    expect(lift.precision).toBe(0.5);
    expect(lift.lift).toBeCloseTo(2.5, 12);
    expect(lift.captured).toBe(0.25);
    expect(() => liftAt(scores, labels, 0)).toThrow(/fraction must be in \(0, 1\]/);
  });
});
