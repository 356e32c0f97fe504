import { describe, expect, it } from 'vitest';
import { aggregateEvents } from '../../../ml/features/day-aggregate.js';
import {
  activitySegment,
  computeFeatures,
  FEATURE_DEFINITIONS,
  FEATURE_NAMES,
  featureVectorToRow,
  NEVER_DAYS,
  PARTNER_PROMO,
  rfmSegment,
} from '../../../ml/features/features.js';
import type { CustomerHistory, ProfileLike } from '../../../ml/features/history.js';
import type { Event } from '../../../ml/schema/index.js';
import { PARTNER_PROMO_CHANNEL, PROMO_MONTHS } from '../../../ml/simulate/catalog.js';
import { event } from './helpers.js';

const AS_OF = '2025-03-01';

const PROFILE: ProfileLike = {
  user_id: 'u-1',
  registered_at: '2024-12-10T14:00:00Z',
  plan: 'standard',
  monthly_price: 8.99,
  channel: 'partner_promo',
  country: 'DE',
  device: 'smart_tv',
  manager_id: 'mgr-de-01',
  referred_by: 'u-9',
  loyalty_tier: 'gold',
};

const session = (ts: string, minutes: number, device = 'smart_tv') =>
  event({ ts, type: 'session_start', properties: { device, minutes } });
const play = (ts: string, genre: string, minutes: number, completion: number) =>
  event({ ts, type: 'play', properties: { content_id: `${genre}-1`, genre, minutes, completion } });
const payment = (ts: string, ok: boolean, amount = 4.5) =>
  event({
    ts,
    type: ok ? 'payment_succeeded' : 'payment_failed',
    properties: { amount, currency: 'EUR', attempt: 1 },
  });

/** Ages are days before 2025-03-01: 02-28 is 1, 02-25 is 4, 02-22 is 7, 02-10 is 19, 01-20 is 40. */
const EVENTS: Event[] = [
  session('2025-02-28T20:00:00Z', 30),
  session('2025-02-28T07:30:00Z', 10, 'mobile_ios'),
  play('2025-02-28T20:01:00Z', 'drama', 25, 0.8),
  play('2025-02-28T07:31:00Z', 'comedy', 10, 0.5),
  event({ ts: '2025-02-28T20:10:00Z', type: 'buffering', properties: { seconds: 4 } }),
  session('2025-02-25T22:00:00Z', 60),
  play('2025-02-25T22:01:00Z', 'drama', 50, 1),
  event({ ts: '2025-02-25T22:59:00Z', type: 'app_crash', properties: { device: 'smart_tv' } }),
  session('2025-02-10T13:00:00Z', 45),
  play('2025-02-10T13:01:00Z', 'crime', 45, 0.9),
  session('2025-01-20T20:00:00Z', 20),
  session('2025-01-20T21:00:00Z', 20),
  session('2025-01-20T22:00:00Z', 20),
  play('2025-01-20T20:01:00Z', 'kids', 20, 1),
  play('2025-01-20T21:01:00Z', 'kids', 20, 1),
  play('2025-01-20T22:01:00Z', 'anime', 20, 1),
  payment('2025-02-20T04:00:00Z', false),
  payment('2025-02-22T04:00:00Z', false),
  payment('2025-02-24T04:00:00Z', true),
  event({
    ts: '2025-02-24T04:00:02Z',
    type: 'subscription_renewed',
    properties: { plan: 'basic', paid_until: '2025-03-10T00:00:00Z' },
  }),
  payment('2025-01-10T04:00:00Z', true),
  event({ ts: '2025-02-27T18:00:00Z', type: 'cancel_page_view' }),
  event({ ts: '2025-02-21T10:00:00Z', type: 'support_ticket', properties: { topic: 'billing', csat: 2 } }),
  event({ ts: '2025-01-05T10:00:00Z', type: 'support_ticket', properties: { topic: 'account', csat: 4 } }),
  event({ ts: '2025-02-03T09:00:00Z', type: 'notification_sent', properties: { campaign: 'c' } }),
  event({ ts: '2025-02-12T09:00:00Z', type: 'notification_sent', properties: { campaign: 'c' } }),
  event({ ts: '2025-02-12T10:00:00Z', type: 'notification_opened', properties: { campaign: 'c' } }),
  event({ ts: '2025-02-19T09:00:00Z', type: 'notification_sent', properties: { campaign: 'c' } }),
  event({ ts: '2025-02-26T09:00:00Z', type: 'notification_sent', properties: { campaign: 'c' } }),
  event({ ts: '2025-01-15T12:00:00Z', type: 'referral', properties: { referred_user_id: 'u-7' } }),
  event({ ts: '2025-02-26T12:00:00Z', type: 'playlist_shared', properties: { shared_with: 'u-8' } }),
  // On and after asOf, and older than the 90-day lookback: never counted.
  session('2025-03-01T00:00:00Z', 99),
  payment('2025-03-01T04:00:00Z', false),
  session('2024-11-30T20:00:00Z', 99),
  event({ ts: '2024-11-30T12:00:00Z', type: 'playlist_shared', properties: { shared_with: 'u-6' } }),
];

