import type { Event } from '../schema/event.js';

/**
 * One customer's activity on one UTC day, folded from their events: the unit the online feature
 * store keeps (one DynamoDB item per customer and day, stored as is) and the unit batch training
 * rebuilds from the lakehouse. Features are computed from days only, never from raw events, so
 * both sides compute them with the same code from the same numbers.
 *
 * Every counter is an integer on purpose: durations are whole seconds (or milliseconds), money is
 * hundredths of the currency unit and completion is per mille, each rounded once per event.
 * Integer sums are exact, so `mergeDays` is associative and commutative bit for bit, and any
 * grouping of the same events (batches in any order, late events, a full re-aggregation) yields
 * the very same aggregate. Floating-point sums would differ in the last bits between groupings.
 *
 * Duplicates are NOT dropped here: an event folded twice counts twice. Callers drop repeated
 * `event_id`s first (the feature processor remembers the ids each day item holds; batch jobs
 * read the deduplicated lakehouse).
 */
export interface DayAggregate {
  /** All events folded in, of any type. */
  events: number;
  sessions: number;
  /** Sum of `session_start.minutes`, in whole seconds (sessions without minutes add nothing). */
  session_seconds: number;
  plays: number;
  play_seconds: number;
  /** Sum of play completion fractions, per mille (0.82 adds 820). */
  completion_permille: number;
  /** `search` events; searches that found nothing are counted in `searches_no_result` only. */
  searches: number;
  searches_no_result: number;
  payments_ok: number;
  payments_failed: number;
  /** Sum of successful payment amounts in hundredths of the customer's currency. */
  paid_cents: number;
  subscriptions_started: number;
  subscriptions_renewed: number;
  subscriptions_cancelled: number;
  cancel_page_views: number;
  support_tickets: number;
  csat_sum: number;
  csat_count: number;
  notifications_sent: number;
  notifications_opened: number;
  buffering_events: number;
  buffering_ms: number;
  app_crashes: number;
  referrals: number;
  playlists_shared: number;
  reviews: number;
  rating_sum: number;
  /** Sessions by UTC start hour (events carry no local offset): night 0-5, morning 6-11, afternoon 12-17, evening 18-23. */
  sessions_night: number;
  sessions_morning: number;
  sessions_afternoon: number;
  sessions_evening: number;
  /** Sessions by device class of `session_start.device`: TVs and sticks/consoles, phones and tablets, the rest (web). */
  sessions_tv: number;
  sessions_mobile: number;
  sessions_other: number;
  /** Distinct genres played, sorted. */
  genres: string[];
  /** Distinct people this customer referred or shared a playlist with, sorted. */
  neighbours: string[];
  /** Latest plan named by `subscription_started` or `subscription_renewed`. */
  plan: LatestValue<string> | null;
  /** Latest `subscription_started.monthly_price` (the price charged at sign-up, promo discount included). */
  monthly_price: LatestValue<number> | null;
  /** Latest subscription event: whether the subscription was last started, renewed or cancelled. */
  subscription_state: LatestValue<SubscriptionState> | null;
  /** Latest end of the paid period seen in renewals and cancellations (the maximum, not the last one written). */
  paid_until: string | null;
}

/** A value with the time it was observed; the later observation wins. */
export interface LatestValue<T> {
  value: T;
  ts: string;
}

export type SubscriptionState = 'started' | 'renewed' | 'cancelled';

/** The integer fields of a day, in a fixed order; each merges by addition. */
export const DAY_COUNTERS = [
  'events',
  'sessions',
  'session_seconds',
  'plays',
  'play_seconds',
  'completion_permille',
  'searches',
  'searches_no_result',
  'payments_ok',
  'payments_failed',
  'paid_cents',
  'subscriptions_started',
  'subscriptions_renewed',
  'subscriptions_cancelled',
  'cancel_page_views',
  'support_tickets',
  'csat_sum',
  'csat_count',
  'notifications_sent',
  'notifications_opened',
  'buffering_events',
  'buffering_ms',
  'app_crashes',
  'referrals',
  'playlists_shared',
  'reviews',
  'rating_sum',
  'sessions_night',
  'sessions_morning',
  'sessions_afternoon',
  'sessions_evening',
  'sessions_tv',
  'sessions_mobile',
  'sessions_other',
] as const satisfies readonly (keyof DayAggregate)[];

