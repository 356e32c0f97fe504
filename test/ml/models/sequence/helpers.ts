import type { LabelledSequences } from '../../../../ml/models/sequence/index.js';
import { seededUniform } from '../../../../ml/models/sequence/random.js';

export const CHANNELS = 6;
/** Test inputs hold more days than the models read, so every test also covers "take the most recent". */
export const INPUT_DAYS = 35;
/** Small and quick: 28 days as 3 weekly steps + 7 daily steps, 8 GRU units. */
export const SMALL_PARAMS = {
  days: 28,
  recentDays: 7,
  poolDays: 7,
  units: 8,
  epochs: 6,
  batchSize: 128,
  learningRate: 0.02,
  seed: 7,
} as const;

function poisson(rate: number, random: () => number): number {
  // Knuth: fine for the small rates used here.
  const limit = Math.exp(-rate);
  let count = 0;
  let product = random();
  while (product > limit) {
    count += 1;
    product *= random();
  }
  return count;
}

/**
 * A planted pattern: churners' sessions fade to almost nothing over the last two weeks, while
 * non-churners' stay level. Every other channel is noise independent of the label, so an
 * explanation should point at `sessions` (channel 0). About 30% churners.
 */
export function plantedSequences(rows: number, seed: number, days = INPUT_DAYS): LabelledSequences {
  const random = seededUniform(seed, 1);
  const sequences = new Float32Array(rows * days * CHANNELS);
  const labels = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    const churner = random() < 0.3;
    labels[row] = churner ? 1 : 0;
    const sessionRate = 1 + 2 * random();
    const playRate = 4 * random();
    const minutes = 60 * random();
    for (let day = 0; day < days; day++) {
      const fromEnd = days - day;
      const fade = churner && fromEnd <= 14 ? Math.max(0.05, fromEnd / 14 - 0.1) : 1;
      const at = (row * days + day) * CHANNELS;
      sequences[at] = poisson(sessionRate * fade, random);
      sequences[at + 1] = Math.log1p(minutes * random());
      sequences[at + 2] = poisson(playRate, random);
      sequences[at + 3] = poisson(0.1, random);
      sequences[at + 4] = poisson(0.02, random);
      sequences[at + 5] = poisson(0.02, random);
    }
  }
  return { sequences, rows, days, channels: CHANNELS, labels };
}

/** The first `count` rows of a batch, as a batch. */
export function headRows(data: LabelledSequences, count: number): LabelledSequences {
  return {
    sequences: data.sequences.slice(0, count * data.days * data.channels),
    rows: count,
    days: data.days,
    channels: data.channels,
    labels: Array.from(data.labels).slice(0, count),
  };
}