function historyOf(events: readonly Event[], profile?: ProfileLike): CustomerHistory {
  const days = aggregateEvents(events).get('u-1') ?? new Map();
  return profile === undefined ? { userId: 'u-1', days } : { userId: 'u-1', days, profile };
}

describe('computeFeatures on a hand-made history', () => {
  const features = computeFeatures(historyOf(EVENTS, PROFILE), AS_OF);

  it('counts activity in rolling windows before asOf', () => {
    expect(features).toMatchObject({
      sessions_7d: 3,
      sessions_14d: 3,
      sessions_30d: 4,
      sessions_90d: 7,
      session_minutes_7d: 100,
      session_minutes_30d: 145,
      session_minutes_90d: 205,
      plays_7d: 3,
      plays_30d: 4,
      plays_90d: 7,
      play_minutes_7d: 85,
      play_minutes_90d: 190,
      active_days_7d: 2,
      active_days_14d: 2,
      active_days_30d: 3,
      active_days_90d: 4,
      days_since_last_session: 1,
      minutes_per_session_30d: 145 / 4,
    });
  });

  it('computes trends as smoothed ratios of daily rates', () => {
    // Last 14 days: 3 sessions, 85 minutes; the 14 before: 1 session, 45 minutes.
    expect(features.trend_sessions_14d).toBeCloseTo((3 / 14 + 1 / 30) / (1 / 14 + 1 / 30), 12);
    expect(features.trend_minutes_14d).toBeCloseTo((85 / 14 + 1) / (45 / 14 + 1), 12);
    // Last 30 days: 4 sessions; the 60 before: 3, over the 51 of them after registration (tenure 81).
    expect(features.trend_sessions_30d).toBeCloseTo((4 / 30 + 1 / 30) / (3 / 51 + 1 / 30), 12);
  });

  it('computes engagement, billing, support and frustration features', () => {
    expect(features).toMatchObject({
      completion_rate_30d: 0.8,
      distinct_genres_30d: 3,
      failed_payments_30d: 2,
      failed_payments_90d: 2,
      days_since_last_failed_payment: 7,
      total_paid_90d: 9,
      payments_ok_90d: 2,
      days_to_paid_until: 9,
      paid_until_known: 1,
      is_cancelled: 0,
      cancel_page_views_14d: 1,
      cancel_page_views_30d: 1,
      support_tickets_30d: 1,
      support_tickets_90d: 2,
      mean_csat_90d: 3,
      buffering_per_session_30d: 0.25,
      crashes_per_session_30d: 0.25,
      notifications_sent_30d: 4,
      notification_open_rate_30d: 0.25,
      reviews_90d: 0,
      mean_rating_90d: 0,
    });
  });

  it('derives the promo status, tenure and social features from the profile', () => {
    // Registered 2024-12-10: the discount runs until 2025-03-10, 9 days after asOf; tenure 21+31+28+1.
    expect(features).toMatchObject({
      is_partner_promo: 1,
      promo_days_to_end: 9,
      promo_ended_30d: 0,
      tenure_days: 81,
      monthly_price: 8.99,
      referrals_90d: 1,
      playlists_shared_90d: 1,
      is_referred: 1,
      graph_neighbours: 3,
    });
  });

  it('computes time-of-day and device shares over 90 days', () => {
    // Sessions at 20:00, 07:30, 22:00, 13:00, 20:00, 21:00, 22:00.
    expect(features.share_evening_90d).toBeCloseTo(5 / 7, 12);
    expect(features.share_morning_90d).toBeCloseTo(1 / 7, 12);
    expect(features.share_afternoon_90d).toBeCloseTo(1 / 7, 12);
    expect(features.share_night_90d).toBe(0);
    expect(features.share_tv_90d).toBeCloseTo(6 / 7, 12);
    expect(features.share_mobile_90d).toBeCloseTo(1 / 7, 12);
  });

  it('takes the plan from subscription events over the profile, and the rest from the profile', () => {
    expect(features).toMatchObject({
      plan: 'basic',
      channel: 'partner_promo',
      country: 'DE',
      device: 'smart_tv',
    });
  });

  it('scores RFM and segments with the documented cut points', () => {
    expect(features).toMatchObject({ rfm_r: 5, rfm_f: 2, rfm_m: 2, rfm_segment: 'promising' });
    expect(features.activity_segment).toBe('sporadic');
  });

  it('gives every defined feature, numeric ones as finite numbers, in definition order', () => {
    const row = featureVectorToRow(features);
    expect(row).toHaveLength(FEATURE_DEFINITIONS.length);
    expect(Object.keys(features).sort()).toEqual([...FEATURE_NAMES].sort());
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    FEATURE_DEFINITIONS.forEach((definition, index) => {
      const value = row[index];
      if (definition.kind === 'numeric') expect(Number.isFinite(value), definition.name).toBe(true);
      else expect(typeof value, definition.name).toBe('string');
    });
    expect(row[FEATURE_NAMES.indexOf('sessions_7d')]).toBe(3);
    expect(row[FEATURE_NAMES.indexOf('plan')]).toBe('basic');
  });
});