export type DayCounter = (typeof DAY_COUNTERS)[number];

/** A day with nothing in it. Written as one literal so every day shares one V8 object shape. */
export function emptyDay(): DayAggregate {
  return {
    events: 0,
    sessions: 0,
    session_seconds: 0,
    plays: 0,
    play_seconds: 0,
    completion_permille: 0,
    searches: 0,
    searches_no_result: 0,
    payments_ok: 0,
    payments_failed: 0,
    paid_cents: 0,
    subscriptions_started: 0,
    subscriptions_renewed: 0,
    subscriptions_cancelled: 0,
    cancel_page_views: 0,
    support_tickets: 0,
    csat_sum: 0,
    csat_count: 0,
    notifications_sent: 0,
    notifications_opened: 0,
    buffering_events: 0,
    buffering_ms: 0,
    app_crashes: 0,
    referrals: 0,
    playlists_shared: 0,
    reviews: 0,
    rating_sum: 0,
    sessions_night: 0,
    sessions_morning: 0,
    sessions_afternoon: 0,
    sessions_evening: 0,
    sessions_tv: 0,
    sessions_mobile: 0,
    sessions_other: 0,
    genres: [],
    neighbours: [],
    plan: null,
    monthly_price: null,
    subscription_state: null,
    paid_until: null,
  };
}

const DAY_MS = 86_400_000;

/**
 * True when the timestamp's clock reads UTC, so its first ten characters are the UTC date and
 * characters 11-12 the UTC hour (the schema only accepts such timestamps; other callers may not).
 */
function isUtcText(ts: string): boolean {
  const last = ts.charCodeAt(ts.length - 1);
  if (last === 90 /* Z */) return ts.length >= 13;
  return ts.endsWith('+00:00') && ts.length >= 16;
}

function parseTimestamp(ts: string): number {
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw new RangeError(`ts: expected ISO 8601 timestamp, got ${JSON.stringify(ts)}`);
  return ms;
}

/**
 * The UTC day (`YYYY-MM-DD`) of an ISO 8601 timestamp. A timestamp ending in `Z` or `+00:00` is
 * trusted to be valid (the event schema checked it) and its first ten characters are the day,
 * with no parsing; anything else is parsed, and text that is no timestamp throws a RangeError.
 */
export function dayOf(ts: string): string {
  if (isUtcText(ts)) return ts.slice(0, 10);
  return new Date(parseTimestamp(ts)).toISOString().slice(0, 10);
}

function hourOf(ts: string): number {
  if (isUtcText(ts)) return (ts.charCodeAt(11) - 48) * 10 + (ts.charCodeAt(12) - 48);
  return new Date(parseTimestamp(ts)).getUTCHours();
}

const TV = 0;
const MOBILE = 1;
const OTHER = 2;
type DeviceClass = typeof TV | typeof MOBILE | typeof OTHER;

const deviceClasses = new Map<string, DeviceClass>();

/** Device names are free text; classify each name once and remember it (there are few of them). */
function deviceClassOf(device: string): DeviceClass {
  const known = deviceClasses.get(device);
  if (known !== undefined) return known;
  const name = device.toLowerCase();
  let found: DeviceClass = OTHER;
  if (/tv|stick|console|roku|chromecast|box/.test(name)) found = TV;
  else if (/mobile|phone|android|ios|tablet|ipad/.test(name)) found = MOBILE;
  if (deviceClasses.size < 10_000) deviceClasses.set(device, found);
  return found;
}

/** Inserts into a sorted list of distinct strings; allocates only when the value is new. */
function insertSorted(list: string[], value: string): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const current = list[middle] as string;
    if (current === value) return;
    if (current < value) low = middle + 1;
    else high = middle;
  }
  list.splice(low, 0, value);
}

function compareTimestamps(a: string, b: string): number {
  if (a === b) return 0;
  // Different spellings of one instant (`Z` / `+00:00`, fractions) still need one total order.
  const difference = parseTimestamp(a) - parseTimestamp(b);
  if (difference !== 0) return difference;
  return a < b ? -1 : 1;
}

function compareValues(a: string | number, b: string | number): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * The later of two observations; on equal timestamps the larger value, so the choice never
 * depends on which argument came first (that keeps `mergeDays` commutative).
 */
