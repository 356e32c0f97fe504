import { type DayAggregate, dayNumber, dayOf } from './day-aggregate.js';

/**
 * How far back features look, in days before `asOf`. Nothing older is read, by any feature, so
 * the online store only has to keep day items this long (its TTL must be at least this plus the
 * allowed lateness) and a batch snapshot over a longer history still computes the same values.
 */
export const LOOKBACK_DAYS = 90;

/**
 * What is known about a customer apart from events: the Profile contract (ml/schema), with
 * any extra attributes a source may add (they are carried, not used as features).
 */
export interface ProfileLike {
  readonly user_id: string;
  readonly registered_at: string;
  readonly plan: string;
  readonly monthly_price: number;
  readonly channel: string;
  readonly country: string;
  readonly device: string;
  readonly manager_id: string;
  /** The customer who referred this one, if any. */
  readonly referred_by?: string | null;
  readonly [attribute: string]: unknown;
}

/** A customer's profile and day aggregates (`YYYY-MM-DD` -> day), as the store or a batch job holds them. */
export interface CustomerHistory {
  readonly userId: string;
  readonly profile?: ProfileLike;
  readonly days: ReadonlyMap<string, DayAggregate> | Readonly<Record<string, DayAggregate>>;
}

const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** Day number of an `asOf` day; the error names the argument, since it usually comes from configuration. */
export function asOfNumber(asOf: string): number {
  if (!DAY_TEXT.test(asOf)) throw new RangeError(`asOf: expected YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  return dayNumber(asOf);
}

function isMap(
  days: ReadonlyMap<string, DayAggregate> | Readonly<Record<string, DayAggregate>>,
): days is ReadonlyMap<string, DayAggregate> {
  return days instanceof Map;
}

/** Every `[YYYY-MM-DD, aggregate]` of a history, whichever container holds them. */
export function dayEntries(history: CustomerHistory): Iterable<readonly [string, DayAggregate]> {
  const days = history.days;
  return isMap(days) ? days.entries() : Object.entries(days);
}

/** A day of the lookback window: its aggregate, its age (1 = the day before `asOf`) and its day number. */
export interface RecentDay {
  readonly day: DayAggregate;
  readonly age: number;
  readonly number: number;
}

/**
 * The days of the lookback window before `asOf` that have an aggregate. Days on or after `asOf`
 * and days older than `lookback` are left out, which is what makes every feature point-in-time.
 * The order follows the container, so whatever is computed from it must not depend on order.
 */
export function recentDays(
  history: CustomerHistory,
  asOf: number,
  lookback: number = LOOKBACK_DAYS,
): RecentDay[] {
  const recent: RecentDay[] = [];
  for (const [text, day] of dayEntries(history)) {
    const number = dayNumber(text);
    const age = asOf - number;
    if (age >= 1 && age <= lookback) recent.push({ day, age, number });
  }
  return recent;
}

/** Day number of the registration, or undefined without a profile. */
export function registrationDay(history: CustomerHistory): number | undefined {
  const registeredAt = history.profile?.registered_at;
  return registeredAt === undefined ? undefined : dayNumber(dayOf(registeredAt));
}
