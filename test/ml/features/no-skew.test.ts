import { beforeAll, describe, expect, it } from 'vitest';
import {
  addEvent,
  aggregateEvents,
  type DayAggregate,
  dayOf,
  emptyDay,
  mergeAggregates,
  mergeDays,
  reviveDay,
} from '../../../ml/features/day-aggregate.js';
import { computeFeatures, type FeatureVector } from '../../../ml/features/features.js';
import { graphNeighbours } from '../../../ml/features/graph.js';
import type { CustomerHistory, ProfileLike } from '../../../ml/features/history.js';
import { activitySequence } from '../../../ml/features/sequence.js';
import type { Event } from '../../../ml/schema/index.js';
import { type SimulatedStream, seededRandom, shuffle, simulatedStream } from './helpers.js';

type Aggregates = Map<string, Map<string, DayAggregate>>;

const AS_OF_DAYS = ['2025-01-15', '2025-02-01', '2025-03-01', '2025-04-01'];

function histories(aggregates: Aggregates, profiles: readonly ProfileLike[]): CustomerHistory[] {
  return profiles.map((profile) => ({
    userId: profile.user_id,
    profile,
    days: aggregates.get(profile.user_id) ?? new Map<string, DayAggregate>(),
  }));
}

/** Random contiguous batches, as Kinesis delivers them. */
function batches(random: () => number, events: readonly Event[], largest: number): Event[][] {
  const chunks: Event[][] = [];
  for (let start = 0; start < events.length; ) {
    const size = 1 + Math.floor(random() * largest);
    chunks.push(events.slice(start, start + size));
    start += size;
  }
  return chunks;
}

/**
 * What the feature processor does with a batch: fold each customer-day's new events into a
 * fresh day, merge it with the stored item, and store the result as a JSON item.
 */
function applyBatchLikeTheProcessor(store: Map<string, string>, batch: readonly Event[]): void {
  const groups = new Map<string, DayAggregate>();
  for (const event of batch) {
    const key = `${event.user_id}\u0000${dayOf(event.ts)}`;
    let day = groups.get(key);
    if (day === undefined) {
      day = emptyDay();
      groups.set(key, day);
    }
    addEvent(day, event);
  }
  for (const [key, day] of groups) {
    const stored = store.get(key);
    const merged = stored === undefined ? day : mergeDays(reviveDay(JSON.parse(stored)), day);
    store.set(key, JSON.stringify(merged));
  }
}

function fromStore(store: ReadonlyMap<string, string>): Aggregates {
  const aggregates: Aggregates = new Map();
  for (const [key, item] of store) {
    const [userId = '', day = ''] = key.split('\u0000');
    let days = aggregates.get(userId);
    if (days === undefined) {
      days = new Map();
      aggregates.set(userId, days);
    }
    days.set(day, reviveDay(JSON.parse(item)));
  }
  return aggregates;
}

function featuresOf(list: readonly CustomerHistory[], asOf: string): Map<string, FeatureVector> {
  return new Map(list.map((history) => [history.userId, computeFeatures(history, asOf)]));
}

describe('training and serving compute the same features from a simulated stream', () => {
  let stream: SimulatedStream;
  let whole: Aggregates;

  beforeAll(() => {
    stream = simulatedStream(300, 90, 11);
    whole = aggregateEvents(stream.events);
  });

  it('uses a stream with every kind of event', () => {
    expect(stream.events.length).toBeGreaterThan(20_000);
    expect(new Set(stream.events.map((event) => event.type)).size).toBeGreaterThanOrEqual(17);
    expect(whole.size).toBeGreaterThan(250);
  });

  it('gets identical day aggregates from random batches merged in random order', () => {
    const random = seededRandom(42);
    const chunks = shuffle(random, batches(random, stream.events, 5000));
    const merged: Aggregates = new Map();
    for (const chunk of chunks) mergeAggregates(merged, aggregateEvents(chunk));
    expect(merged).toEqual(whole);
  });

  it('gets identical features, sequences and neighbours through the processor path, batches out of order', () => {
    const random = seededRandom(7);
    // Late events: a tenth of the stream arrives again at random places, in place of its own.
    const events = [...stream.events];
    for (let index = 0; index < events.length / 10; index++) {
      const from = Math.floor(random() * events.length);
      const to = Math.floor(random() * events.length);
      const moved = events[from] as Event;
      events[from] = events[to] as Event;
      events[to] = moved;
    }
    const store = new Map<string, string>();
    for (const batch of shuffle(random, batches(random, events, 500)))
      applyBatchLikeTheProcessor(store, batch);
    const online = histories(fromStore(store), stream.profiles);
    const batch = histories(whole, stream.profiles);

    for (const asOf of AS_OF_DAYS) {
      const served = featuresOf(online, asOf);
      const trained = featuresOf(batch, asOf);
      expect(served.size).toBe(300);
      for (const [userId, vector] of trained)
        expect(served.get(userId), `${userId} as of ${asOf}`).toEqual(vector);
    }
    online.forEach((history, index) => {
      const other = batch[index] as CustomerHistory;
      expect(activitySequence(history, '2025-03-15')).toEqual(activitySequence(other, '2025-03-15'));
      expect(graphNeighbours(history, '2025-03-15')).toEqual(graphNeighbours(other, '2025-03-15'));
    });
  });

  it('agrees with the simulator on the end of the partner promo', () => {
    const asOf = '2025-02-15';
    const asOfMs = Date.parse(asOf);
    let checked = 0;
    for (const history of histories(whole, stream.profiles)) {
      const promoEnd = stream.promoEnds.get(history.userId);
      if (promoEnd === undefined || history.profile === undefined || history.profile.registered_at >= asOf)
        continue;
      const features = computeFeatures(history, asOf);
      const daysToEnd = (Date.parse(promoEnd) - asOfMs) / 86_400_000;
      expect(features.is_partner_promo, history.userId).toBe(1);
      expect(features.promo_days_to_end, history.userId).toBe(Math.max(0, daysToEnd));
      expect(features.promo_ended_30d, history.userId).toBe(daysToEnd <= 0 && daysToEnd > -30 ? 1 : 0);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
