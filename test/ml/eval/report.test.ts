import { describe, expect, it } from 'vitest';
import { ablationTable, evaluate } from '../../../ml/eval/index.js';
import { Random } from '../../../ml/simulate/random.js';

function syntheticScores(seed: number, count: number): { probabilities: Float64Array; labels: Uint8Array } {
  const random = new Random(seed);
  const probabilities = new Float64Array(count);
  const labels = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const probability = random.next() ** 2;
    probabilities[index] = probability;
    labels[index] = random.chance(probability) ? 1 : 0;
  }
  return { probabilities, labels };
}

describe('evaluate', () => {
  it('bundles the metrics and picks the profit threshold when costs are given', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
    const labels = [1, 1, 0, 1, 0, 0, 0, 0];
    const report = evaluate(scores, labels, {
      costs: { contactCost: 10, savedCustomerValue: 100, saveRate: 0.5 },
    });
    expect(report).toMatchObject({ customers: 8, churners: 3, churnRate: 0.375 });
    expect(report.rocAuc).toBeCloseTo(14 / 15, 12);
    expect(report.decision).toMatchObject({
      method: 'profit',
      threshold: 0.6,
      expectedProfit: 110,
      contacted: 4,
    });
    expect(report.decision.f1).toBeCloseTo(6 / 7, 12);
    expect(report.confusion).toMatchObject({ tp: 3, fp: 1, tn: 4, fn: 0 });
    expect(report.lift.map((row) => row.fraction)).toEqual([0.05, 0.1]);
    // Top 5% and 10% of 8 customers is one customer, a churner: lift 1 / 0.375.
    expect(report.lift[0]?.lift).toBeCloseTo(8 / 3, 12);
  });

  it('falls back to the max-F1 threshold and produces plain JSON', () => {
    const { probabilities, labels } = syntheticScores(3, 5000);
    const report = evaluate(probabilities, labels, { curvePoints: 40 });
    expect(report.decision.method).toBe('max-f1');
    expect(report.decision.expectedProfit).toBeNull();
    expect(report.costs).toBeNull();
    expect(report.rocAuc).toBeGreaterThan(0.7);
    // The scores are calibrated by construction.
    expect(report.expectedCalibrationError).toBeLessThan(0.03);
    expect(report.rocCurve.length).toBeLessThanOrEqual(40);
    expect(report.prCurve).toHaveLength(40);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('refuses a test set with only one class', () => {
    expect(() => evaluate([0.1, 0.2], [0, 0])).toThrow(/got 0 churners of 2/);
  });
});

describe('ablationTable', () => {
  it('ranks the components and the stack by AUC with the gap to the best', () => {
    const labels = [0, 0, 1, 1];
    const table = ablationTable({
      gbdt: { scores: [0.1, 0.4, 0.35, 0.8], labels },
      lstm: { scores: [0.6, 0.4, 0.3, 0.5], labels },
      stack: { scores: [0.1, 0.2, 0.8, 0.9], labels },
    });
    expect(table.map((row) => row.name)).toEqual(['stack', 'gbdt', 'lstm']);
    expect(table.map((row) => row.auc)).toEqual([1, 0.75, 0.25]);
    expect(table.map((row) => row.deltaAucVsBest)).toEqual([0, -0.25, -0.75]);
    expect(table[1]?.prAuc).toBeCloseTo(5 / 6, 12);
    expect(table[0]?.logLoss).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.8) + Math.log(0.8) + Math.log(0.9)) / 4,
      12,
    );
  });

  it('names a component that cannot be scored', () => {
    expect(() => ablationTable({ gnn: { scores: [0.1, 0.2], labels: [1, 1] } })).toThrow(/gnn: labels need/);
  });
});
