import { describe, expect, it } from 'vitest';
import { aggregateEvents, type DayAggregate } from '../../../ml/features/day-aggregate.js';
import { buildGraph, graphNeighbours } from '../../../ml/features/graph.js';
import type { CustomerHistory } from '../../../ml/features/history.js';
import { activitySequence, SEQUENCE_CHANNELS } from '../../../ml/features/sequence.js';
import type { Event } from '../../../ml/schema/index.js';
import { event } from './helpers.js';

function historyOf(userId: string, events: readonly Event[], referredBy?: string): CustomerHistory {
  const days = aggregateEvents(events).get(userId) ?? new Map<string, DayAggregate>();
  if (referredBy === undefined) return { userId, days };
  return {
    userId,
    days,
    profile: {
      user_id: userId,
      registered_at: '2024-01-01T00:00:00Z',
      plan: 'basic',
      monthly_price: 8.99,
      channel: 'referral',
      country: 'US',
      device: 'web',
      manager_id: 'mgr-us-01',
      referred_by: referredBy,
    },
  };
}

describe('activitySequence', () => {
  const events = [
    event({ ts: '2025-03-09T20:00:00Z', type: 'session_start', properties: { device: 'web', minutes: 30 } }),
    event({ ts: '2025-03-09T21:00:00Z', type: 'session_start', properties: { device: 'web', minutes: 5 } }),
    event({
      ts: '2025-03-09T20:01:00Z',
      type: 'play',
      properties: { content_id: 'c', genre: 'drama', minutes: 20, completion: 1 },
    }),
    event({ ts: '2025-03-09T20:30:00Z', type: 'buffering', properties: { seconds: 2 } }),
    event({ ts: '2025-03-09T20:40:00Z', type: 'app_crash', properties: {} }),
    event({
      ts: '2025-03-06T04:00:00Z',
      type: 'payment_failed',
      properties: { amount: 9, currency: 'USD', attempt: 1 },
    }),
    event({ ts: '2025-03-06T10:00:00Z', type: 'support_ticket', properties: { topic: 'billing' } }),
    event({ ts: '2025-03-04T10:00:00Z', type: 'cancel_page_view' }),
    event({ ts: '2025-03-03T10:00:00Z', type: 'cancel_page_view' }),
    // On asOf: not part of the sequence.
    event({ ts: '2025-03-10T10:00:00Z', type: 'cancel_page_view' }),
  ];
  const sequence = activitySequence(historyOf('u-1', events), '2025-03-10', 7);
  const row = (index: number) => [...sequence.subarray(index * 6, index * 6 + 6)];

  it('is [days, channels] row-major, oldest day first', () => {
    expect(SEQUENCE_CHANNELS).toEqual([
      'sessions',
      'log1p_play_minutes',
      'plays',
      'failures',
      'support_tickets',
      'cancel_page_views',
    ]);
    expect(sequence).toBeInstanceOf(Float32Array);
    expect(sequence).toHaveLength(7 * SEQUENCE_CHANNELS.length);
    expect(row(0)).toEqual([0, 0, 0, 0, 0, 1]); // 2025-03-03
    expect(row(1)).toEqual([0, 0, 0, 0, 0, 1]); // 2025-03-04
    expect(row(2)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(row(3)).toEqual([0, 0, 0, 1, 1, 0]); // 2025-03-06
    expect(row(4)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(row(5)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(row(6)).toEqual([2, Math.fround(Math.log1p(20)), 1, 2, 0, 0]); // 2025-03-09
  });

  it('covers 90 days by default and no more than the lookback', () => {
    expect(activitySequence(historyOf('u-1', events), '2025-03-10')).toHaveLength(90 * 6);
    expect(() => activitySequence(historyOf('u-1', events), '2025-03-10', 120)).toThrow(
      /days: expected an integer in 1..90/,
    );
  });
});

describe('graph', () => {
  const share = (user: string, ts: string, with_: string) =>
    event({ user, ts, type: 'playlist_shared', properties: { playlist_id: 'p', shared_with: with_ } });
  const refer = (user: string, ts: string, referred: string) =>
    event({ user, ts, type: 'referral', properties: { referred_user_id: referred } });
  const a = historyOf('u-a', [
    share('u-a', '2025-03-01T10:00:00Z', 'u-b'),
    share('u-a', '2025-03-02T10:00:00Z', 'u-b'),
    refer('u-a', '2025-02-01T10:00:00Z', 'u-c'),
    share('u-a', '2025-03-10T10:00:00Z', 'u-late'),
    share('u-a', '2024-10-01T10:00:00Z', 'u-old'),
  ]);
  const b = historyOf('u-b', [share('u-b', '2025-03-03T10:00:00Z', 'u-a')]);
  const c = historyOf('u-c', [], 'u-a');
  const d = historyOf('u-d', [share('u-d', '2025-03-03T10:00:00Z', 'u-e')]);

  it('lists neighbours before asOf, within the lookback, plus the referrer', () => {
    expect(graphNeighbours(a, '2025-03-10')).toEqual(['u-b', 'u-c']);
    expect(graphNeighbours(a, '2025-03-11')).toEqual(['u-b', 'u-c', 'u-late']);
    expect(graphNeighbours(c, '2025-03-10')).toEqual(['u-a']);
  });

  it('builds an undirected, deduplicated graph in a deterministic order', () => {
    const expected = {
      nodes: ['u-a', 'u-b', 'u-c', 'u-d', 'u-e'],
      edges: [
        ['u-a', 'u-b'],
        ['u-a', 'u-c'],
        ['u-d', 'u-e'],
      ],
    };
    expect(buildGraph([a, b, c, d], '2025-03-10')).toEqual(expected);
    expect(buildGraph([d, c, b, a], '2025-03-10')).toEqual(expected);
  });

  it('uses every day without a cut-off', () => {
    expect(buildGraph([a]).edges).toEqual([
      ['u-a', 'u-b'],
      ['u-a', 'u-c'],
      ['u-a', 'u-late'],
      ['u-a', 'u-old'],
    ]);
  });
});