export function later<T extends string | number>(
  a: LatestValue<T> | null,
  b: LatestValue<T> | null,
): LatestValue<T> | null {
  if (a === null) return b;
  if (b === null) return a;
  const order = compareTimestamps(a.ts, b.ts);
  if (order !== 0) return order > 0 ? a : b;
  return compareValues(a.value, b.value) >= 0 ? a : b;
}

/** The later end of a paid period (either may be unknown). */
export function laterPaidUntil(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareTimestamps(a, b) >= 0 ? a : b;
}

function sessionStarted(day: DayAggregate, ts: string, device: string, minutes: number | undefined): void {
  day.sessions += 1;
  if (minutes !== undefined) day.session_seconds += Math.round(minutes * 60);
  const hour = hourOf(ts);
  if (hour < 6) day.sessions_night += 1;
  else if (hour < 12) day.sessions_morning += 1;
  else if (hour < 18) day.sessions_afternoon += 1;
  else day.sessions_evening += 1;
  const deviceClass = deviceClassOf(device);
  if (deviceClass === TV) day.sessions_tv += 1;
  else if (deviceClass === MOBILE) day.sessions_mobile += 1;
  else day.sessions_other += 1;
}

function subscriptionChanged(day: DayAggregate, state: SubscriptionState, ts: string): void {
  // Objects held in a day are never mutated, only replaced, so merged days may share them.
  day.subscription_state = later(day.subscription_state, { value: state, ts });
}

/**
 * Folds one (validated, not yet seen) event into its day. Mutates `day`; allocates nothing for
 * the frequent event types, because the feature processor runs it for every record.
 * The caller picks the day: `dayOf(event.ts)`.
 */
export function addEvent(day: DayAggregate, event: Event): void {
  day.events += 1;
  switch (event.type) {
    case 'session_start':
      sessionStarted(day, event.ts, event.properties.device, event.properties.minutes);
      break;
    case 'play': {
      const properties = event.properties;
      day.plays += 1;
      day.play_seconds += Math.round(properties.minutes * 60);
      day.completion_permille += Math.round(properties.completion * 1000);
      insertSorted(day.genres, properties.genre);
      break;
    }
    case 'search':
      day.searches += 1;
      break;
    case 'search_no_result':
      day.searches_no_result += 1;
      break;
    case 'payment_succeeded':
      day.payments_ok += 1;
      day.paid_cents += Math.round(event.properties.amount * 100);
      break;
    case 'payment_failed':
      day.payments_failed += 1;
      break;
    case 'subscription_started': {
      const properties = event.properties;
      day.subscriptions_started += 1;
      day.plan = later(day.plan, { value: properties.plan, ts: event.ts });
      if (properties.monthly_price !== undefined) {
        day.monthly_price = later(day.monthly_price, { value: properties.monthly_price, ts: event.ts });
      }
      subscriptionChanged(day, 'started', event.ts);
      break;
    }
    case 'subscription_renewed': {
      const properties = event.properties;
      day.subscriptions_renewed += 1;
      if (properties.plan !== undefined) day.plan = later(day.plan, { value: properties.plan, ts: event.ts });
      if (properties.paid_until !== undefined)
        day.paid_until = laterPaidUntil(day.paid_until, properties.paid_until);
      subscriptionChanged(day, 'renewed', event.ts);
      break;
    }
    case 'subscription_cancelled': {
      const paidUntil = event.properties.paid_until;
      day.subscriptions_cancelled += 1;
      if (paidUntil !== undefined) day.paid_until = laterPaidUntil(day.paid_until, paidUntil);
      subscriptionChanged(day, 'cancelled', event.ts);
      break;
    }
    case 'cancel_page_view':
      day.cancel_page_views += 1;
      break;
    case 'support_ticket': {
      const csat = event.properties.csat;
      day.support_tickets += 1;
      if (csat !== undefined) {
        day.csat_sum += csat;
        day.csat_count += 1;
      }
      break;
    }
    case 'notification_sent':
      day.notifications_sent += 1;
      break;
    case 'notification_opened':
      day.notifications_opened += 1;
      break;
    case 'buffering': {
      const seconds = event.properties.seconds;
      day.buffering_events += 1;
      if (seconds !== undefined) day.buffering_ms += Math.round(seconds * 1000);
      break;
    }
    case 'app_crash':
      day.app_crashes += 1;
      break;
    case 'referral':
      day.referrals += 1;
      if (event.properties.referred_user_id !== event.user_id)
        insertSorted(day.neighbours, event.properties.referred_user_id);
      break;
    case 'playlist_shared': {
      const sharedWith = event.properties.shared_with;
      day.playlists_shared += 1;
      if (sharedWith !== undefined && sharedWith !== event.user_id) insertSorted(day.neighbours, sharedWith);
      break;
    }
    case 'review':
      day.reviews += 1;
      day.rating_sum += event.properties.rating;
      break;
  }
}

