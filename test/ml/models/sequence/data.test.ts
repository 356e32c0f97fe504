import { describe, expect, it } from 'vitest';
import {
  channelMeans,
  encodeRows,
  fitNormalisation,
  stepBounds,
  validateBatch,
  validateLabelled,
} from '../../../../ml/models/sequence/data.js';
import { DEFAULT_SEQUENCE_PARAMS, resolveSequenceParams } from '../../../../ml/models/sequence/index.js';
import { CHANNELS, plantedSequences } from './helpers.js';

describe('stepBounds', () => {
  it('keeps the recent days daily and averages older ones by week, a partial week oldest', () => {
    expect(stepBounds({ days: 10, recentDays: 3, poolDays: 3 })).toEqual([
      [0, 1],
      [1, 4],
      [4, 7],
      [7, 8],
      [8, 9],
      [9, 10],
    ]);
    // Defaults: 90 days as 13 weekly steps, the oldest 6 days long.
    const defaults = stepBounds(DEFAULT_SEQUENCE_PARAMS);
    expect(defaults).toHaveLength(13);
    expect(defaults[0]).toEqual([0, 6]);
    expect(defaults[1]).toEqual([6, 13]);
    expect(defaults.at(-1)).toEqual([83, 90]);
    // Contiguous, no day twice.
    defaults.slice(1).forEach((bound, index) => {
      expect(bound[0]).toBe(defaults[index]?.[1]);
    });
  });

  it('pools every day when recentDays is 0', () => {
    expect(stepBounds({ days: 14, recentDays: 0, poolDays: 7 })).toEqual([
      [0, 7],
      [7, 14],
    ]);
  });
});

describe('encodeRows', () => {
  // Two rows, 4 days, sessions = day index + 10 * row, other channels 0 except cancel views on the last day.
  const days = 4;
  const sequences = new Float32Array(2 * days * CHANNELS);
  for (let row = 0; row < 2; row++) {
    for (let day = 0; day < days; day++) sequences[(row * days + day) * CHANNELS] = day + 10 * row;
    sequences[(row * days + days - 1) * CHANNELS + 5] = 3;
  }
  const batch = { sequences, rows: 2, days, channels: CHANNELS };
  // The model reads the last 3 days: one pooled step of 2 days, then the last day alone.
  const bounds = stepBounds({ days: 3, recentDays: 1, poolDays: 2 });

  it('takes the most recent days and gives ln(1 + mean daily value) per step', () => {
    const encoded = encodeRows(batch, 3, bounds, { first: 0, count: 2 });
    expect(encoded).toHaveLength(2 * 2 * CHANNELS);
    expect(encoded[0]).toBeCloseTo(Math.log1p((1 + 2) / 2), 6);
    expect(encoded[CHANNELS]).toBeCloseTo(Math.log1p(3), 6);
    expect(encoded[CHANNELS + 5]).toBeCloseTo(Math.log1p(3), 6);
    expect(encoded[2 * CHANNELS]).toBeCloseTo(Math.log1p((11 + 12) / 2), 6);
    // Selecting rows gives the same values as slicing.
    const second = encodeRows(batch, 3, bounds, { select: Int32Array.from([1]) });
    expect(Array.from(second)).toEqual(Array.from(encoded.subarray(2 * CHANNELS)));
  });

  it('standardises with the normalisation and occludes a channel with a constant', () => {
    const raw = encodeRows(batch, 3, bounds, { first: 0, count: 2 });
    const normalisation = fitNormalisation(raw, CHANNELS);
    // Channels that never vary keep std 1 instead of dividing by 0.
    expect(normalisation.std[1]).toBe(1);
    const standardised = encodeRows(batch, 3, bounds, { first: 0, count: 2 }, normalisation);
    let sum = 0;
    let squares = 0;
    for (let cell = 0; cell < 4; cell++) {
      sum += standardised[cell * CHANNELS] ?? 0;
      squares += (standardised[cell * CHANNELS] ?? 0) ** 2;
    }
    expect(sum / 4).toBeCloseTo(0, 6);
    expect(squares / 4).toBeCloseTo(1, 5);
    const occluded = encodeRows(batch, 3, bounds, { first: 0, count: 2 }, undefined, {
      channel: 0,
      value: 5,
    });
    for (let cell = 0; cell < 4; cell++) expect(occluded[cell * CHANNELS]).toBeCloseTo(Math.log1p(5), 6);
    expect(occluded[CHANNELS + 5]).toBeCloseTo(Math.log1p(3), 6);
  });

  it('averages raw daily values per channel over the days read, for occlusion', () => {
    const means = channelMeans(batch, 3);
    expect(means[0]).toBeCloseTo((1 + 2 + 3 + 11 + 12 + 13) / 6, 12);
    expect(means[5]).toBeCloseTo(6 / 6, 12);
    expect(means[2]).toBe(0);
  });
});

