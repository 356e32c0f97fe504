import { dayOf } from '../features/day-aggregate.js';
import type { Label } from '../schema/label.js';
import type { ChurnOutcome } from './churn-outcomes.js';

/** A customer's churn outcome and where it came from. */
export interface ChurnLabel extends ChurnOutcome {
  readonly source: 'derived' | 'imported';
}

/** An imported label as an outcome: the source's word is final up to the label's `as_of`. */
export function outcomeOfImported(label: Label): ChurnOutcome {
  return {
    churn_date: label.churned ? label.churn_date : null,
    confirmed: label.churned,
    paid_until: label.churned ? label.churn_date : (label.paid_until ?? null),
    known_until: dayOf(label.as_of),
  };
}

/**
 * Derived outcomes with imported labels on top: where a customer has an imported label (from
 * the CRM, or the simulator's `labels.csv`), it replaces the derived outcome, whatever the
 * events say; customers without one keep theirs. Of several imported labels of one customer
 * the one taken last (`as_of`) counts.
 */
export function mergeLabels(
  derived: ReadonlyMap<string, ChurnOutcome>,
  imported: Iterable<Label>,
): Map<string, ChurnLabel> {
  const latest = new Map<string, Label>();
  for (const label of imported) {
    const known = latest.get(label.user_id);
    if (known === undefined || Date.parse(label.as_of) >= Date.parse(known.as_of))
      latest.set(label.user_id, label);
  }
  const merged = new Map<string, ChurnLabel>();
  for (const [userId, outcome] of derived) {
    if (!latest.has(userId)) merged.set(userId, { ...outcome, source: 'derived' });
  }
  for (const [userId, label] of latest)
    merged.set(userId, { ...outcomeOfImported(label), source: 'imported' });
  return merged;
}
