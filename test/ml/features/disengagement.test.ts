import { describe, expect, it } from 'vitest';
import { aggregateEvents, type DayAggregate } from '../../../ml/features/day-aggregate.js';
import { DISENGAGEMENT_MODEL } from '../../../ml/features/disengagement.js';
import { computeFeatures } from '../../../ml/features/features.js';
import type { CustomerHistory, ProfileLike } from '../../../ml/features/history.js';
import type { Event } from '../../../ml/schema/index.js';
import { event, seededRandom, shuffle } from './helpers.js';

const AS_OF = '2025-03-01';
const AS_OF_MS = Date.parse(`${AS_OF}T00:00:00Z`);

/** Registered 80 days before asOf. */
const PROFILE: ProfileLike = {
  user_id: 'u-1',
  registered_at: '2024-12-11T10:00:00Z',
  plan: 'standard',
  monthly_price: 9.99,
  channel: 'organic',
  country: 'DE',
  device: 'smart_tv',
  manager_id: 'mgr-de-01',
};

/** The UTC day `age` days before asOf, at `hour`. */
function at(age: number, hour = 20): string {
  return new Date(AS_OF_MS - age * 86_400_000 + hour * 3_600_000).toISOString();
}

/** One session with two plays at the given completion, `age` days before asOf. */
function evening(age: number, completion = 0.8): Event[] {
  return [
    event({ ts: at(age), type: 'session_start', properties: { device: 'smart_tv', minutes: 60 } }),
    ...[1, 2].map(() =>
      event({
        ts: at(age),
        type: 'play',
        properties: { content_id: 'drama-1', genre: 'drama', minutes: 25, completion },
      }),
    ),
  ];
}

/** A session every evening from `from` days before asOf to `to` days before it. */
function everyEvening(from: number, to: number, completion?: number): Event[] {
  const events: Event[] = [];
  for (let age = from; age >= to; age--) events.push(...evening(age, completion));
  return events;
}

function history(events: readonly Event[], profile: ProfileLike = PROFILE): CustomerHistory {
  return { userId: 'u-1', profile, days: aggregateEvents(events).get('u-1') ?? new Map() };
}

function disengagement(events: readonly Event[], profile?: ProfileLike) {
  const features = computeFeatures(history(events, profile), AS_OF);
  return { evidence: features.disengagement_evidence, days: features.disengagement_days };
}