/**
 * Adds the counters of `source` to `target` (sets and latest values are left alone). Spelled out
 * field by field because feature computation runs it for every day of every customer, and named
 * property access is many times faster than a loop over `DAY_COUNTERS` with computed keys.
 */
export function addCounters(target: DayAggregate, source: DayAggregate): void {
  target.events += source.events;
  target.sessions += source.sessions;
  target.session_seconds += source.session_seconds;
  target.plays += source.plays;
  target.play_seconds += source.play_seconds;
  target.completion_permille += source.completion_permille;
  target.searches += source.searches;
  target.searches_no_result += source.searches_no_result;
  target.payments_ok += source.payments_ok;
  target.payments_failed += source.payments_failed;
  target.paid_cents += source.paid_cents;
  target.subscriptions_started += source.subscriptions_started;
  target.subscriptions_renewed += source.subscriptions_renewed;
  target.subscriptions_cancelled += source.subscriptions_cancelled;
  target.cancel_page_views += source.cancel_page_views;
  target.support_tickets += source.support_tickets;
  target.csat_sum += source.csat_sum;
  target.csat_count += source.csat_count;
  target.notifications_sent += source.notifications_sent;
  target.notifications_opened += source.notifications_opened;
  target.buffering_events += source.buffering_events;
  target.buffering_ms += source.buffering_ms;
  target.app_crashes += source.app_crashes;
  target.referrals += source.referrals;
  target.playlists_shared += source.playlists_shared;
  target.reviews += source.reviews;
  target.rating_sum += source.rating_sum;
  target.sessions_night += source.sessions_night;
  target.sessions_morning += source.sessions_morning;
  target.sessions_afternoon += source.sessions_afternoon;
  target.sessions_evening += source.sessions_evening;
  target.sessions_tv += source.sessions_tv;
  target.sessions_mobile += source.sessions_mobile;
  target.sessions_other += source.sessions_other;
}

function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  const union: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    if (x === y) {
      union.push(x);
      i++;
      j++;
    } else if (x < y) {
      union.push(x);
      i++;
    } else {
      union.push(y);
      j++;
    }
  }
  while (i < a.length) union.push(a[i++] as string);
  while (j < b.length) union.push(b[j++] as string);
  return union;
}

/**
 * The day holding the events of both `a` and `b` (a new object; neither input changes).
 * Associative and commutative, exactly: counters add as integers, sets unite, latest values
 * take the maximum of a total order. `emptyDay()` is its neutral element.
 */
export function mergeDays(a: DayAggregate, b: DayAggregate): DayAggregate {
  const merged = emptyDay();
  addCounters(merged, a);
  addCounters(merged, b);
  merged.genres = unionSorted(a.genres, b.genres);
  merged.neighbours = unionSorted(a.neighbours, b.neighbours);
  merged.plan = later(a.plan, b.plan);
  merged.monthly_price = later(a.monthly_price, b.monthly_price);
  merged.subscription_state = later(a.subscription_state, b.subscription_state);
  merged.paid_until = laterPaidUntil(a.paid_until, b.paid_until);
  return merged;
}

/**
 * Folds events into days per customer: `userId -> day -> aggregate`. Events may come in any
 * order; duplicates must be dropped before (see `DayAggregate`).
 */
export function aggregateEvents(events: Iterable<Event>): Map<string, Map<string, DayAggregate>> {
  const customers = new Map<string, Map<string, DayAggregate>>();
  // Streams are mostly grouped by customer and day, so the last lookup is usually the next one.
  let lastUser = '';
  let lastDay = '';
  let lastDays: Map<string, DayAggregate> | undefined;
  let lastAggregate: DayAggregate | undefined;
  for (const event of events) {
    const day = dayOf(event.ts);
    if (lastAggregate === undefined || event.user_id !== lastUser || day !== lastDay) {
      if (lastDays === undefined || event.user_id !== lastUser) {
        lastDays = customers.get(event.user_id);
        if (lastDays === undefined) {
          lastDays = new Map();
          customers.set(event.user_id, lastDays);
        }
        lastUser = event.user_id;
      }
      lastAggregate = lastDays.get(day);
      if (lastAggregate === undefined) {
        lastAggregate = emptyDay();
        lastDays.set(day, lastAggregate);
      }
      lastDay = day;
    }
    addEvent(lastAggregate, event);
  }
  return customers;
}

