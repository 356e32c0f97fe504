import { SEQUENCE_CHANNELS } from '../../features/sequence.js';
import type { SequenceParams } from './params.js';

/** `[rows, days, channels]` row-major float32, oldest day first (activitySequence layout). */
export interface SequenceBatch {
  readonly sequences: Float32Array;
  readonly rows: number;
  readonly days: number;
  readonly channels: number;
}

export interface LabelledSequences extends SequenceBatch {
  /** `[rows]`, each in [0, 1] (1 = churned in the horizon). */
  readonly labels: ArrayLike<number>;
  /** Optional per-row weights, `[rows]`, finite and >= 0. */
  readonly weights?: ArrayLike<number>;
}

/** The channels the model reads, in input order: `SEQUENCE_CHANNELS`. */
export const CHANNELS: number = SEQUENCE_CHANNELS.length;

/**
 * Checks the shape and values of a batch for a model that reads the last `days` days. `field`
 * prefixes every message (`validation.labels: ...`) so the caller knows which argument broke.
 */
export function validateBatch(batch: SequenceBatch, days: number, field = 'batch'): void {
  const prefix = field === '' ? '' : `${field}.`;
  if (typeof batch !== 'object' || batch === null) throw new RangeError(`${field}: expected an object`);
  if (!(batch.sequences instanceof Float32Array)) {
    throw new RangeError(`${prefix}sequences: expected a Float32Array`);
  }
  for (const name of ['rows', 'days', 'channels'] as const) {
    const value = batch[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${prefix}${name}: expected a non-negative integer, got ${String(value)}`);
    }
  }
  if (batch.channels !== CHANNELS) {
    throw new RangeError(
      `${prefix}channels: expected ${CHANNELS} (${SEQUENCE_CHANNELS.join(', ')}), got ${batch.channels}`,
    );
  }
  if (batch.days < days) {
    throw new RangeError(`${prefix}days: the model reads the last ${days} days, got only ${batch.days}`);
  }
  const expected = batch.rows * batch.days * batch.channels;
  if (batch.sequences.length !== expected) {
    throw new RangeError(
      `${prefix}sequences: expected rows x days x channels = ${batch.rows} x ${batch.days} x ${batch.channels} = ${expected} values, got ${batch.sequences.length}`,
    );
  }
  const values = batch.sequences;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] ?? 0;
    // Counts and log-minutes are never negative; NaN fails the comparison too.
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      const row = Math.floor(index / (batch.days * batch.channels));
      const day = Math.floor(index / batch.channels) % batch.days;
      const channel = SEQUENCE_CHANNELS[index % batch.channels];
      throw new RangeError(
        `${prefix}sequences: row ${row}, day ${day}, channel ${channel} must be finite and >= 0, got ${value}`,
      );
    }
  }
}

/** Also checks labels in [0, 1] and weights >= 0, one per row; returns the count of labels above 0.5. */
export function validateLabelled(data: LabelledSequences, days: number, field = 'train'): number {
  validateBatch(data, days, field);
  const prefix = field === '' ? '' : `${field}.`;
  const { labels, weights, rows } = data;
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new RangeError(`${prefix}labels: expected an array of ${rows} numbers`);
  }
  if (labels.length !== rows) throw new RangeError(`${prefix}labels: expected ${rows}, got ${labels.length}`);
  let positives = 0;
  for (let row = 0; row < rows; row++) {
    const label = labels[row];
    if (typeof label !== 'number' || !(label >= 0 && label <= 1)) {
      throw new RangeError(`${prefix}labels: label at ${row} must be in [0, 1], got ${String(label)}`);
    }
    if (label > 0.5) positives += 1;
  }
  if (weights !== undefined) {
    if (weights.length !== rows) {
      throw new RangeError(`${prefix}weights: expected ${rows}, got ${weights.length}`);
    }
    for (let row = 0; row < rows; row++) {
      const weight = weights[row];
      if (typeof weight !== 'number' || !(weight >= 0 && weight < Number.POSITIVE_INFINITY)) {
        throw new RangeError(
          `${prefix}weights: weight at ${row} must be finite and >= 0, got ${String(weight)}`,
        );
      }
    }
  }
  return positives;
}

/**
 * Which days make each step: `[start, end)` offsets into the model's window of `days` days,
 * oldest step first. The last `recentDays` days are one step each; older days are averaged in
 * blocks of `poolDays` counted back from the recent ones.
 */
export function stepBounds(params: Pick<SequenceParams, 'days' | 'recentDays' | 'poolDays'>): number[][] {
  const { days, recentDays, poolDays } = params;
  const older = days - recentDays;
  const bounds: number[][] = [];
  for (let end = older; end > 0; end -= poolDays) bounds.unshift([Math.max(0, end - poolDays), end]);
  for (let day = older; day < days; day++) bounds.push([day, day + 1]);
  return bounds;
}

/** Per-channel standardisation of the pooled, log1p-transformed steps, learnt from training rows. */
export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * The network's input for `rows` rows of `batch` starting at `first` (or the rows listed in
 * `select`): per step and channel, ln(1 + mean daily value over the step's days), standardised
 * with `normalisation` when given. Shape `[rows, steps, channels]`. With `occlude`, that channel
 * reads `value` on every day instead of the row's own values.
 */
export function encodeRows(
  batch: SequenceBatch,
  days: number,
  bounds: readonly (readonly number[])[],
  rows: { readonly first: number; readonly count: number } | { readonly select: Int32Array },
  normalisation?: Normalisation,
  occlude?: { readonly channel: number; readonly value: number },
  into?: Float32Array,
): Float32Array {
  const channels = batch.channels;
  const steps = bounds.length;
  const count = 'select' in rows ? rows.select.length : rows.count;
  const out = into ?? new Float32Array(count * steps * channels);
  const sums = new Float64Array(channels);
  const rowSize = batch.days * channels;
  const skip = (batch.days - days) * channels;
  const occludedValue = occlude === undefined ? 0 : Math.log1p(occlude.value);
  for (let index = 0; index < count; index++) {
    const row = 'select' in rows ? (rows.select[index] ?? 0) : rows.first + index;
    const base = row * rowSize + skip;
    for (let step = 0; step < steps; step++) {
      const bound = bounds[step] ?? [0, 1];
      const start = bound[0] ?? 0;
      const end = bound[1] ?? start + 1;
      sums.fill(0);
      for (let day = start; day < end; day++) {
        const at = base + day * channels;
        for (let channel = 0; channel < channels; channel++) {
          sums[channel] = (sums[channel] ?? 0) + (batch.sequences[at + channel] ?? 0);
        }
      }
      const at = (index * steps + step) * channels;
      const width = end - start;
      for (let channel = 0; channel < channels; channel++) {
        let value = Math.log1p((sums[channel] ?? 0) / width);
        if (occlude !== undefined && occlude.channel === channel) value = occludedValue;
        if (normalisation !== undefined) {
          value = (value - (normalisation.mean[channel] ?? 0)) / (normalisation.std[channel] ?? 1);
        }
        out[at + channel] = value;
      }
    }
  }
  return out;
}

/** Mean and standard deviation per channel over every row and step of encoded (not yet standardised) input. */
export function fitNormalisation(encoded: Float32Array, channels: number): Normalisation {
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const cells = encoded.length / channels;
  for (let index = 0; index < encoded.length; index++) {
    const channel = index % channels;
    const value = encoded[index] ?? 0;
    sums[channel] = (sums[channel] ?? 0) + value;
    squares[channel] = (squares[channel] ?? 0) + value * value;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let channel = 0; channel < channels; channel++) {
    const average = (sums[channel] ?? 0) / cells;
    const variance = Math.max(0, (squares[channel] ?? 0) / cells - average * average);
    mean.push(average);
    // A channel that never varies in training (no tickets at all, say) stays at 0 instead of dividing by 0.
    std.push(variance > 1e-12 ? Math.sqrt(variance) : 1);
  }
  return { mean, std };
}

/** Standardises encoded input in place. */
export function standardise(encoded: Float32Array, normalisation: Normalisation): void {
  const channels = normalisation.mean.length;
  for (let index = 0; index < encoded.length; index++) {
    const channel = index % channels;
    encoded[index] =
      ((encoded[index] ?? 0) - (normalisation.mean[channel] ?? 0)) / (normalisation.std[channel] ?? 1);
  }
}

/** Mean raw daily value per channel over the days the model reads: what occlusion puts in a channel's place. */
export function channelMeans(batch: SequenceBatch, days: number): number[] {
  const channels = batch.channels;
  const sums = new Float64Array(channels);
  const skip = batch.days - days;
  for (let row = 0; row < batch.rows; row++) {
    for (let day = skip; day < batch.days; day++) {
      const at = (row * batch.days + day) * channels;
      for (let channel = 0; channel < channels; channel++) {
        sums[channel] = (sums[channel] ?? 0) + (batch.sequences[at + channel] ?? 0);
      }
    }
  }
  const cells = Math.max(1, batch.rows * days);
  return Array.from(sums, (sum) => sum / cells);
}
