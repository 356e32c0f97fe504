import { describe, expect, it } from 'vitest';
import {
  addCounters,
  addDays,
  addEvent,
  aggregateEvents,
  DAY_COUNTERS,
  type DayAggregate,
  dayOf,
  emptyDay,
  mergeDays,
  reviveDay,
} from '../../../ml/features/day-aggregate.js';
import type { Event } from '../../../ml/schema/index.js';
import { dayFrom, event, randomEvent, seededRandom, shuffle } from './helpers.js';

const DAYS = ['2025-02-10'];
const USERS = ['u-1'];

function randomDay(random: () => number, events: number): DayAggregate {
  const list: Event[] = [];
  for (let index = 0; index < events; index++) list.push(randomEvent(random, USERS, DAYS));
  return dayFrom(list, addEvent);
}

describe('dayOf', () => {
  it('takes the UTC date of Z and +00:00 timestamps from the text', () => {
    expect(dayOf('2025-03-14T23:59:59Z')).toBe('2025-03-14');
    expect(dayOf('2025-03-14T00:00:00.123+00:00')).toBe('2025-03-14');
  });

  it('converts other offsets to the UTC day', () => {
    expect(dayOf('2025-03-14T01:30:00+02:00')).toBe('2025-03-13');
    expect(dayOf('2025-03-14T23:30:00-02:00')).toBe('2025-03-15');
  });

  it('rejects text that is not a timestamp', () => {
    expect(() => dayOf('yesterday')).toThrow(/ts: expected ISO 8601 timestamp, got "yesterday"/);
  });
});

describe('addDays', () => {
  it('crosses month and leap-year boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(() => addDays('2025-02-30', 1)).toThrow(/calendar day/);
  });
});

describe('addEvent', () => {
  it('counts a session by duration, time-of-day band and device class', () => {
    const day = dayFrom(
      [
        event({
          ts: '2025-02-10T20:15:00Z',
          type: 'session_start',
          properties: { device: 'smart_tv', minutes: 42.5 },
        }),
        event({
          ts: '2025-02-10T07:00:00Z',
          type: 'session_start',
          properties: { device: 'mobile_ios', minutes: 0.01 },
        }),
        event({ ts: '2025-02-10T03:00:00+00:00', type: 'session_start', properties: { device: 'web' } }),
      ],
      addEvent,
    );
    expect(day).toMatchObject({
      events: 3,
      sessions: 3,
      session_seconds: 2550 + 1,
      sessions_night: 1,
      sessions_morning: 1,
      sessions_afternoon: 0,
      sessions_evening: 1,
      sessions_tv: 1,
      sessions_mobile: 1,
      sessions_other: 1,
    });
  });

  it('sums plays in integer units and keeps genres sorted and distinct', () => {
    const play = (genre: string, minutes: number, completion: number) =>
      event({
        ts: '2025-02-10T12:00:00Z',
        type: 'play',
        properties: { content_id: 'c', genre, minutes, completion },
      });
    const day = dayFrom(
      [play('drama', 25.5, 0.82), play('comedy', 10, 0.5), play('drama', 1, 0.01)],
      addEvent,
    );
    expect(day.plays).toBe(3);
    expect(day.play_seconds).toBe(1530 + 600 + 60);
    expect(day.completion_permille).toBe(820 + 500 + 10);
    expect(day.genres).toEqual(['comedy', 'drama']);
  });

  it('keeps money in cents, CSAT only when given, and neighbours without the customer', () => {
    const day = dayFrom(
      [
        event({
          ts: '2025-02-10T04:00:00Z',
          type: 'payment_succeeded',
          properties: { amount: 8.99, currency: 'EUR', attempt: 1 },
        }),
        event({
          ts: '2025-02-10T04:00:00Z',
          type: 'payment_failed',
          properties: { amount: 8.99, currency: 'EUR', attempt: 1 },
        }),
        event({
          ts: '2025-02-10T10:00:00Z',
          type: 'support_ticket',
          properties: { topic: 'billing', csat: 2 },
        }),
        event({ ts: '2025-02-10T11:00:00Z', type: 'support_ticket', properties: { topic: 'account' } }),
        event({ ts: '2025-02-10T12:00:00Z', type: 'referral', properties: { referred_user_id: 'u-9' } }),
        event({ ts: '2025-02-10T12:00:00Z', type: 'playlist_shared', properties: { shared_with: 'u-3' } }),
        event({ ts: '2025-02-10T12:00:00Z', type: 'playlist_shared', properties: { shared_with: 'u-1' } }),
        event({ ts: '2025-02-10T12:00:00Z', type: 'playlist_shared', properties: {} }),
        event({ ts: '2025-02-10T13:00:00Z', type: 'buffering', properties: { seconds: 3.4 } }),
      ],
      addEvent,
    );
    expect(day).toMatchObject({
      payments_ok: 1,
      paid_cents: 899,
      payments_failed: 1,
      support_tickets: 2,
      csat_sum: 2,
      csat_count: 1,
      referrals: 1,
      playlists_shared: 3,
      neighbours: ['u-3', 'u-9'],
      buffering_events: 1,
      buffering_ms: 3400,
    });
  });

  it('keeps the latest plan and state whatever the arrival order, and the furthest paid_until', () => {
    const renewed = event({
      ts: '2025-02-10T04:00:00Z',
      type: 'subscription_renewed',
      properties: { plan: 'premium', paid_until: '2025-03-10T00:00:00Z' },
    });
    const started = event({
      ts: '2025-02-10T02:00:00Z',
      type: 'subscription_started',
      properties: { plan: 'basic', monthly_price: 4.5 },
    });
    const cancelled = event({
      ts: '2025-02-10T09:00:00Z',
      type: 'subscription_cancelled',
      properties: { reason: 'payment_failed', paid_until: '2025-02-10T00:00:00Z' },
    });
    for (const order of [
      [started, renewed, cancelled],
      [cancelled, renewed, started],
    ]) {
      const day = dayFrom(order, addEvent);
      expect(day.plan).toEqual({ value: 'premium', ts: '2025-02-10T04:00:00Z' });
      expect(day.monthly_price).toEqual({ value: 4.5, ts: '2025-02-10T02:00:00Z' });
      expect(day.subscription_state).toEqual({ value: 'cancelled', ts: '2025-02-10T09:00:00Z' });
      expect(day.paid_until).toBe('2025-03-10T00:00:00Z');
    }
  });

  it("counts a duplicate twice (dropping repeated event ids is the caller's job)", () => {
    const cancel = event({ ts: '2025-02-10T09:00:00Z', type: 'cancel_page_view', id: 'same' });
    expect(dayFrom([cancel, cancel], addEvent).cancel_page_views).toBe(2);
  });
});

