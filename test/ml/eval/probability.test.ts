import { describe, expect, it } from 'vitest';
import { brierScore, calibrationCurve, expectedCalibrationError, logLoss } from '../../../ml/eval/index.js';

describe('logLoss', () => {
  it('matches the sklearn documentation example', () => {
    // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), spam = 1.
    expect(logLoss([0.9, 0.1, 0.2, 0.65], [1, 0, 0, 1])).toBeCloseTo(0.21616187468057912, 12);
  });

  it('clips certain misses to eps instead of returning Infinity', () => {
    expect(logLoss([0], [1])).toBeCloseTo(34.538776394910684, 9);
    const confidentHits = logLoss([1, 0], [1, 0]);
    expect(confidentHits).toBeGreaterThan(0);
    expect(confidentHits).toBeLessThan(2e-15);
    expect(logLoss([0], [1], 1e-3)).toBeCloseTo(-Math.log(1e-3), 12);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => logLoss([1.2], [1])).toThrow(/probability at 0 must be in \[0, 1\], got 1.2/);
  });
});

describe('brierScore', () => {
  it('matches the sklearn documentation example', () => {
    expect(brierScore([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0])).toBeCloseTo(0.0375, 15);
  });
});

describe('calibrationCurve', () => {
  const probabilities = [0.05, 0.15, 0.12, 0.95, 1, 0.55];
  const labels = [0, 0, 1, 1, 1, 0];

  it('bins uniformly, leaves empty bins out and puts 1 in the last bin', () => {
    const curve = calibrationCurve(probabilities, labels, 10);
    expect(curve.map((bin) => [bin.binStart, bin.binEnd, bin.count, bin.observedRate])).toEqual([
      [0, 0.1, 1, 0],
      [0.1, 0.2, 2, 0.5],
      [0.5, 0.6, 1, 0],
      [0.9, 1, 2, 1],
    ]);
    expect(curve.map((bin) => bin.meanPredicted)).toEqual([0.05, 0.135, 0.55, 0.975]);
  });

  it('gives the count-weighted gap as expected calibration error', () => {
    // (1 x 0.05 + 2 x 0.365 + 1 x 0.55 + 2 x 0.025) / 6
    expect(expectedCalibrationError(probabilities, labels)).toBeCloseTo(0.23, 12);
    expect(expectedCalibrationError([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBe(0);
  });
});