/** Merges `source` into `target` per customer and day (`target` changes, `source` does not). */
export function mergeAggregates(
  target: Map<string, Map<string, DayAggregate>>,
  source: ReadonlyMap<string, ReadonlyMap<string, DayAggregate>>,
): void {
  for (const [userId, sourceDays] of source) {
    let targetDays = target.get(userId);
    if (targetDays === undefined) {
      targetDays = new Map();
      target.set(userId, targetDays);
    }
    for (const [day, aggregate] of sourceDays) {
      const current = targetDays.get(day);
      targetDays.set(
        day,
        current === undefined ? mergeDays(emptyDay(), aggregate) : mergeDays(current, aggregate),
      );
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reviveLatest<T extends string | number>(
  raw: unknown,
  field: string,
  accepts: (value: unknown) => value is T,
): LatestValue<T> | null {
  if (raw === undefined || raw === null) return null;
  if (isRecord(raw) && accepts(raw.value) && typeof raw.ts === 'string')
    return { value: raw.value, ts: raw.ts };
  throw new TypeError(`day aggregate: ${field} must be null or { value, ts }`);
}

function reviveStrings(raw: unknown, field: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((item) => typeof item !== 'string')) {
    throw new TypeError(`day aggregate: ${field} must be a list of strings`);
  }
  // Sorted and distinct is an invariant the merge relies on; restore it rather than trust storage.
  return [...new Set(raw as string[])].sort();
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isSubscriptionState = (value: unknown): value is SubscriptionState =>
  value === 'started' || value === 'renewed' || value === 'cancelled';

/**
 * A day aggregate read back from storage (a DynamoDB item, JSON): checks the types, fills
 * counters added since the item was written with 0, and returns an object of the usual shape.
 * Throws a TypeError naming the field that is wrong.
 */
export function reviveDay(item: unknown): DayAggregate {
  if (!isRecord(item)) throw new TypeError('day aggregate: expected an object');
  const day = emptyDay();
  for (const counter of DAY_COUNTERS) {
    const value = item[counter];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw new TypeError(`day aggregate: ${counter} must be an integer`);
    day[counter] = value as number;
  }
  day.genres = reviveStrings(item.genres, 'genres');
  day.neighbours = reviveStrings(item.neighbours, 'neighbours');
  day.plan = reviveLatest(item.plan, 'plan', isString);
  day.monthly_price = reviveLatest(item.monthly_price, 'monthly_price', isNumber);
  day.subscription_state = reviveLatest(item.subscription_state, 'subscription_state', isSubscriptionState);
  const paidUntil = item.paid_until;
  if (paidUntil !== undefined && paidUntil !== null && typeof paidUntil !== 'string') {
    throw new TypeError('day aggregate: paid_until must be null or a timestamp');
  }
  day.paid_until = paidUntil ?? null;
  return day;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayNumbers = new Map<string, number>();

/** Midnight UTC of a `YYYY-MM-DD` day, in days since 1970-01-01; throws a RangeError otherwise. */
export function dayNumber(day: string): number {
  // Feature computation asks for the same few hundred days over and over.
  const known = dayNumbers.get(day);
  if (known !== undefined) return known;
  const match = DAY_PATTERN.exec(day);
  const ms = match === null ? Number.NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`expected a calendar day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  const number = ms / DAY_MS;
  if (dayNumbers.size < 100_000) dayNumbers.set(day, number);
  return number;
}

/** The `YYYY-MM-DD` day of a day number (days since 1970-01-01). */
export function dayText(number: number): string {
  return new Date(number * DAY_MS).toISOString().slice(0, 10);
}

/** The `YYYY-MM-DD` day `offset` days after `day` (before, when negative). */
export function addDays(day: string, offset: number): string {
  return dayText(dayNumber(day) + offset);
}
