import { LOOKBACK_DAYS } from '../../features/history.js';

/** The recurrent cell. */
export type SequenceCell = 'gru' | 'lstm';

/**
 * Training parameters. The defaults were chosen on the simulator against the speed budget (about
 * 150,000 training sequences in two minutes on one wasm core); see the README for the figures.
 * With them, 90 days become 13 weekly steps (the oldest one 6 days long).
 */
export interface SequenceParams {
  /**
   * Days the model reads: the most recent `days` of the input (which may hold more, never fewer).
   * @default 90 (`LOOKBACK_DAYS`, what the online store keeps)
   */
  readonly days: number;
  /**
   * The most recent days kept one step per day. 0 by default: on the simulator, 7 daily steps
   * (19 steps in all) cost 45% more time and lost about 0.005 AUC against plain weekly steps.
   * @default 0
   */
  readonly recentDays: number;
  /**
   * Older days are averaged into steps of this many days (aligned on the recent end, so a partial
   * step, if any, is the oldest one).
   * @default 7
   */
  readonly poolDays: number;
  /**
   * GRU: as good as the LSTM on the simulator (test AUC within 0.001) for 15-30% less
   * training time per epoch and faster predictions on wasm.
   * @default 'gru'
   */
  readonly cell: SequenceCell;
  /** @default 32 */
  readonly units: number;
  /** Epochs at most; early stopping may keep an earlier one. @default 10 */
  readonly epochs: number;
  /** @default 256 */
  readonly batchSize: number;
  /** Adam's step size. @default 0.003 */
  readonly learningRate: number;
  /** Seeds the initial weights, the shuffles and the negative samples. @default 42 */
  readonly seed: number;
  /**
   * Epochs without a better validation AUC before training stops (the best epoch's weights are
   * kept); 0 = never stop early. Needs `options.validation`.
   * @default 2
   */
  readonly patience: number;
  /**
   * Each epoch trains on every churner and a fresh seeded sample of this many non-churners per
   * churner (all of them when there are fewer); 0 = every row every epoch. Sampling keeps epochs
   * short and balanced while still seeing most non-churners over the run; it shifts the logits
   * by about ln(share of non-churners kept), which leaves the ranking as it is.
   * @default 3
   */
  readonly negativesPerPositive: number;
  /** Extra loss weight of churners, on top of any row weights. @default 1 */
  readonly positiveWeight: number;
}

export const DEFAULT_SEQUENCE_PARAMS: SequenceParams = Object.freeze({
  days: LOOKBACK_DAYS,
  recentDays: 0,
  poolDays: 7,
  cell: 'gru',
  units: 32,
  epochs: 10,
  batchSize: 256,
  learningRate: 0.003,
  seed: 42,
  patience: 2,
  negativesPerPositive: 3,
  positiveWeight: 1,
});

function integerIn(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`params.${name}: expected an integer in ${min}..${max}, got ${String(value)}`);
  }
}

function positive(name: string, value: unknown, allowZero = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(
      `params.${name}: expected a finite number ${allowZero ? '>= 0' : '> 0'}, got ${String(value)}`,
    );
  }
}

/** Defaults filled in and every value checked; the RangeError names the parameter. */
export function resolveSequenceParams(params: Partial<SequenceParams> = {}): SequenceParams {
  const resolved: SequenceParams = { ...DEFAULT_SEQUENCE_PARAMS, ...params };
  integerIn('days', resolved.days, 1);
  integerIn('recentDays', resolved.recentDays, 0, resolved.days);
  integerIn('poolDays', resolved.poolDays, 1);
  if (resolved.cell !== 'gru' && resolved.cell !== 'lstm') {
    throw new RangeError(`params.cell: expected 'gru' or 'lstm', got ${String(resolved.cell)}`);
  }
  integerIn('units', resolved.units, 1, 1024);
  integerIn('epochs', resolved.epochs, 1);
  integerIn('batchSize', resolved.batchSize, 1);
  positive('learningRate', resolved.learningRate);
  integerIn('seed', resolved.seed, 0, 0xffffffff);
  integerIn('patience', resolved.patience, 0);
  positive('negativesPerPositive', resolved.negativesPerPositive, true);
  positive('positiveWeight', resolved.positiveWeight);
  return Object.freeze(resolved);
}