describe('computeFeatures edge cases', () => {
  it('reads "never" as NEVER_DAYS and empty rates as 0', () => {
    const features = computeFeatures({ userId: 'u-1', days: {} }, AS_OF);
    expect(features).toMatchObject({
      days_since_last_session: NEVER_DAYS,
      days_since_last_failed_payment: NEVER_DAYS,
      completion_rate_30d: 0,
      notification_open_rate_30d: 0,
      trend_sessions_14d: 1,
      trend_sessions_30d: 1,
      days_to_paid_until: 0,
      paid_until_known: 0,
      tenure_days: 0,
      plan: 'unknown',
      channel: 'unknown',
      activity_segment: 'sleeper',
      rfm_segment: 'lost',
    });
  });

  it('shortens trend windows to the days since registration', () => {
    // Registered 10 days before asOf, 5 sessions since: the 14 days before the last 14 did not exist.
    const profile = { ...PROFILE, channel: 'organic', registered_at: '2025-02-19T10:00:00Z' };
    const events = [1, 3, 5, 7, 9].map((day) =>
      session(`2025-02-${String(19 + day - 1).padStart(2, '0')}T20:00:00Z`, 10),
    );
    const features = computeFeatures(historyOf(events, profile), AS_OF);
    expect(features.tenure_days).toBe(10);
    expect(features.trend_sessions_14d).toBe(1);
    expect(features.is_partner_promo).toBe(0);
    expect(features.promo_days_to_end).toBe(0);
  });

  it('marks a promo that ended in the last 30 days, and none after a win-back', () => {
    const profile = { ...PROFILE, registered_at: '2024-11-20T09:00:00Z' };
    // Promo ends 2025-02-20: 9 days before asOf.
    const ended = computeFeatures(historyOf([], profile), AS_OF);
    expect(ended).toMatchObject({ is_partner_promo: 1, promo_days_to_end: 0, promo_ended_30d: 1 });
    expect(computeFeatures(historyOf([], profile), '2025-03-22')).toMatchObject({ promo_ended_30d: 0 });
    const winback = event({
      ts: '2025-01-15T10:00:00Z',
      type: 'subscription_started',
      properties: { plan: 'basic' },
    });
    expect(computeFeatures(historyOf([winback], profile), AS_OF)).toMatchObject({
      is_partner_promo: 1,
      promo_ended_30d: 0,
    });
  });

  it('clamps the promo end to the end of a shorter month, as renewals are', () => {
    const profile = { ...PROFILE, registered_at: '2024-11-30T09:00:00Z' };
    // 2024-11-30 + 3 months = 2025-02-28 (February has no 30th).
    expect(computeFeatures(historyOf([], profile), '2025-02-20').promo_days_to_end).toBe(8);
  });

  it('sees a cancellation as the latest subscription state until a restart', () => {
    const cancel = event({
      ts: '2025-02-20T12:00:00Z',
      type: 'subscription_cancelled',
      properties: { reason: 'price', paid_until: '2025-03-10T00:00:00Z' },
    });
    expect(computeFeatures(historyOf([cancel], PROFILE), AS_OF)).toMatchObject({
      is_cancelled: 1,
      subscriptions_cancelled_90d: 1,
      days_to_paid_until: 9,
    });
    const restart = event({
      ts: '2025-02-25T12:00:00Z',
      type: 'subscription_started',
      properties: { plan: 'basic' },
    });
    expect(computeFeatures(historyOf([cancel, restart], PROFILE), AS_OF).is_cancelled).toBe(0);
  });

  it('rejects an asOf that is not a day', () => {
    expect(() => computeFeatures({ userId: 'u-1', days: {} }, '2025-03-01T00:00:00Z')).toThrow(
      'asOf: expected YYYY-MM-DD, got "2025-03-01T00:00:00Z"',
    );
  });

  it('follows the simulator for the partner promo', () => {
    expect(PARTNER_PROMO).toEqual({ channel: PARTNER_PROMO_CHANNEL, months: PROMO_MONTHS });
  });
});