describe('disengagement_evidence and disengagement_days', () => {
  it('are 0 with under 14 days of history, since there is no baseline', () => {
    const profile = { ...PROFILE, registered_at: at(13, 9) };
    expect(disengagement(everyEvening(12, 5), profile)).toEqual({ evidence: 0, days: 0 });
    expect(computeFeatures({ userId: 'u-1', days: {} }, AS_OF)).toMatchObject({
      disengagement_evidence: 0,
      disengagement_days: 0,
    });
  });

  it('equal the closed form for a customer who never did anything', () => {
    // No usage at all: each onset only adds its quiet days' cancel-page term, a * ln(0.975/0.9985).
    const { onsetGrid, exitPerDay, cancelViewShare } = DISENGAGEMENT_MODEL;
    const quiet = Math.log((1 - cancelViewShare.fading) / (1 - cancelViewShare.steady));
    const prior = onsetGrid.map((age, index) => {
      const from = index === 0 ? age - 0.5 : (age + (onsetGrid[index - 1] ?? 0)) / 2;
      const next = onsetGrid[index + 1];
      const to = next === undefined ? 2 * age - from : (age + next) / 2;
      return (to - from) * Math.exp(-exitPerDay * age);
    });
    const weights = prior.map((weight, index) => weight * Math.exp((onsetGrid[index] ?? 0) * quiet));
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    const expected = {
      evidence: Math.log(sum(weights) / sum(prior)),
      days: sum(weights.map((weight, index) => weight * (onsetGrid[index] ?? 0))) / sum(weights),
    };

    const actual = disengagement([]);

    expect(actual.evidence).toBeCloseTo(expected.evidence, 10);
    expect(actual.days).toBeCloseTo(expected.days, 10);
    expect(actual.evidence).toBeLessThan(0);
  });

  it('favour steady use for a customer who keeps their habits', () => {
    const steady = disengagement(everyEvening(79, 1));

    expect(steady.evidence).toBeLessThan(-2);
  });

  it('favour fading once a daily viewer stops, more so the longer, and date the onset near the stop', () => {
    const stoppedEightDaysAgo = disengagement(everyEvening(79, 9));
    const stoppedTwoWeeksAgo = disengagement(everyEvening(79, 15));

    expect(stoppedEightDaysAgo.evidence).toBeGreaterThan(1);
    expect(stoppedEightDaysAgo.days).toBeGreaterThan(6);
    expect(stoppedEightDaysAgo.days).toBeLessThan(12);
    expect(stoppedTwoWeeksAgo.evidence).toBeGreaterThan(stoppedEightDaysAgo.evidence + 3);
    expect(stoppedTwoWeeksAgo.days).toBeGreaterThan(12);
    expect(stoppedTwoWeeksAgo.days).toBeLessThan(18);
  });

  it('read two quiet weeks as far less alarming from a weekly viewer than from a daily one', () => {
    const weekly: Event[] = [];
    for (let age = 77; age >= 15; age -= 7) weekly.push(...evening(age));
    const daily = everyEvening(79, 15);

    expect(disengagement(weekly).evidence).toBeLessThan(1);
    expect(disengagement(weekly).evidence).toBeLessThan(disengagement(daily).evidence - 4);
  });

  it('count falling completion and unopened notifications as fading', () => {
    const notifications = (from: number, to: number, open: boolean): Event[] =>
      Array.from({ length: (from - to) / 2 + 1 }, (_, index) => from - 2 * index).flatMap((age) => [
        event({ ts: at(age, 9), type: 'notification_sent', properties: { campaign: 'c' } }),
        ...(open
          ? [event({ ts: at(age, 10), type: 'notification_opened', properties: { campaign: 'c' } })]
          : []),
      ]);
    const steady = [...everyEvening(79, 1, 0.8), ...notifications(79, 1, true)];
    const fading = [
      ...everyEvening(79, 11, 0.8),
      ...everyEvening(10, 1, 0.3),
      ...notifications(79, 11, true),
      ...notifications(9, 1, false),
    ];

    expect(disengagement(fading).evidence).toBeGreaterThan(disengagement(steady).evidence + 5);
  });

  it('count a cancel-page visit as evidence', () => {
    const usage = everyEvening(79, 1);
    const visit = event({ ts: at(3, 12), type: 'cancel_page_view' });

    const without = disengagement(usage).evidence;
    const withVisit = disengagement([...usage, visit]).evidence;

    expect(withVisit).toBeGreaterThan(without + 1);
  });

  it('read only days before asOf, and at most 90 of them', () => {
    const usage = everyEvening(79, 9);
    const later = [...evening(0), ...evening(-3)];
    const old = { ...PROFILE, registered_at: at(200, 9) };
    const beyond = everyEvening(150, 91);

    expect(disengagement([...usage, ...later])).toEqual(disengagement(usage));
    expect(disengagement([...usage, ...beyond], old)).toEqual(disengagement(usage, old));
  });

  it('do not depend on the order of the days, bit for bit', () => {
    const days = [...(aggregateEvents(everyEvening(79, 20)).get('u-1') ?? new Map()).entries()];
    const scores = [1, 2, 3].map((seed) => {
      const shuffled = shuffle(seededRandom(seed), days);
      const record: Record<string, DayAggregate> = Object.fromEntries(shuffled);
      const fromMap = computeFeatures({ userId: 'u-1', profile: PROFILE, days: new Map(shuffled) }, AS_OF);
      const fromRecord = computeFeatures({ userId: 'u-1', profile: PROFILE, days: record }, AS_OF);
      expect(fromRecord.disengagement_evidence).toBe(fromMap.disengagement_evidence);
      return [fromMap.disengagement_evidence, fromMap.disengagement_days];
    });

    expect(scores[1]).toEqual(scores[0]);
    expect(scores[2]).toEqual(scores[0]);
  });

  it('stay finite and inside their ranges on odd histories', () => {
    // Opens without sends, plays without sessions, zero completion, a burst of cancel visits.
    const odd: Event[] = [
      ...Array.from({ length: 6 }, () =>
        event({ ts: at(5, 10), type: 'notification_opened', properties: { campaign: 'c' } }),
      ),
      event({
        ts: at(30),
        type: 'play',
        properties: { content_id: 'x-1', genre: 'drama', minutes: 0, completion: 0 },
      }),
      ...Array.from({ length: 40 }, () => event({ ts: at(2, 12), type: 'cancel_page_view' })),
      ...Array.from({ length: 200 }, () =>
        event({ ts: at(60), type: 'session_start', properties: { device: 'web', minutes: 1 } }),
      ),
    ];

    const { evidence, days } = disengagement(odd);

    expect(Number.isFinite(evidence)).toBe(true);
    expect(Math.abs(evidence)).toBeLessThanOrEqual(DISENGAGEMENT_MODEL.maxEvidence);
    expect(days).toBeGreaterThanOrEqual(1);
    expect(days).toBeLessThanOrEqual(60);
  });
});
