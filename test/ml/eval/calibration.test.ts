import { describe, expect, it } from 'vitest';
import {
  fitIsotonic,
  fitPlatt,
  predictIsotonic,
  predictPlatt,
  reviveIsotonic,
  revivePlatt,
} from '../../../ml/eval/index.js';
import { Random } from '../../../ml/simulate/random.js';

function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

describe('fitIsotonic', () => {
  it('pools adjacent violators into their mean and interpolates between the fitted points', () => {
    // Labels 1, 0 at scores 1, 2 violate the order and pool to 0.5; 3 and 4 stay at 1.
    const model = fitIsotonic([3, 1, 4, 2], [1, 1, 1, 0]);
    expect(model).toEqual({ kind: 'isotonic', x: [1, 2, 3, 4], y: [0.5, 0.5, 1, 1] });
    expect(predictIsotonic(model, 2.5)).toBe(0.75);
    expect(predictIsotonic(model, -10)).toBe(0.5);
    expect(predictIsotonic(model, 10)).toBe(1);
  });

  it('fits a step function exactly', () => {
    const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    const targets = scores.map((score) => (score < 0.35 ? 0.2 : score < 0.65 ? 0.45 : 0.7));
    const model = fitIsotonic(scores, targets);
    expect(scores.map((score) => predictIsotonic(model, score))).toEqual(targets);
    expect(model.y).toEqual([0.2, 0.2, 0.45, 0.45, 0.7, 0.7]);
  });

  it('is monotone and keeps the mean of the labels on noisy data', () => {
    const random = new Random(11);
    const scores = Array.from({ length: 2000 }, () => random.next());
    const labels = scores.map((score) => (random.chance(score) ? 1 : 0));
    const model = fitIsotonic(scores, labels);
    let previous = Number.NEGATIVE_INFINITY;
    for (let step = 0; step <= 1000; step++) {
      const prediction = predictIsotonic(model, step / 1000);
      expect(prediction).toBeGreaterThanOrEqual(previous);
      previous = prediction;
    }
    const meanPrediction =
      scores.reduce((sum, score) => sum + predictIsotonic(model, score), 0) / scores.length;
    const meanLabel = labels.reduce<number>((sum, label) => sum + label, 0) / labels.length;
    expect(meanPrediction).toBeCloseTo(meanLabel, 10);
  });

  it('pools equal scores whatever their order', () => {
    expect(fitIsotonic([0.5, 0.5, 0.5, 0.2], [1, 0, 1, 0]).y).toEqual(
      fitIsotonic([0.5, 0.2, 0.5, 0.5], [0, 0, 1, 1]).y,
    );
    expect(predictIsotonic(fitIsotonic([0.5, 0.5, 0.5, 0.2], [1, 0, 1, 0]), 0.5)).toBeCloseTo(2 / 3, 15);
  });

  it('round-trips through JSON exactly and rejects a damaged model', () => {
    const random = new Random(5);
    const scores = Array.from({ length: 300 }, () => random.next());
    const model = fitIsotonic(
      scores,
      scores.map((score) => (random.chance(score) ? 1 : 0)),
    );
    const revived = reviveIsotonic(JSON.parse(JSON.stringify(model)));
    expect(revived).toEqual(model);
    for (const score of [0, 0.123456789, 0.5, 0.987654321, 1]) {
      expect(predictIsotonic(revived, score)).toBe(predictIsotonic(model, score));
    }
    expect(() => reviveIsotonic({ kind: 'isotonic', x: [0.2, 0.1], y: [0, 1] })).toThrow(/x must increase/);
    expect(() => reviveIsotonic({ kind: 'platt', a: 1, b: 0 })).toThrow(
      /expected an object with kind, x and y/,
    );
  });
});

describe('fitPlatt', () => {
  it('recovers the slope and intercept of a known logistic relation', () => {
    // Scores whose logit is z; outcomes drawn with P(churn) = sigmoid(2z - 1).
    const random = new Random(2024);
    const count = 20_000;
    const scores = new Float64Array(count);
    const labels = new Uint8Array(count);
    for (let index = 0; index < count; index++) {
      const z = 1.5 * random.normal();
      scores[index] = sigmoid(z);
      labels[index] = random.chance(sigmoid(2 * z - 1)) ? 1 : 0;
    }
    const model = fitPlatt(scores, labels);
    expect(model.kind).toBe('platt');
    expect(model.a).toBeGreaterThan(1.9);
    expect(model.a).toBeLessThan(2.1);
    expect(model.b).toBeGreaterThan(-1.1);
    expect(model.b).toBeLessThan(-0.9);
    expect(predictPlatt(model, 0.5)).toBeCloseTo(sigmoid(model.b), 12);
  });

  it('stays finite on separable data and falls back to the base rate for a single score', () => {
    const separable = fitPlatt([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(Number.isFinite(separable.a) && Number.isFinite(separable.b)).toBe(true);
    expect(separable.a).toBeGreaterThan(0);
    // Platt's targets: the churner (1 + 1) / (1 + 2), the others 1 / (3 + 2); their mean is 19/60.
    const flat = fitPlatt([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 0]);
    expect(flat.a).toBe(0);
    expect(predictPlatt(flat, 0.3)).toBeCloseTo(19 / 60, 12);
  });

  it('round-trips through JSON exactly', () => {
    const model = fitPlatt([0.1, 0.3, 0.35, 0.6, 0.8, 0.7], [0, 0, 1, 0, 1, 1]);
    const revived = revivePlatt(JSON.parse(JSON.stringify(model)));
    expect(revived).toEqual(model);
    expect(predictPlatt(revived, 0.42)).toBe(predictPlatt(model, 0.42));
    expect(() => revivePlatt({ kind: 'platt', a: 'x', b: 0 })).toThrow(/a and b must be finite numbers/);
  });
});
