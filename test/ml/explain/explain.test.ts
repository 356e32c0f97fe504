import { describe, expect, it } from 'vitest';
import {
  type ExplanationInput,
  explainChurnRisk,
  REASON_CODES,
  RETENTION_ACTIONS,
  type ReasonCodeName,
  type RetentionAction,
} from '../../../ml/explain/index.js';
import type { FeatureVector } from '../../../ml/features/index.js';
import { customer, steadyCustomer } from './helpers.js';

interface Case {
  readonly name: string;
  readonly input: ExplanationInput;
  readonly options?: { typicalMonthlyPrice?: number };
  readonly code: ReasonCodeName;
  readonly text: string;
  readonly action: RetentionAction;
}

const CASES: readonly Case[] = [
  {
    name: 'a cancellation with access ending',
    input: customer(
      { is_cancelled: 1, subscriptions_cancelled_90d: 1, days_to_paid_until: 6 },
      { is_cancelled: 1.4, days_to_paid_until: 0.3 },
    ),
    code: 'subscription_cancelled',
    text: 'cancelled; access ends in 6 days',
    action: 'winback_offer',
  },
  {
    name: 'a cancellation whose access has ended',
    input: customer({ is_cancelled: 1, days_to_paid_until: -3 }, { is_cancelled: 2 }),
    code: 'subscription_cancelled',
    text: 'cancelled; access ended 3 days ago',
    action: 'winback_offer',
  },
  {
    name: 'a paid period that ran out without a renewal',
    input: customer({ days_to_paid_until: -5 }, { days_to_paid_until: 0.9 }),
    code: 'subscription_cancelled',
    text: 'paid period ended 5 days ago, not renewed',
    action: 'winback_offer',
  },
  {
    name: 'cancel page visits',
    input: customer({ cancel_page_views_14d: 3, cancel_page_views_30d: 4 }, { cancel_page_views_14d: 0.8 }),
    code: 'cancel_intent',
    text: 'visited the cancel page 3 times in 2 weeks',
    action: 'winback_offer',
  },
  {
    name: 'failed payments',
    input: customer(
      { failed_payments_30d: 3, failed_payments_90d: 3, days_since_last_failed_payment: 4 },
      { failed_payments_30d: 0.9, days_since_last_failed_payment: 0.2 },
    ),
    code: 'payment_failure',
    text: '3 failed payments in 30 days',
    action: 'payment_reminder',
  },
  {
    name: 'a promotion about to end',
    input: customer(
      { is_partner_promo: 1, promo_days_to_end: 9, tenure_days: 82, monthly_price: 6.99 },
      { promo_days_to_end: 0.7, is_partner_promo: 0.1 },
    ),
    code: 'promo_ending',
    text: 'promo ends in 9 days',
    action: 'loyalty_offer',
  },
  {
    name: 'a promotion that ended (the discount lasts 3 months, about 91 days)',
    input: customer({ is_partner_promo: 1, promo_ended_30d: 1, tenure_days: 103 }, { promo_ended_30d: 0.6 }),
    code: 'promo_ending',
    text: 'promo ended about 12 days ago; now pays full price',
    action: 'loyalty_offer',
  },
  {
    name: 'a price above the typical one',
    input: customer({ monthly_price: 17.99, plan: 'premium' }, { monthly_price: 0.4 }),
    options: { typicalMonthlyPrice: 11.5 },
    code: 'price',
    text: 'price above average (17.99 vs 11.50 a month)',
    action: 'loyalty_offer',
  },
  {
    name: 'a price without a typical one to compare with',
    input: customer({ monthly_price: 17.99, plan: 'premium' }, { monthly_price: 0.4, plan: 0.1 }),
    code: 'price',
    text: 'pays 17.99 a month (premium plan)',
    action: 'loyalty_offer',
  },
  {
    name: 'falling activity and a gap since the last session',
    input: customer(
      { trend_sessions_14d: 0.3, days_since_last_session: 12, sessions_7d: 0, active_days_7d: 0 },
      { trend_sessions_14d: 0.6, sessions_7d: 0.2, days_since_last_session: 0.3 },
    ),
    code: 'disengagement',
    text: 'activity down 70% in 2 weeks; no session for 12 days',
    action: 'content_recommendation',
  },
  {
    name: 'unopened notifications',
    input: customer(
      { notifications_sent_30d: 12, notification_open_rate_30d: 1 / 12 },
      { notification_open_rate_30d: 0.3 },
    ),
    code: 'disengagement',
    text: 'opened 1 of 12 notifications in 30 days',
    action: 'content_recommendation',
  },
  {
    name: 'few genres',
    input: customer({ distinct_genres_30d: 1 }, { distinct_genres_30d: 0.35 }),
    code: 'content_fit',
    text: 'watches few genres (1 in 30 days)',
    action: 'content_recommendation',
  },
  {
    name: 'searches that find nothing',
    input: customer({ searches_30d: 10, search_no_result_rate_30d: 0.4 }, { search_no_result_rate_30d: 0.3 }),
    code: 'content_fit',
    text: 'searches often find nothing (4 of 10 in 30 days)',
    action: 'content_recommendation',
  },
  {
    name: 'buffering',
    input: customer({ buffering_per_session_30d: 0.8 }, { buffering_per_session_30d: 0.5 }),
    code: 'streaming_quality',
    text: 'frequent buffering (0.8 per session)',
    action: 'quality_fix',
  },
  {
    name: 'app crashes',
    input: customer({ crashes_per_session_30d: 0.25 }, { crashes_per_session_30d: 0.5 }),
    code: 'streaming_quality',
    text: 'frequent app crashes (0.25 per session)',
    action: 'quality_fix',
  },
  {
    name: 'a bad support experience',
    input: customer(
      { support_tickets_30d: 2, support_tickets_90d: 2, mean_csat_90d: 1.5 },
      { mean_csat_90d: 0.6, support_tickets_30d: 0.2 },
    ),
    code: 'dissatisfied',
    text: 'unhappy with support (CSAT 1.5); 2 support tickets in 30 days',
    action: 'support_call',
  },
  {
    name: 'a low store rating',
    input: customer({ reviews_90d: 1, mean_rating_90d: 1 }, { mean_rating_90d: 0.4 }),
    code: 'dissatisfied',
    text: 'low store rating (1 of 5)',
    action: 'support_call',
  },
  {
    name: 'friends who left',
    input: customer(
      {},
      {},
      { graph: { contribution: 0.9, neighbours: 4, neighboursGone: 2, riskyNeighbours: 1 } },
    ),
    code: 'friends_left',
    text: '2 friends left; 1 friend at risk of leaving too',
    action: 'referral_perk',
  },
  {
    name: 'no connections',
    input: customer({ graph_neighbours: 0, playlists_shared_90d: 0 }, { graph_neighbours: 0.2 }),
    code: 'friends_left',
    text: 'no connections to other customers',
    action: 'referral_perk',
  },
  {
    name: 'a new customer',
    input: customer({ tenure_days: 23 }, { tenure_days: 0.5 }),
    code: 'new_customer',
    text: 'new customer (23 days)',
    action: 'content_recommendation',
  },
];

