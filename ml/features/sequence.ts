import { asOfNumber, type CustomerHistory, LOOKBACK_DAYS, recentDays } from './history.js';

/**
 * The channels of `activitySequence`, per day, in this order:
 * - `sessions`: sessions started;
 * - `log1p_play_minutes`: ln(1 + minutes watched), so a binge does not dwarf everything else;
 * - `plays`: plays;
 * - `failures`: failed payments + app crashes + buffering events (things that went wrong);
 * - `support_tickets`: support tickets;
 * - `cancel_page_views`: visits to the cancel page.
 * Raw values: normalisation belongs to the model, saved beside its weights.
 */
export const SEQUENCE_CHANNELS = [
  'sessions',
  'log1p_play_minutes',
  'plays',
  'failures',
  'support_tickets',
  'cancel_page_views',
] as const;

export type SequenceChannel = (typeof SEQUENCE_CHANNELS)[number];

/**
 * The daily activity before `asOf` for the LSTM: shape `[days, channels]` row-major, oldest day
 * first (row `days - 1` is the day before `asOf`), zeros for days without activity. `days` is
 * at most `LOOKBACK_DAYS`, because the online store keeps no more than that.
 */
export function activitySequence(history: CustomerHistory, asOf: string, days = LOOKBACK_DAYS): Float32Array {
  if (!Number.isInteger(days) || days < 1 || days > LOOKBACK_DAYS) {
    throw new RangeError(`days: expected an integer in 1..${LOOKBACK_DAYS}, got ${days}`);
  }
  const channels = SEQUENCE_CHANNELS.length;
  const sequence = new Float32Array(days * channels);
  for (const { day, age } of recentDays(history, asOfNumber(asOf), days)) {
    const offset = (days - age) * channels;
    sequence[offset] = day.sessions;
    sequence[offset + 1] = Math.log1p(day.play_seconds / 60);
    sequence[offset + 2] = day.plays;
    sequence[offset + 3] = day.payments_failed + day.app_crashes + day.buffering_events;
    sequence[offset + 4] = day.support_tickets;
    sequence[offset + 5] = day.cancel_page_views;
  }
  return sequence;
}
