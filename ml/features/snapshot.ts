import type { Event } from '../schema/event.js';
import { aggregateEvents, type DayAggregate, dayNumber, dayOf } from './day-aggregate.js';
import { computeFeatures, type FeatureVector } from './features.js';
import {
  asOfNumber,
  type CustomerHistory,
  dayEntries,
  type ProfileLike,
  registrationDay,
} from './history.js';

/** What a snapshot needs of a label (the Label contract has more). */
export interface LabelLike {
  /** End of the paid period after which the customer did not come back; null when they did not churn. */
  readonly churn_date: string | null;
  /**
   * When the label was taken. With it, "no churn" only counts as a negative when it was known
   * for the whole horizon; without it, labels are taken to be final.
   */
  readonly as_of?: string;
}

export interface SnapshotRow {
  readonly user_id: string;
  /** The cut-off day, `YYYY-MM-DD`: features use only days before it. */
  readonly as_of: string;
  readonly features: FeatureVector;
  /** 1: churn date in [as_of, as_of + horizon); 0: not; null: not known (no label, or one taken too early). */
  readonly label: 0 | 1 | null;
  readonly churn_date: string | null;
}

export interface SnapshotOptions {
  readonly histories: Iterable<CustomerHistory>;
  /** `YYYY-MM-DD`, exclusive. */
  readonly asOf: string;
  readonly horizonDays: number;
  readonly labels?: ReadonlyMap<string, LabelLike>;
}

function hasDayBefore(history: CustomerHistory, asOf: number): boolean {
  for (const [day] of dayEntries(history)) if (dayNumber(day) < asOf) return true;
  return false;
}

function labelOf(label: LabelLike | undefined, asOf: number, horizonDays: number): 0 | 1 | null {
  if (label === undefined) return null;
  const end = asOf + horizonDays;
  if (label.churn_date !== null) {
    const churnDay = dayNumber(dayOf(label.churn_date));
    if (churnDay < end) return 1;
    return 0;
  }
  if (label.as_of !== undefined && dayNumber(dayOf(label.as_of)) < end) return null;
  return 0;
}

/**
 * Point-in-time training rows as of `asOf`: one per customer who was a customer then, i.e.
 * registered before `asOf` (without a profile: with activity before `asOf`) and not churned
 * before `asOf` (churn date, when labelled, on or after `asOf`). Features come from
 * `computeFeatures`, so they equal what the online store serves for that day. Rows are sorted
 * by user id.
 */
export function buildSnapshotRows(options: SnapshotOptions): SnapshotRow[] {
  const { asOf, horizonDays, labels } = options;
  const cutoff = asOfNumber(asOf);
  if (!Number.isInteger(horizonDays) || horizonDays < 1) {
    throw new RangeError(`horizonDays: expected a positive integer, got ${horizonDays}`);
  }
  const rows: SnapshotRow[] = [];
  for (const history of options.histories) {
    const registered = registrationDay(history);
    if (registered === undefined ? !hasDayBefore(history, cutoff) : registered >= cutoff) continue;
    const label = labels?.get(history.userId);
    const churnDate = label?.churn_date ?? null;
    if (churnDate !== null && dayNumber(dayOf(churnDate)) < cutoff) continue;
    rows.push({
      user_id: history.userId,
      as_of: asOf,
      features: computeFeatures(history, asOf),
      label: labelOf(label, cutoff, horizonDays),
      churn_date: churnDate,
    });
  }
  return rows.sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
}

/**
 * Histories as they stood at the start of `asOf`: events strictly before `asOf` (UTC day),
 * profiles of customers registered before it. Events must be deduplicated by `event_id` first
 * (the lakehouse is). Profiles are taken as they are; a profile field that changed after `asOf`
 * leaks the later value, which is why features prefer what events say (plan) where they can.
 * Sorted by user id.
 */
export function historiesFromEvents(
  events: Iterable<Event>,
  profiles: Iterable<ProfileLike>,
  asOf: string,
): CustomerHistory[] {
  const cutoff = asOfNumber(asOf);
  function* before(): Generator<Event> {
    for (const event of events) if (dayOf(event.ts) < asOf) yield event;
  }
  const days = aggregateEvents(before());
  const known = new Map<string, ProfileLike>();
  for (const profile of profiles) {
    if (dayNumber(dayOf(profile.registered_at)) < cutoff) known.set(profile.user_id, profile);
  }
  const userIds = [...new Set([...days.keys(), ...known.keys()])].sort();
  return userIds.map((userId) => {
    const profile = known.get(userId);
    const history: CustomerHistory = {
      userId,
      days: days.get(userId) ?? new Map<string, DayAggregate>(),
      ...(profile === undefined ? {} : { profile }),
    };
    return history;
  });
}
