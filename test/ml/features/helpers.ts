import { parse } from 'csv-parse/sync';
import { type DayAggregate, emptyDay } from '../../../ml/features/day-aggregate.js';
import type { ProfileLike } from '../../../ml/features/history.js';
import { type Event, parseEvent, parseProfileCsvRow } from '../../../ml/schema/index.js';
import { profilesCsv, segmentsCsv } from '../../../ml/simulate/output.js';
import { INITIAL_HAZARD_SCALE, runSimulationSync } from '../../../ml/simulate/simulation.js';

/** mulberry32: a tiny seeded PRNG, so property tests repeat exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick() needs a non-empty list');
  return item;
}

export function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const a = shuffled[index] as T;
    shuffled[index] = shuffled[other] as T;
    shuffled[other] = a;
  }
  return shuffled;
}

/** Validates through the schema, so hand-made events are real events. */
export function event(input: {
  user?: string;
  ts: string;
  type: Event['type'];
  properties?: Record<string, unknown>;
  id?: string;
}): Event {
  const parsed = parseEvent({
    event_id: input.id ?? `e-${Math.random().toString(36).slice(2)}`,
    user_id: input.user ?? 'u-1',
    ts: input.ts,
    type: input.type,
    properties: input.properties ?? {},
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

const TIMESTAMP_STYLES = ['Z', '+00:00', '.250Z', '.5+00:00'] as const;

/** A random valid event of a random type on one of a few days, in varied timestamp spellings. */
export function randomEvent(random: () => number, users: readonly string[], days: readonly string[]): Event {
  const hour = String(Math.floor(random() * 24)).padStart(2, '0');
  const minute = String(Math.floor(random() * 3) * 20).padStart(2, '0');
  const style = pick(random, TIMESTAMP_STYLES);
  const ts = `${pick(random, days)}T${hour}:${minute}:00${style}`;
  const user = pick(random, users);
  const amount = Math.round(random() * 2000) / 100;
  const paidUntil = `2025-0${1 + Math.floor(random() * 3)}-1${Math.floor(random() * 3)}T00:00:00${pick(random, TIMESTAMP_STYLES)}`;
  const builders: Array<() => { type: Event['type']; properties: Record<string, unknown> }> = [
    () => ({
      type: 'session_start',
      properties: {
        device: pick(random, ['smart_tv', 'mobile_ios', 'web', 'console']),
        minutes: random() * 90,
      },
    }),
    () => ({
      type: 'play',
      properties: {
        content_id: 'c-1',
        genre: pick(random, ['drama', 'comedy', 'crime', 'kids']),
        minutes: random() * 60,
        completion: random(),
      },
    }),
    () => ({ type: 'search', properties: { query: 'x', results: 3 } }),
    () => ({ type: 'search_no_result', properties: { query: 'y' } }),
    () => ({ type: 'payment_succeeded', properties: { amount, currency: 'EUR', attempt: 1 } }),
    () => ({
      type: 'payment_failed',
      properties: { amount, currency: 'EUR', attempt: 2, reason: 'card_expired' },
    }),
    () => ({
      type: 'subscription_started',
      properties: {
        plan: pick(random, ['basic', 'standard', 'premium']),
        monthly_price: pick(random, [4.5, 8.99, 13.99]),
      },
    }),
    () => ({
      type: 'subscription_renewed',
      properties: { plan: pick(random, ['basic', 'premium']), paid_until: paidUntil },
    }),
    () => ({ type: 'subscription_cancelled', properties: { reason: 'price', paid_until: paidUntil } }),
    () => ({ type: 'cancel_page_view', properties: {} }),
    () => ({
      type: 'support_ticket',
      properties: random() < 0.5 ? { topic: 'billing' } : { topic: 'x', csat: 1 + Math.floor(random() * 5) },
    }),
    () => ({ type: 'notification_sent', properties: { campaign: 'c' } }),
    () => ({ type: 'notification_opened', properties: { campaign: 'c' } }),
    () => ({ type: 'buffering', properties: { seconds: random() * 20 } }),
    () => ({ type: 'app_crash', properties: { device: 'web' } }),
    () => ({ type: 'referral', properties: { referred_user_id: pick(random, ['u-7', 'u-8', 'u-9']) } }),
    () => ({
      type: 'playlist_shared',
      properties: { playlist_id: 'p', shared_with: pick(random, ['u-7', 'u-5', 'u-6']) },
    }),
    () => ({ type: 'review', properties: { rating: 1 + Math.floor(random() * 5), store: 'web' } }),
  ];
  const { type, properties } = pick(random, builders)();
  return event({ user, ts, type, properties, id: `r-${Math.floor(random() * 1e12).toString(36)}` });
}

/** A day built from events, for tests that need one. */
export function dayFrom(
  events: readonly Event[],
  add: (day: DayAggregate, event: Event) => void,
): DayAggregate {
  const day = emptyDay();
  for (const item of events) add(day, item);
  return day;
}

export interface SimulatedStream {
  readonly events: Event[];
  readonly profiles: ProfileLike[];
  /** user id -> first day at full price, for partner-promo customers (from the simulator's hidden segments). */
  readonly promoEnds: Map<string, string>;
  /** user id -> churn date, for customers who churned. */
  readonly churnDates: Map<string, string>;
  readonly start: string;
}

/**
 * The simulator's event stream held in memory, parsed through the schema exactly as the feature
 * processor parses Kinesis records, with the profiles it writes.
 */
export function simulatedStream(customers: number, days: number, seed: number): SimulatedStream {
  const events: Event[] = [];
  const result = runSimulationSync(
    { customers, days, seed },
    {
      onDay: (day) => {
        for (const line of day.jsonl.toString('latin1').split('\n')) {
          if (line === '') continue;
          const parsed = parseEvent(JSON.parse(line));
          if (!parsed.ok) throw new Error(`simulator wrote an invalid event: ${parsed.reason}`);
          events.push(parsed.event);
        }
      },
    },
    // A fixed hazard scale skips the calibration runs, which take seconds and do not matter here.
    { hazardScale: INITIAL_HAZARD_SCALE },
  );
  const profiles = (parse(profilesCsv(result), { columns: true }) as Record<string, string>[]).map((row) => {
    const parsed = parseProfileCsvRow(row);
    if (!parsed.ok) throw new Error(`simulator wrote an invalid profile: ${parsed.reason}`);
    return parsed.profile;
  });
  const promoEnds = new Map<string, string>();
  for (const row of parse(segmentsCsv(result), { columns: true }) as Record<string, string>[]) {
    if (row.promo_end !== undefined && row.promo_end !== '' && row.user_id !== undefined) {
      promoEnds.set(row.user_id, row.promo_end.slice(0, 10));
    }
  }
  const churnDates = new Map<string, string>();
  for (const customer of result.customers) {
    if (customer.churnDay >= 0) {
      churnDates.set(
        customer.userId,
        new Date(result.world.startMs + customer.churnDay * 86_400_000).toISOString(),
      );
    }
  }
  return { events, profiles, promoEnds, churnDates, start: result.options.start };
}
