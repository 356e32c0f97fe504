import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, aggregateEvents, type DayAggregate } from '../../../ml/features/day-aggregate.js';
import { computeFeatures } from '../../../ml/features/features.js';
import type { CustomerHistory, ProfileLike } from '../../../ml/features/history.js';
import { buildSnapshotRows, historiesFromEvents, type LabelLike } from '../../../ml/features/snapshot.js';
import type { Event } from '../../../ml/schema/index.js';
import { event, type SimulatedStream, seededRandom, simulatedStream } from './helpers.js';

const AS_OF = '2025-03-01';

function profile(userId: string, registeredAt: string): ProfileLike {
  return {
    user_id: userId,
    registered_at: registeredAt,
    plan: 'standard',
    monthly_price: 13.99,
    channel: 'organic',
    country: 'FR',
    device: 'web',
    manager_id: 'mgr-fr-01',
  };
}

const history = (
  userId: string,
  registeredAt?: string,
  days: Record<string, DayAggregate> = {},
): CustomerHistory =>
  registeredAt === undefined ? { userId, days } : { userId, days, profile: profile(userId, registeredAt) };

describe('point in time', () => {
  let stream: SimulatedStream;

  beforeAll(() => {
    stream = simulatedStream(150, 75, 5);
  });

  it('never lets an event on or after asOf change the features as of asOf', () => {
    const random = seededRandom(99);
    for (const asOf of ['2025-02-01', '2025-03-01']) {
      const before = historiesFromEvents(stream.events, stream.profiles, asOf);
      expect(before.length).toBeGreaterThan(100);
      for (const history of before) {
        const expected = computeFeatures(history, asOf);
        // The same customer with all events, plus extra ones from asOf on: identical features.
        const later: Event[] = [
          event({
            user: history.userId,
            ts: `${asOf}T00:00:00Z`,
            type: 'payment_failed',
            properties: { amount: 1, currency: 'EUR', attempt: 1 },
          }),
          event({
            user: history.userId,
            ts: `${asOf}T12:00:00Z`,
            type: 'session_start',
            properties: { device: 'web', minutes: 5 },
          }),
          event({
            user: history.userId,
            ts: `${addDays(asOf, Math.floor(random() * 30))}T08:00:00Z`,
            type: 'cancel_page_view',
          }),
        ];
        const days = aggregateEvents([
          ...stream.events.filter((item) => item.user_id === history.userId),
          ...later,
        ]);
        const full: CustomerHistory = { ...history, days: days.get(history.userId) ?? new Map() };
        expect(computeFeatures(full, asOf), history.userId).toEqual(expected);
      }
    }
  });

  it('keeps only events before asOf and customers registered before it', () => {
    const asOf = '2025-02-01';
    const result = historiesFromEvents(stream.events, stream.profiles, asOf);
    for (const item of result) {
      for (const day of item.days instanceof Map ? item.days.keys() : Object.keys(item.days))
        expect(day < asOf).toBe(true);
      if (item.profile !== undefined) expect(item.profile.registered_at < asOf).toBe(true);
    }
    const registeredLater = stream.profiles.filter((p) => p.registered_at >= asOf).map((p) => p.user_id);
    expect(registeredLater.length).toBeGreaterThan(0);
    const ids = new Set(result.map((item) => item.userId));
    for (const userId of registeredLater) expect(ids.has(userId)).toBe(false);
    expect(result.map((item) => item.userId)).toEqual([...ids].sort());
  });

  it('labels simulated customers by whether they churn within the horizon', () => {
    const asOf = '2025-02-01';
    const labels = new Map<string, LabelLike>(
      stream.profiles.map((p) => [p.user_id, { churn_date: stream.churnDates.get(p.user_id) ?? null }]),
    );
    const rows = buildSnapshotRows({
      histories: historiesFromEvents(stream.events, stream.profiles, asOf),
      asOf,
      horizonDays: 30,
      labels,
    });
    let positives = 0;
    for (const row of rows) {
      const churn = stream.churnDates.get(row.user_id)?.slice(0, 10);
      expect(churn === undefined || churn >= asOf, row.user_id).toBe(true);
      expect(row.label).toBe(churn !== undefined && churn < addDays(asOf, 30) ? 1 : 0);
      positives += row.label ?? 0;
    }
    expect(positives).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(100);
  });
});

