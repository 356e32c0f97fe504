import { addDays, dayOf } from '../features/day-aggregate.js';
import type { ChurnOutcome } from './churn-outcomes.js';

export interface LabelWindow {
  /** `YYYY-MM-DD`: the first day of the window, the snapshot's cut-off. */
  readonly asOf: string;
  /** The window is `[asOf, asOf + horizonDays)`. */
  readonly horizonDays: number;
}

/** True when the customer had churned before the window opened, so was no customer at `asOf`. */
export function churnedBefore(outcome: ChurnOutcome | undefined, asOf: string): boolean {
  return outcome?.churn_date != null && dayOf(outcome.churn_date) < asOf;
}

/**
 * The training label of a window: 1 when a confirmed churn date falls in it, 0 when it is known
 * that none does, null when that is not known:
 * - a churn date in the window that is not confirmed yet (the grace period runs past the data);
 * - no churn seen, but the outcome is not known to the window's end (`known_until`) and no paid
 *   period reaching past the window says the customer was still paying;
 * - no churn seen in an outcome derived from events that never named a paid period (no billing
 *   events at all: nothing shows the customer had a subscription to lose);
 * - no outcome.
 * Outcomes whose churn date is before `asOf` belong to customers who are left out
 * ({@link churnedBefore}); for them the label is null as well.
 */
export function windowLabel(
  outcome: (ChurnOutcome & { readonly source?: 'derived' | 'imported' }) | undefined,
  window: LabelWindow,
): 0 | 1 | null {
  if (outcome === undefined) return null;
  if (!Number.isInteger(window.horizonDays) || window.horizonDays < 1) {
    throw new RangeError(`horizonDays: expected a positive whole number, got ${window.horizonDays}`);
  }
  const end = addDays(window.asOf, window.horizonDays);
  if (outcome.churn_date !== null) {
    const churnDay = dayOf(outcome.churn_date);
    if (churnDay < window.asOf) return null;
    if (churnDay < end) return outcome.confirmed ? 1 : null;
    // The first churn on or after asOf comes after the window, so nothing churned inside it.
    return 0;
  }
  const paidPastWindow = outcome.paid_until !== null && dayOf(outcome.paid_until) >= end;
  if (paidPastWindow) return 0;
  if (outcome.known_until < end) return null;
  if (outcome.paid_until === null && outcome.source !== 'imported') return null;
  return 0;
}
