import { describe, expect, it } from 'vitest';
import {
  chooseThreshold,
  confusionAt,
  thresholdForMaxF1,
  thresholdForPrecision,
  thresholdForRecall,
} from '../../../ml/eval/index.js';

// Churners at 0.9, 0.8 and 0.6.
const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
const labels = [1, 1, 0, 1, 0, 0, 0, 0];

describe('confusionAt', () => {
  it('flags scores at or above the threshold', () => {
    expect(confusionAt([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 0], 0.7)).toEqual({
      tp: 2,
      fp: 1,
      tn: 2,
      fn: 0,
      precision: 2 / 3,
      recall: 1,
      f1: 0.8,
      accuracy: 0.8,
    });
  });

  it('reports precision 0 rather than NaN when nobody is flagged', () => {
    expect(confusionAt([0.2, 0.3], [1, 0], 0.5)).toMatchObject({
      tp: 0,
      fp: 0,
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });
});

describe('chooseThreshold', () => {
  it('finds the most profitable threshold', () => {
    // Each saved churner is worth 0.5 x 100 = 50 for a contact of 10: a churner flagged adds 40, a
    // non-churner costs 10. Running profit by threshold: 40, 80, 70, 110, 100, 90, 80, 70.
    const choice = chooseThreshold(scores, labels, {
      contactCost: 10,
      savedCustomerValue: 100,
      saveRate: 0.5,
    });
    expect(choice).toEqual({ threshold: 0.6, expectedProfit: 110, precision: 0.75, recall: 1, contacted: 4 });
  });

  it('contacts nobody when a contact costs more than a save is worth', () => {
    const choice = chooseThreshold(scores, labels, {
      contactCost: 60,
      savedCustomerValue: 100,
      saveRate: 0.5,
    });
    expect(choice).toMatchObject({ expectedProfit: 0, contacted: 0, precision: 0, recall: 0 });
    expect(choice.threshold).toBeGreaterThan(0.9);
    expect(confusionAt(scores, labels, choice.threshold)).toMatchObject({ tp: 0, fp: 0 });
    // A finite threshold survives the model artifact's JSON.
    expect(JSON.parse(JSON.stringify(choice))).toEqual(choice);
  });

  it('rejects a save rate outside [0, 1]', () => {
    expect(() =>
      chooseThreshold(scores, labels, { contactCost: 1, savedCustomerValue: 10, saveRate: 1.5 }),
    ).toThrow(/costs.saveRate must be in \[0, 1\]/);
  });
});

describe('thresholdForPrecision, thresholdForRecall and thresholdForMaxF1', () => {
  it('take the lowest threshold meeting a precision', () => {
    // Precision by threshold: 1, 1, 2/3, 3/4, 3/5, ...
    expect(thresholdForPrecision(scores, labels, 0.75)).toEqual({
      threshold: 0.6,
      precision: 0.75,
      recall: 1,
      contacted: 4,
    });
    expect(thresholdForPrecision(scores, [0, 0, 0, 0, 0, 0, 0, 1], 0.5)).toBeNull();
  });

  it('take the highest threshold meeting a recall', () => {
    expect(thresholdForRecall(scores, labels, 0.6)).toEqual({
      threshold: 0.8,
      precision: 1,
      recall: 2 / 3,
      contacted: 2,
    });
    expect(thresholdForRecall(scores, [0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBeNull();
  });

  it('take the threshold with the best F1', () => {
    // F1 by threshold: 0.5, 0.8, 2/3, 6/7, 0.75, ...
    const best = thresholdForMaxF1(scores, labels);
    expect(best.threshold).toBe(0.6);
    expect(best.f1).toBeCloseTo(6 / 7, 12);
  });
});