describe('explainChurnRisk', () => {
  it.each(CASES)('states $name from its values', ({ input, options, code, text, action }) => {
    const explanation = explainChurnRisk(input, options);
    expect(explanation.reasons).toHaveLength(1);
    expect(explanation.reasons[0]).toMatchObject({ code, text, action });
    expect(explanation.action).toBe(action);
    expect(explanation.actionText).toBe(RETENTION_ACTIONS.find((entry) => entry.action === action)?.title);
  });

  it('sums the positive contributions of a reason and lists its features strongest first', () => {
    const explanation = explainChurnRisk(
      customer(
        { failed_payments_30d: 2, failed_payments_90d: 2, days_since_last_failed_payment: 9 },
        { failed_payments_30d: 0.5, failed_payments_90d: 0.25, days_since_last_failed_payment: 0.125 },
      ),
    );
    expect(explanation.reasons).toEqual([
      {
        code: 'payment_failure',
        text: '2 failed payments in 30 days',
        weight: 0.875,
        action: 'payment_reminder',
        features: ['failed_payments_30d', 'failed_payments_90d', 'days_since_last_failed_payment'],
      },
    ]);
  });

  it('gives no reason for a feature whose contribution is negative', () => {
    const explanation = explainChurnRisk(
      customer(
        { failed_payments_30d: 3, failed_payments_90d: 3, cancel_page_views_14d: 2 },
        {
          failed_payments_30d: -0.8,
          failed_payments_90d: 0.05,
          cancel_page_views_14d: -0.4,
          tenure_days: -1,
        },
      ),
      { minWeight: 0.1 },
    );
    expect(explanation.reasons).toEqual([]);
    expect(explanation.action).toBe('no_action');
    expect(explanation.actionText).toBe('No action needed');
  });

  it('leaves a negative contribution out of its reason', () => {
    const [reason] = explainChurnRisk(
      customer(
        { trend_sessions_14d: 0.4 },
        { trend_sessions_14d: 0.5, sessions_90d: -0.3, active_days_30d: 0.25 },
      ),
    ).reasons;
    expect(reason?.weight).toBe(0.75);
    expect(reason?.features).toEqual(['trend_sessions_14d', 'active_days_30d']);
  });

  it('ranks reasons by weight, keeps at most maxReasons and acts on the top one', () => {
    const input = customer(
      {
        failed_payments_30d: 1,
        cancel_page_views_14d: 1,
        buffering_per_session_30d: 0.4,
        tenure_days: 40,
        distinct_genres_30d: 2,
      },
      {
        failed_payments_30d: 0.4,
        cancel_page_views_14d: 1.1,
        buffering_per_session_30d: 0.7,
        tenure_days: 0.2,
        distinct_genres_30d: 0.15,
      },
    );
    const explanation = explainChurnRisk(input);
    expect(explanation.reasons.map((reason) => reason.code)).toEqual([
      'cancel_intent',
      'streaming_quality',
      'payment_failure',
    ]);
    expect(explanation.action).toBe('winback_offer');
    expect(explainChurnRisk(input, { maxReasons: 5 }).reasons.map((reason) => reason.code)).toEqual([
      'cancel_intent',
      'streaming_quality',
      'payment_failure',
      'new_customer',
      'content_fit',
    ]);
    expect(explainChurnRisk(input, { maxReasons: 1 }).reasons).toHaveLength(1);
    const actionOnly = explainChurnRisk(input, { maxReasons: 0 });
    expect(actionOnly.reasons).toEqual([]);
    expect(actionOnly.action).toBe('winback_offer');
  });

  it('breaks ties between equal weights by the catalogue order', () => {
    const explanation = explainChurnRisk(
      customer({ tenure_days: 30, failed_payments_30d: 1 }, { tenure_days: 0.5, failed_payments_30d: 0.5 }),
    );
    expect(explanation.reasons.map((reason) => reason.code)).toEqual(['payment_failure', 'new_customer']);
  });

  it('drops reasons below minWeight and says no_action when none is left', () => {
    const input = customer({ tenure_days: 30 }, { tenure_days: 0.06 });
    expect(explainChurnRisk(input).action).toBe('no_action');
    expect(explainChurnRisk(input, { minWeight: 0.05 }).reasons.map((reason) => reason.code)).toEqual([
      'new_customer',
    ]);
  });

  it('claims nothing the values do not support', () => {
    // The model pushes the score up on the session trend, but the trend is up: no "activity down".
    const rising = explainChurnRisk(customer({ trend_sessions_14d: 1.6 }, { trend_sessions_14d: 0.9 }));
    expect(rising.reasons).toEqual([]);
    // A long tenure that adds risk has no plain statement: no "new customer".
    expect(explainChurnRisk(customer({ tenure_days: 700 }, { tenure_days: 0.8 })).reasons).toEqual([]);
    // CSAT 0 means no rating, not an unhappy customer.
    expect(explainChurnRisk(customer({ mean_csat_90d: 0 }, { mean_csat_90d: 0.5 })).reasons).toEqual([]);
  });

  it('picks the phrasing from the value', () => {
    const text = (changes: Partial<FeatureVector>, contributions: Record<string, number>) =>
      explainChurnRisk(customer(changes, contributions)).reasons[0]?.text;
    expect(text({ buffering_per_session_30d: 0.2 }, { buffering_per_session_30d: 0.3 })).toBe(
      'buffering (0.2 per session)',
    );
    expect(text({ days_since_last_session: 91 }, { days_since_last_session: 0.3 })).toBe(
      'no session in the last 90 days',
    );
    expect(text({ promo_days_to_end: 1, is_partner_promo: 1 }, { promo_days_to_end: 0.3 })).toBe(
      'promo ends tomorrow',
    );
    expect(text({ is_cancelled: 1, paid_until_known: 0, days_to_paid_until: 0 }, { is_cancelled: 1 })).toBe(
      'cancelled',
    );
    expect(text({ cancel_page_views_14d: 1 }, { cancel_page_views_14d: 0.3 })).toBe(
      'visited the cancel page once in 2 weeks',
    );
    expect(text({ failed_payments_30d: 1 }, { failed_payments_30d: 0.3 })).toBe(
      '1 failed payment in 30 days',
    );
    expect(text({ trend_minutes_30d: 0.5 }, { trend_minutes_30d: 0.3 })).toBe(
      'watch time down 50% over the last month',
    );
  });

  it('uses the statement whose features carry the weight', () => {
    const text = explainChurnRisk(
      customer(
        { trend_sessions_14d: 0.5, trend_minutes_30d: 0.2, completion_rate_30d: 0.25 },
        { trend_sessions_14d: 0.1, trend_minutes_30d: 0.2, completion_rate_30d: 0.6 },
      ),
    ).reasons[0]?.text;
    expect(text).toBe('watches 25% of a title on average; watch time down 80% over the last month');
  });

  it('is safe with NaN, infinite and missing values', () => {
    const nan = Number.NaN;
    const explanation = explainChurnRisk({
      features: {
        failed_payments_30d: nan,
        buffering_per_session_30d: Number.POSITIVE_INFINITY,
        tenure_days: 12,
      },
      featureContributions: {
        failed_payments_30d: 0.9,
        buffering_per_session_30d: 0.8,
        tenure_days: 0.4,
        cancel_page_views_14d: nan,
        is_cancelled: Number.POSITIVE_INFINITY,
      },
      sequence: { contribution: nan, channelEffects: { sessions: nan } },
      graph: { contribution: nan, neighbours: nan, neighboursGone: nan, riskyNeighbours: nan },
    });
    expect(explanation.reasons.map((reason) => [reason.code, reason.text, reason.weight])).toEqual([
      ['new_customer', 'new customer (12 days)', 0.4],
    ]);
    expect(explainChurnRisk({ features: {}, featureContributions: {} })).toEqual({
      reasons: [],
      action: 'no_action',
      actionText: 'No action needed',
    });
  });

  it('does not depend on the key order of its records', () => {
    const contributions: [string, number][] = [
      ['trend_sessions_14d', 0.1],
      ['sessions_7d', 0.2],
      ['failed_payments_30d', 0.3],
      ['cancel_page_views_14d', 0.3],
      ['tenure_days', 0.1],
      ['share_tv_90d', 0.4],
    ];
    const changes = {
      trend_sessions_14d: 0.5,
      failed_payments_30d: 1,
      cancel_page_views_14d: 1,
      tenure_days: 20,
    };
    const forwards = explainChurnRisk(customer(changes, Object.fromEntries(contributions)), {
      maxReasons: 5,
    });
    const backwards = explainChurnRisk(customer(changes, Object.fromEntries([...contributions].reverse())), {
      maxReasons: 5,
    });
    expect(backwards).toEqual(forwards);
    // Features outside every reason (time of day, device) never become a reason.
    expect(forwards.reasons.flatMap((reason) => reason.features)).not.toContain('share_tv_90d');
  });

  it('rejects options it cannot honour', () => {
    const input = customer({}, {});
    expect(() => explainChurnRisk(input, { maxReasons: -1 })).toThrow(/maxReasons must be an integer >= 0/);
    expect(() => explainChurnRisk(input, { maxReasons: 1.5 })).toThrow(/maxReasons/);
    expect(() => explainChurnRisk(input, { minWeight: Number.NaN })).toThrow(/minWeight/);
  });

  it('finds nothing to say about a steady customer with small contributions', () => {
    const contributions = Object.fromEntries(Object.keys(steadyCustomer()).map((name) => [name, 0.01]));
    expect(explainChurnRisk({ features: steadyCustomer(), featureContributions: contributions }).action).toBe(
      'no_action',
    );
  });
});

