import { describe, expect, it } from 'vitest';
import { type ContributionInput, REASON_CODES, summariseDrivers } from '../../../ml/explain/index.js';

describe('summariseDrivers', () => {
  const inputs: ContributionInput[] = [
    {
      featureContributions: { failed_payments_30d: 1, failed_payments_90d: 0.5, trend_sessions_14d: -0.25 },
      sequence: { contribution: 0.5, channelEffects: { sessions: 1 } },
      graph: { contribution: -0.25, neighbours: 2, neighboursGone: 0, riskyNeighbours: 0 },
    },
    {
      featureContributions: { failed_payments_30d: -0.5, trend_sessions_14d: 0.75, share_tv_90d: 0.5 },
      sequence: { contribution: 0.25, channelEffects: {} },
    },
  ];

  it('averages |contribution| per reason group (folding in the sequence and graph parts) and per feature', () => {
    const summary = summariseDrivers(inputs);
    expect(summary.customers).toBe(2);
    // payment: +1.5 and -0.5; disengagement: -0.25 + 0.5 and 0.75 + 0.25; other: 0 and 0.5; friends: -0.25 and 0.
    expect(summary.groups.slice(0, 4)).toEqual([
      {
        code: 'payment_failure',
        title: 'Payment problems',
        meanAbsContribution: 1,
        meanContribution: 0.5,
        shareTowardsChurn: 0.5,
      },
      {
        code: 'disengagement',
        title: 'Using the service less',
        meanAbsContribution: 0.625,
        meanContribution: 0.625,
        shareTowardsChurn: 1,
      },
      {
        code: 'other',
        title: 'Other (usage times, device, origin)',
        meanAbsContribution: 0.25,
        meanContribution: 0.25,
        shareTowardsChurn: 0.5,
      },
      {
        code: 'friends_left',
        title: 'Friends left or few connections',
        meanAbsContribution: 0.125,
        meanContribution: -0.125,
        shareTowardsChurn: 0,
      },
    ]);
    // Every group is listed; the ones without evidence come last, in catalogue order.
    expect(summary.groups).toHaveLength(REASON_CODES.length + 1);
    expect(summary.groups[4]?.code).toBe('subscription_cancelled');
    expect(summary.features).toEqual([
      {
        name: 'failed_payments_30d',
        group: 'payment_failure',
        meanAbsContribution: 0.75,
        meanContribution: 0.25,
      },
      {
        name: 'trend_sessions_14d',
        group: 'disengagement',
        meanAbsContribution: 0.5,
        meanContribution: 0.25,
      },
      {
        name: 'failed_payments_90d',
        group: 'payment_failure',
        meanAbsContribution: 0.25,
        meanContribution: 0.25,
      },
      { name: 'share_tv_90d', group: 'other', meanAbsContribution: 0.25, meanContribution: 0.25 },
    ]);
    expect(summary.parts).toEqual([
      { part: 'sequence', customers: 2, meanAbsContribution: 0.375, meanContribution: 0.375 },
      { part: 'graph', customers: 1, meanAbsContribution: 0.25, meanContribution: -0.25 },
    ]);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('nets a group per customer, so features that cancel out do not make it important', () => {
    const summary = summariseDrivers([{ featureContributions: { sessions_7d: 0.5, sessions_14d: -0.5 } }]);
    expect(summary.groups.find((group) => group.code === 'disengagement')?.meanAbsContribution).toBe(0);
    expect(summary.features.map((feature) => feature.meanAbsContribution)).toEqual([0.5, 0.5]);
  });

  it('keeps maxFeatures, skips broken numbers and handles no customers', () => {
    const summary = summariseDrivers(inputs, { maxFeatures: 1 });
    expect(summary.features.map((feature) => feature.name)).toEqual(['failed_payments_30d']);
    const broken = summariseDrivers([{ featureContributions: { tenure_days: Number.NaN, is_cancelled: 1 } }]);
    expect(broken.features.map((feature) => feature.name)).toEqual(['is_cancelled']);
    const empty = summariseDrivers([]);
    expect(empty.customers).toBe(0);
    expect(empty.features).toEqual([]);
    expect(empty.parts).toEqual([]);
    expect(empty.groups.every((group) => group.meanAbsContribution === 0)).toBe(true);
    expect(() => summariseDrivers(inputs, { maxFeatures: -1 })).toThrow(/maxFeatures/);
  });

  it('reads any iterable once', () => {
    function* generated(): Generator<ContributionInput> {
      yield* inputs;
    }
    expect(summariseDrivers(generated())).toEqual(summariseDrivers(inputs));
  });
});