describe('activitySegment', () => {
  const base = { days_since_last_session: 2, active_days_30d: 0, sessions_90d: 0, trend_sessions_30d: 1 };
  it('applies the documented thresholds in order', () => {
    expect(activitySegment({ ...base, days_since_last_session: 46, active_days_30d: 20 })).toBe('sleeper');
    expect(activitySegment({ ...base, active_days_30d: 15, trend_sessions_30d: 0.1, sessions_90d: 40 })).toBe(
      'hub',
    );
    expect(activitySegment({ ...base, active_days_30d: 8, sessions_90d: 40, trend_sessions_30d: 0.4 })).toBe(
      'sleeper',
    );
    expect(activitySegment({ ...base, active_days_30d: 6 })).toBe('regular');
    expect(activitySegment({ ...base, active_days_30d: 5, sessions_90d: 5, trend_sessions_30d: 0.1 })).toBe(
      'sporadic',
    );
  });
});

describe('rfmSegment', () => {
  it('names segments from R and F', () => {
    expect(rfmSegment({ rfm_r: 1, rfm_f: 1 })).toBe('lost');
    expect(rfmSegment({ rfm_r: 4, rfm_f: 4 })).toBe('champion');
    expect(rfmSegment({ rfm_r: 2, rfm_f: 3 })).toBe('at_risk');
    expect(rfmSegment({ rfm_r: 3, rfm_f: 5 })).toBe('loyal');
    expect(rfmSegment({ rfm_r: 5, rfm_f: 1 })).toBe('promising');
    expect(rfmSegment({ rfm_r: 2, rfm_f: 1 })).toBe('hibernating');
    expect(rfmSegment({ rfm_r: 3, rfm_f: 2 })).toBe('needs_attention');
  });
});