describe('sequence and graph parts', () => {
  it('shares the sequence part out by channel effects', () => {
    const explanation = explainChurnRisk(
      customer(
        { trend_sessions_14d: 0.5, cancel_page_views_14d: 2 },
        {},
        {
          sequence: {
            contribution: 1,
            channelEffects: { sessions: 0.5, plays: 0.25, cancel_page_views: 0.25, support_tickets: -0.2 },
          },
        },
      ),
    );
    expect(explanation.reasons.map((reason) => [reason.code, reason.weight, reason.features])).toEqual([
      ['disengagement', 0.75, ['sequence']],
      ['cancel_intent', 0.25, ['sequence']],
    ]);
    expect(explanation.reasons[0]?.text).toBe('activity down 50% in 2 weeks');
  });

  it('folds the sequence part into disengagement when it has no channel effects', () => {
    const [reason] = explainChurnRisk(
      customer(
        { days_since_last_session: 20 },
        { days_since_last_session: 0.5 },
        { sequence: { contribution: 0.25, channelEffects: {} } },
      ),
    ).reasons;
    expect(reason).toMatchObject({
      code: 'disengagement',
      weight: 0.75,
      features: ['days_since_last_session', 'sequence'],
      text: 'no session for 20 days',
    });
  });

  it('gives the failures channel to the reason the tabular evidence points at', () => {
    const explanation = explainChurnRisk(
      customer(
        { failed_payments_30d: 2, buffering_per_session_30d: 0.1 },
        { failed_payments_30d: 0.5 },
        { sequence: { contribution: 0.5, channelEffects: { failures: 1 } } },
      ),
    );
    expect(explanation.reasons.map((reason) => [reason.code, reason.weight])).toEqual([
      ['payment_failure', 1],
    ]);
  });

  it('ignores a sequence part that lowers the risk', () => {
    const explanation = explainChurnRisk(
      customer(
        { trend_sessions_14d: 0.5 },
        { trend_sessions_14d: 0.2 },
        { sequence: { contribution: -0.8, channelEffects: { sessions: -0.8 } } },
      ),
    );
    expect(explanation.reasons.map((reason) => reason.weight)).toEqual([0.2]);
  });

  it('folds the graph part into friends_left with the neighbourhood facts', () => {
    const [reason] = explainChurnRisk(
      customer(
        { referrals_90d: 2, graph_neighbours: 3 },
        { referrals_90d: 0.25 },
        { graph: { contribution: 0.5, neighbours: 3, neighboursGone: 1, riskyNeighbours: 0 } },
      ),
    ).reasons;
    expect(reason).toEqual({
      code: 'friends_left',
      text: '1 friend left',
      weight: 0.75,
      action: 'referral_perk',
      features: ['graph', 'referrals_90d'],
    });
  });
});

describe('the catalogue', () => {
  it('maps every reason to a known action, once each', () => {
    const actions = new Set(RETENTION_ACTIONS.map((entry) => entry.action));
    expect(actions.size).toBe(RETENTION_ACTIONS.length);
    expect(new Set(REASON_CODES.map((reason) => reason.code)).size).toBe(REASON_CODES.length);
    for (const reason of REASON_CODES) expect(actions.has(reason.action)).toBe(true);
    expect(actions.has('no_action')).toBe(true);
  });
});
