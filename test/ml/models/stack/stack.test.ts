import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../../ml/eval/index.js';
import {
  calibrate,
  customerFolds,
  fitLogistic,
  fitStacker,
  logisticMargin,
  reviveStacker,
  stackMargin,
  stackTerms,
} from '../../../../ml/models/stack/index.js';
import { Random } from '../../../../ml/simulate/random.js';

const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin));

/** Two noisy views of a hidden risk and one column of pure noise. */
function components(rows: number, seed: number) {
  const random = new Random(seed);
  const strong = new Float64Array(rows);
  const weak = new Float64Array(rows);
  const noise = new Float64Array(rows);
  const labels = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    const risk = random.normal() * 1.5 - 2.5;
    labels[row] = random.next() < sigmoid(risk) ? 1 : 0;
    strong[row] = risk + 0.5 * random.normal();
    weak[row] = 3 * risk + 4 * random.normal() + 10;
    noise[row] = random.normal();
  }
  return { strong, weak, noise, labels };
}

describe('fitLogistic', () => {
  it('recovers the coefficients of a logistic model', () => {
    const random = new Random(3);
    const rows = 20_000;
    const x1 = new Float64Array(rows);
    const x2 = new Float64Array(rows);
    const labels = new Float32Array(rows);
    for (let row = 0; row < rows; row++) {
      x1[row] = random.normal();
      x2[row] = 5 + 2 * random.normal();
      labels[row] = random.next() < sigmoid(-1 + 1.5 * (x1[row] ?? 0) - 0.5 * (x2[row] ?? 0)) ? 1 : 0;
    }
    const model = fitLogistic(['x1', 'x2'], [x1, x2], labels, { l2: 0 });
    // Back on the original scale: coefficient / scale, intercept from the margin at zero.
    expect((model.coefficients[0] ?? 0) / (model.scales[0] ?? 1)).toBeCloseTo(1.5, 1);
    expect((model.coefficients[1] ?? 0) / (model.scales[1] ?? 1)).toBeCloseTo(-0.5, 1);
    expect(logisticMargin(model, [0, 0])).toBeCloseTo(-1, 0);
  });

  it('names the column whose length is wrong', () => {
    expect(() => fitLogistic(['a', 'b'], [[1, 2], [1]], [0, 1])).toThrow(/column b has 1 rows/);
  });
});

describe('fitStacker', () => {
  it('weights the informative component, beats each input, and calibrates', () => {
    const { strong, weak, noise, labels } = components(30_000, 11);
    const stacker = fitStacker(['strong', 'weak', 'noise'], [strong, weak, noise], labels);
    const [strongWeight, weakWeight, noiseWeight] = stacker.meta.coefficients;
    expect(strongWeight).toBeGreaterThan(Math.abs(noiseWeight ?? 0) * 10);
    expect(weakWeight).toBeGreaterThan(0);
    const probabilities = Float64Array.from(labels, (_, row) =>
      calibrate(stacker, stackMargin(stacker, [strong[row] ?? 0, weak[row] ?? 0, noise[row] ?? 0])),
    );
    expect(rocAuc(probabilities, labels)).toBeGreaterThan(rocAuc(strong, labels));
    // Calibrated: the mean probability is the churn rate.
    const meanProbability = probabilities.reduce((sum, p) => sum + p, 0) / probabilities.length;
    const rate = labels.reduce((sum, label) => sum + label, 0) / labels.length;
    expect(Math.abs(meanProbability - rate)).toBeLessThan(0.002);
  });

  it('splits the margin into component terms that add up', () => {
    const { strong, weak, noise, labels } = components(5_000, 12);
    const stacker = fitStacker(['strong', 'weak', 'noise'], [strong, weak, noise], labels, {
      calibration: 'platt',
    });
    const row = [1.2, 7, -0.3];
    const { base, terms } = stackTerms(stacker, row);
    expect(base + terms.reduce((sum, term) => sum + term, 0)).toBeCloseTo(stackMargin(stacker, row), 10);
  });

  it('keeps the order of the stack through isotonic calibration (no ties from steps)', () => {
    const { strong, weak, noise, labels } = components(5_000, 13);
    const stacker = fitStacker(['strong', 'weak', 'noise'], [strong, weak, noise], labels);
    const a = calibrate(stacker, 0.1);
    const b = calibrate(stacker, 0.1001);
    expect(b).toBeGreaterThan(a);
  });

  it('round trips through JSON and rejects a damaged one naming the field', () => {
    const { strong, weak, noise, labels } = components(2_000, 14);
    const stacker = fitStacker(['strong', 'weak', 'noise'], [strong, weak, noise], labels);
    const revived = reviveStacker(JSON.parse(JSON.stringify(stacker)));
    expect(calibrate(revived, stackMargin(revived, [0.3, 9, 1]))).toBe(
      calibrate(stacker, stackMargin(stacker, [0.3, 9, 1])),
    );
    const damaged = JSON.parse(JSON.stringify(stacker));
    damaged.meta.scales = [1];
    expect(() => reviveStacker(damaged)).toThrow(/one entry per input/);
  });
});

describe('customerFolds', () => {
  it('keeps every row of a customer in one fold and spreads churners evenly', () => {
    const userIds: string[] = [];
    const labels: number[] = [];
    for (let customer = 0; customer < 3_000; customer++) {
      for (let snapshot = 0; snapshot < 3; snapshot++) {
        userIds.push(`u${customer}`);
        labels.push(customer % 10 === 0 && snapshot === 2 ? 1 : 0);
      }
    }
    const folds = customerFolds(userIds, labels, 3, 5);
    const foldOf = new Map<string, number>();
    userIds.forEach((userId, row) => {
      const fold = folds[row] ?? -1;
      expect(foldOf.get(userId) ?? fold).toBe(fold);
      foldOf.set(userId, fold);
    });
    const churners = [0, 0, 0];
    labels.forEach((label, row) => {
      if (label === 1) churners[folds[row] ?? 0] = (churners[folds[row] ?? 0] ?? 0) + 1;
    });
    expect(churners).toEqual([100, 100, 100]);
    expect(customerFolds(userIds, labels, 3, 5)).toEqual(folds);
    expect(customerFolds(userIds, labels, 3, 6)).not.toEqual(folds);
  });
});