describe('mergeDays', () => {
  it('is associative and commutative, exactly, with emptyDay as neutral element', () => {
    const random = seededRandom(20250210);
    for (let trial = 0; trial < 300; trial++) {
      const a = randomDay(random, Math.floor(random() * 12));
      const b = randomDay(random, Math.floor(random() * 12));
      const c = randomDay(random, Math.floor(random() * 12));
      const before = JSON.stringify([a, b, c]);
      expect(mergeDays(a, mergeDays(b, c))).toEqual(mergeDays(mergeDays(a, b), c));
      expect(mergeDays(a, b)).toEqual(mergeDays(b, a));
      expect(mergeDays(a, emptyDay())).toEqual(a);
      expect(JSON.stringify([a, b, c])).toBe(before);
    }
  });

  it('equals folding all events into one day, in any split and any order', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 100; trial++) {
      const events: Event[] = [];
      for (let index = 0; index < 40; index++) events.push(randomEvent(random, USERS, DAYS));
      const whole = dayFrom(events, addEvent);
      const shuffled = shuffle(random, events);
      const cut = Math.floor(random() * shuffled.length);
      const merged = mergeDays(
        dayFrom(shuffled.slice(cut), addEvent),
        dayFrom(shuffled.slice(0, cut), addEvent),
      );
      expect(merged).toEqual(whole);
    }
  });

  it('returns a day that shares no list with its inputs', () => {
    const a = dayFrom(
      [
        event({
          ts: '2025-02-10T12:00:00Z',
          type: 'play',
          properties: { content_id: 'c', genre: 'drama', minutes: 1, completion: 1 },
        }),
      ],
      addEvent,
    );
    const merged = mergeDays(a, emptyDay());
    addEvent(
      merged,
      event({
        ts: '2025-02-10T13:00:00Z',
        type: 'play',
        properties: { content_id: 'c', genre: 'anime', minutes: 1, completion: 1 },
      }),
    );
    expect(a.genres).toEqual(['drama']);
    expect(merged.genres).toEqual(['anime', 'drama']);
  });
});

describe('aggregateEvents', () => {
  it('groups by customer and UTC day', () => {
    const customers = aggregateEvents([
      event({ user: 'u-1', ts: '2025-02-10T23:59:59Z', type: 'cancel_page_view' }),
      event({ user: 'u-2', ts: '2025-02-10T10:00:00Z', type: 'cancel_page_view' }),
      event({ user: 'u-1', ts: '2025-02-11T00:00:00Z', type: 'cancel_page_view' }),
      event({ user: 'u-1', ts: '2025-02-10T01:00:00Z', type: 'cancel_page_view' }),
    ]);
    expect([...customers.keys()]).toEqual(['u-1', 'u-2']);
    expect(customers.get('u-1')?.get('2025-02-10')?.cancel_page_views).toBe(2);
    expect(customers.get('u-1')?.get('2025-02-11')?.cancel_page_views).toBe(1);
    expect(customers.get('u-2')?.get('2025-02-10')?.cancel_page_views).toBe(1);
  });
});

describe('reviveDay', () => {
  it('round-trips through JSON (a DynamoDB item) unchanged', () => {
    const random = seededRandom(3);
    const day = randomDay(random, 60);
    expect(reviveDay(JSON.parse(JSON.stringify(day)))).toEqual(day);
  });

  it('fills counters an older item lacks and names a broken field', () => {
    const revived = reviveDay({ sessions: 2, genres: ['drama'] });
    expect(revived.sessions).toBe(2);
    expect(revived.plays).toBe(0);
    expect(Object.keys(revived)).toEqual(Object.keys(emptyDay()));
    expect(() => reviveDay({ sessions: '2' })).toThrow('day aggregate: sessions must be an integer');
    expect(() => reviveDay({ plan: { value: 3 } })).toThrow(
      'day aggregate: plan must be null or { value, ts }',
    );
  });

  it('adds every counter in addCounters', () => {
    const source = emptyDay();
    DAY_COUNTERS.forEach((counter, index) => {
      source[counter] = index + 1;
    });
    const target = emptyDay();
    addCounters(target, source);
    addCounters(target, source);
    DAY_COUNTERS.forEach((counter, index) => {
      expect(target[counter], counter).toBe(2 * (index + 1));
    });
  });

  it('lists every counter in DAY_COUNTERS', () => {
    const counters = Object.entries(emptyDay())
      .filter(([, value]) => typeof value === 'number')
      .map(([key]) => key);
    expect(counters).toEqual([...DAY_COUNTERS]);
  });
});
