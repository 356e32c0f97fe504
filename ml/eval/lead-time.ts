import { dayNumberOf } from './inputs.js';

/** One day's score for one customer (e.g. from the daily score-all run). */
export interface ScoreOnDay<Id = string> {
  readonly userId: Id;
  /** `YYYY-MM-DD`, or a timestamp (its UTC day counts). */
  readonly day: string;
  readonly score: number;
}

export interface LeadTimeQuantiles {
  readonly p25: number | null;
  readonly p50: number | null;
  readonly p75: number | null;
}

export interface LeadTimeSummary<Id = string> {
  /** Every churner: days of warning, or null when never flagged before churning. */
  readonly perCustomer: Map<Id, number | null>;
  /** Over flagged churners only; null when none was flagged. */
  readonly median: number | null;
  readonly quantiles: LeadTimeQuantiles;
  /** Share of churners flagged before their churn date; null without churners. */
  readonly detectedShare: number | null;
}

/**
 * Lead time: days from the first day a churner scored `>= threshold` before their churn date to
 * that date, i.e. how long retention had to act. Scores on or after the churn date do not count
 * (a warning on the day is no warning), and customers who did not churn are ignored. Quantiles
 * interpolate linearly between ranks (numpy's default).
 */
export function leadTimes<Id = string>(
  scoreHistory: Iterable<ScoreOnDay<Id>>,
  churnDates: ReadonlyMap<Id, string>,
  threshold: number,
): LeadTimeSummary<Id> {
  if (Number.isNaN(threshold)) throw new RangeError('leadTimes: threshold must be a number, got NaN');
  const churnDays = new Map<Id, number>();
  for (const [userId, churnDate] of churnDates) {
    churnDays.set(userId, dayNumberOf(`leadTimes: churn date of ${String(userId)}`, churnDate));
  }
  const firstFlagged = new Map<Id, number>();
  let position = 0;
  for (const { userId, day, score } of scoreHistory) {
    if (Number.isNaN(score)) {
      throw new RangeError(
        `leadTimes: score ${position} (${String(userId)} on ${day}) must be a number, got NaN`,
      );
    }
    const churnDay = churnDays.get(userId);
    if (churnDay !== undefined && score >= threshold) {
      const scoreDay = dayNumberOf(`leadTimes: day of score ${position} (${String(userId)})`, day);
      const first = firstFlagged.get(userId);
      if (scoreDay < churnDay && (first === undefined || scoreDay < first))
        firstFlagged.set(userId, scoreDay);
    }
    position += 1;
  }
  const perCustomer = new Map<Id, number | null>();
  const detected: number[] = [];
  for (const [userId, churnDay] of churnDays) {
    const first = firstFlagged.get(userId);
    const leadTimeDays = first === undefined ? null : churnDay - first;
    perCustomer.set(userId, leadTimeDays);
    if (leadTimeDays !== null) detected.push(leadTimeDays);
  }
  detected.sort((a, b) => a - b);
  const p50 = quantile(detected, 0.5);
  return {
    perCustomer,
    median: p50,
    quantiles: { p25: quantile(detected, 0.25), p50, p75: quantile(detected, 0.75) },
    detectedShare: churnDays.size === 0 ? null : detected.length / churnDays.size,
  };
}

/** Linear interpolation between closest ranks of sorted values; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] ?? 0;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] ?? lower;
  return lower + (position - below) * (upper - lower);
}