describe('buildSnapshotRows', () => {
  const cancelPageViewDay = aggregateEvents([
    event({ user: 'u-no-profile', ts: '2025-02-20T10:00:00Z', type: 'cancel_page_view' }),
  ])
    .get('u-no-profile')
    ?.get('2025-02-20') as DayAggregate;
  const histories = [
    history('u-active', '2024-06-01T10:00:00Z'),
    history('u-churns-first-day', '2024-06-01T10:00:00Z'),
    history('u-churns-last-day', '2024-06-01T10:00:00Z'),
    history('u-churns-after', '2024-06-01T10:00:00Z'),
    history('u-churned-before', '2024-06-01T10:00:00Z'),
    history('u-registers-on-asof', '2025-03-01T08:00:00Z'),
    history('u-registered-day-before', '2025-02-28T23:59:59Z'),
    history('u-unlabelled', '2024-06-01T10:00:00Z'),
    history('u-label-too-early', '2024-06-01T10:00:00Z'),
    history('u-no-profile', undefined, { '2025-02-20': cancelPageViewDay }),
    history('u-no-profile-future', undefined, {}),
  ];
  const labels = new Map<string, LabelLike>([
    ['u-active', { churn_date: null }],
    ['u-churns-first-day', { churn_date: '2025-03-01T00:00:00.000Z' }],
    ['u-churns-last-day', { churn_date: '2025-03-30T00:00:00.000Z' }],
    ['u-churns-after', { churn_date: '2025-03-31T00:00:00.000Z' }],
    ['u-churned-before', { churn_date: '2025-02-28T00:00:00.000Z' }],
    ['u-registers-on-asof', { churn_date: null }],
    ['u-registered-day-before', { churn_date: null, as_of: '2025-03-31T00:00:00Z' }],
    ['u-label-too-early', { churn_date: null, as_of: '2025-03-20T00:00:00Z' }],
    ['u-no-profile', { churn_date: null }],
  ]);
  const rows = buildSnapshotRows({ histories, asOf: AS_OF, horizonDays: 30, labels });
  const labelOf = new Map(rows.map((row) => [row.user_id, row.label]));

  it('includes only customers who were customers at asOf, sorted', () => {
    expect(rows.map((row) => row.user_id)).toEqual([
      'u-active',
      'u-churns-after',
      'u-churns-first-day',
      'u-churns-last-day',
      'u-label-too-early',
      'u-no-profile',
      'u-registered-day-before',
      'u-unlabelled',
    ]);
  });

  it('labels churn dates in [asOf, asOf + horizon) as 1, later or none as 0, unknown as null', () => {
    expect(labelOf.get('u-churns-first-day')).toBe(1);
    expect(labelOf.get('u-churns-last-day')).toBe(1);
    expect(labelOf.get('u-churns-after')).toBe(0);
    expect(labelOf.get('u-active')).toBe(0);
    expect(labelOf.get('u-registered-day-before')).toBe(0);
    expect(labelOf.get('u-unlabelled')).toBeNull();
    expect(labelOf.get('u-label-too-early')).toBeNull();
  });

  it('carries the churn date, the cut-off and the features of that day', () => {
    const row = rows.find((item) => item.user_id === 'u-churns-last-day');
    expect(row).toMatchObject({ as_of: AS_OF, churn_date: '2025-03-30T00:00:00.000Z' });
    expect(row?.features.tenure_days).toBe(273);
    const noProfile = rows.find((item) => item.user_id === 'u-no-profile');
    expect(noProfile?.features.cancel_page_views_14d).toBe(1);
  });

  it('gives null labels to every row without labels', () => {
    const unlabelled = buildSnapshotRows({ histories, asOf: AS_OF, horizonDays: 30 });
    expect(unlabelled.map((row) => row.label)).toEqual(unlabelled.map(() => null));
    expect(unlabelled.length).toBe(9);
  });

  it('rejects a horizon that is not a positive whole number of days', () => {
    expect(() => buildSnapshotRows({ histories, asOf: AS_OF, horizonDays: 0 })).toThrow(/horizonDays/);
  });
});