describe('input validation names the field', () => {
  const data = plantedSequences(5, 1, 10);

  it('rejects wrong shapes, channel counts and too few days', () => {
    expect(() => validateBatch({ ...data, rows: 6 }, 10)).toThrow(
      /^batch\.sequences: expected rows x days x channels/,
    );
    expect(() => validateBatch({ ...data, channels: 5 }, 10)).toThrow(/^batch\.channels: expected 6/);
    expect(() => validateBatch(data, 14)).toThrow(
      /^batch\.days: the model reads the last 14 days, got only 10/,
    );
    expect(() => validateBatch({ ...data, rows: 1.5 }, 10)).toThrow(
      /^batch\.rows: expected a non-negative integer/,
    );
    expect(() =>
      validateBatch({ ...data, sequences: Array.from(data.sequences) as unknown as Float32Array }, 10),
    ).toThrow(/^batch\.sequences: expected a Float32Array/);
    expect(() => validateBatch(data, 10)).not.toThrow();
    expect(() => validateBatch(data, 7)).not.toThrow();
  });

  it('rejects NaN and negative values, naming row, day and channel', () => {
    const sequences = data.sequences.slice();
    sequences[(2 * 10 + 3) * CHANNELS + 4] = Number.NaN;
    expect(() => validateBatch({ ...data, sequences }, 10)).toThrow(
      'batch.sequences: row 2, day 3, channel support_tickets must be finite and >= 0, got NaN',
    );
    sequences[(2 * 10 + 3) * CHANNELS + 4] = -1;
    expect(() => validateBatch({ ...data, sequences }, 10, 'validation')).toThrow(
      /^validation\.sequences: row 2/,
    );
  });

  it('rejects labels outside [0, 1], missing labels and bad weights', () => {
    expect(() => validateLabelled({ ...data, labels: [0, 1, 2, 0, 1] }, 10)).toThrow(
      'train.labels: label at 2 must be in [0, 1], got 2',
    );
    expect(() => validateLabelled({ ...data, labels: [0, 1] }, 10)).toThrow(
      'train.labels: expected 5, got 2',
    );
    expect(() => validateLabelled({ ...data, labels: [0, 1, Number.NaN, 0, 1] }, 10, 'validation')).toThrow(
      /^validation\.labels: label at 2/,
    );
    expect(() => validateLabelled({ ...data, weights: [1, 1, -1, 1, 1] }, 10)).toThrow(
      'train.weights: weight at 2 must be finite and >= 0, got -1',
    );
    expect(() => validateLabelled({ ...data, weights: [1] }, 10)).toThrow('train.weights: expected 5, got 1');
    expect(validateLabelled({ ...data, labels: [0, 1, 0.75, 0.25, 1] }, 10)).toBe(3);
  });

  it('rejects bad params, naming the parameter', () => {
    expect(() => resolveSequenceParams({ units: 0 })).toThrow(
      /^params\.units: expected an integer in 1\.\.1024, got 0/,
    );
    expect(() => resolveSequenceParams({ recentDays: 100 })).toThrow(/^params\.recentDays/);
    expect(() => resolveSequenceParams({ cell: 'rnn' as 'gru' })).toThrow(
      /^params\.cell: expected 'gru' or 'lstm'/,
    );
    expect(() => resolveSequenceParams({ learningRate: -1 })).toThrow(/^params\.learningRate/);
    expect(() => resolveSequenceParams({ negativesPerPositive: Number.NaN })).toThrow(
      /^params\.negativesPerPositive/,
    );
    expect(resolveSequenceParams({ cell: 'lstm' })).toEqual({ ...DEFAULT_SEQUENCE_PARAMS, cell: 'lstm' });
  });
});
