import { NEVER_DAYS, PARTNER_PROMO, UNKNOWN } from '../features/features.js';
import { LOOKBACK_DAYS } from '../features/history.js';
import { type ReasonCodeName, FACT_THRESHOLDS as T } from './catalogue.js';
import { type ContributionInput, GRAPH_EVIDENCE, SEQUENCE_EVIDENCE } from './evidence.js';

/** The values a statement may use; every number is finite or undefined. */
export interface FactContext {
  number(feature: string): number | undefined;
  /** A categorical value, undefined when empty or `unknown`. */
  text(feature: string): string | undefined;
  readonly graph: ContributionInput['graph'] | undefined;
  readonly typicalMonthlyPrice: number | undefined;
}

/**
 * One plain statement a reason can make. `phrase` returns undefined when the values do not
 * support it (so nothing is claimed that the numbers do not show). `evidence` ranks statements
 * within a reason: the one whose features carry most of the reason's weight comes first.
 * Statements on the same `topic` say the same thing in other words; a reason uses one of them.
 */
export interface Fact {
  readonly code: ReasonCodeName;
  readonly topic: string;
  readonly evidence: readonly string[];
  phrase(values: FactContext): string | undefined;
}

export function factContext(
  features: Readonly<Record<string, unknown>>,
  graph: ContributionInput['graph'] | undefined,
  typicalMonthlyPrice: number | undefined,
): FactContext {
  return {
    number(feature) {
      const value = features[feature];
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    },
    text(feature) {
      const value = features[feature];
      return typeof value === 'string' && value !== '' && value !== UNKNOWN ? value : undefined;
    },
    graph,
    typicalMonthlyPrice:
      typicalMonthlyPrice !== undefined && Number.isFinite(typicalMonthlyPrice) && typicalMonthlyPrice > 0
        ? typicalMonthlyPrice
        : undefined,
  };
}

function count(value: number, singular: string, plural = `${singular}s`): string {
  return `${value} ${value === 1 ? singular : plural}`;
}

function times(value: number): string {
  return value === 1 ? 'once' : value === 2 ? 'twice' : `${value} times`;
}

/** Up to `digits` decimals, without trailing zeros: 1.5, 2, 0.25. */
function decimal(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

/** A per-session rate: two significant digits below 1 (0.25, 0.05), one decimal above. */
function rate(value: number): string {
  return value < 1 ? String(Number(value.toPrecision(2))) : decimal(value, 1);
}

function money(value: number): string {
  return value.toFixed(2);
}

function daysAgo(days: number): string {
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

function inDays(days: number): string {
  return days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`;
}

/** Whole counts only: a fractional count means the feature is not what we think it is. */
function wholeCount(values: FactContext, feature: string): number | undefined {
  const value = values.number(feature);
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** "down 70%" from a trend ratio, when it is down enough to say so. */
function dropPercent(trend: number | undefined): number | undefined {
  if (trend === undefined || trend < 0 || trend > T.trendDownAtMost) return undefined;
  return Math.min(99, Math.round((1 - trend) * 100));
}

function trendFact(
  topic: 'activity' | 'watch_time',
  feature: string,
  span: string,
  evidence: readonly string[],
): Fact {
  const what = topic === 'activity' ? 'activity' : 'watch time';
  return {
    code: 'disengagement',
    topic,
    evidence: [feature, ...evidence, SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const drop = dropPercent(values.number(feature));
      return drop === undefined ? undefined : `${what} down ${drop}% ${span}`;
    },
  };
}

/** Days the partner promotion lasts on average; the features give no exact end date once it is over. */
const PROMO_LENGTH_DAYS = Math.round((PARTNER_PROMO.months * 365.25) / 12);

/**
 * Every statement, grouped by reason. Within a reason the order breaks ties between statements
 * with equal evidence (for instance when only the sequence part speaks for the reason).
 */
export const FACTS: readonly Fact[] = [
  {
    code: 'subscription_cancelled',
    topic: 'cancelled',
    evidence: ['is_cancelled', 'days_to_paid_until', 'paid_until_known'],
    phrase: (values) => {
      if (values.number('is_cancelled') !== 1) return undefined;
      const days = values.number('days_to_paid_until');
      if (values.number('paid_until_known') !== 1 || days === undefined) return 'cancelled';
      return days >= 0
        ? `cancelled; access ends ${inDays(days)}`
        : `cancelled; access ended ${daysAgo(-days)}`;
    },
  },
  {
    code: 'subscription_cancelled',
    topic: 'lapsed',
    evidence: ['days_to_paid_until', 'paid_until_known'],
    phrase: (values) => {
      const days = values.number('days_to_paid_until');
      if (values.number('is_cancelled') === 1 || values.number('paid_until_known') !== 1) return undefined;
      return days !== undefined && days < 0 ? `paid period ended ${daysAgo(-days)}, not renewed` : undefined;
    },
  },
  {
    code: 'subscription_cancelled',
    topic: 'cancelled_before',
    evidence: ['subscriptions_cancelled_90d'],
    phrase: (values) => {
      const cancellations = wholeCount(values, 'subscriptions_cancelled_90d');
      if (values.number('is_cancelled') === 1 || cancellations === undefined || cancellations < 1)
        return undefined;
      return `cancelled ${times(cancellations)} in the last 90 days`;
    },
  },
  {
    code: 'cancel_intent',
    topic: 'cancel_page',
    evidence: ['cancel_page_views_14d', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const visits = wholeCount(values, 'cancel_page_views_14d');
      return visits !== undefined && visits >= 1
        ? `visited the cancel page ${times(visits)} in 2 weeks`
        : undefined;
    },
  },
  {
    code: 'cancel_intent',
    topic: 'cancel_page',
    evidence: ['cancel_page_views_30d'],
    phrase: (values) => {
      const visits = wholeCount(values, 'cancel_page_views_30d');
      return visits !== undefined && visits >= 1
        ? `visited the cancel page ${times(visits)} in 30 days`
        : undefined;
    },
  },
  {
    code: 'payment_failure',
    topic: 'failed',
    evidence: ['failed_payments_30d', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const failures = wholeCount(values, 'failed_payments_30d');
      return failures !== undefined && failures >= 1
        ? `${count(failures, 'failed payment')} in 30 days`
        : undefined;
    },
  },
  {
    code: 'payment_failure',
    topic: 'failed',
    evidence: ['failed_payments_90d'],
    phrase: (values) => {
      const failures = wholeCount(values, 'failed_payments_90d');
      return failures !== undefined && failures >= 1
        ? `${count(failures, 'failed payment')} in 90 days`
        : undefined;
    },
  },
  {
    code: 'payment_failure',
    topic: 'failed',
    evidence: ['days_since_last_failed_payment'],
    phrase: (values) => {
      const days = wholeCount(values, 'days_since_last_failed_payment');
      return days !== undefined && days >= 1 && days < NEVER_DAYS
        ? `last payment failed ${daysAgo(days)}`
        : undefined;
    },
  },
  {
    code: 'payment_failure',
    topic: 'no_payment',
    evidence: ['payments_ok_90d'],
    phrase: (values) =>
      values.number('payments_ok_90d') === 0 ? 'no successful payment in 90 days' : undefined,
  },
  {
    code: 'promo_ending',
    topic: 'promo',
    evidence: ['promo_days_to_end', 'is_partner_promo'],
    phrase: (values) => {
      const days = wholeCount(values, 'promo_days_to_end');
      return days !== undefined && days >= 1 ? `promo ends ${inDays(days)}` : undefined;
    },
  },
  {
    code: 'promo_ending',
    topic: 'promo',
    evidence: ['promo_ended_30d'],
    phrase: (values) => {
      if (values.number('promo_ended_30d') !== 1) return undefined;
      const tenure = values.number('tenure_days');
      const since = tenure === undefined ? undefined : Math.round(tenure - PROMO_LENGTH_DAYS);
      if (since !== undefined && since >= -2 && since <= 1) return 'promo just ended; now pays full price';
      if (since !== undefined && since > 1 && since < 30) {
        return `promo ended about ${since} days ago; now pays full price`;
      }
      return 'promo ended in the last 30 days; now pays full price';
    },
  },
  {
    code: 'promo_ending',
    topic: 'promo',
    evidence: ['is_partner_promo'],
    phrase: (values) =>
      values.number('is_partner_promo') === 1 ? 'joined through the partner promotion' : undefined,
  },
  {
    code: 'price',
    topic: 'price',
    evidence: ['monthly_price', 'plan', 'total_paid_90d', 'rfm_m'],
    phrase: (values) => {
      const price = values.number('monthly_price');
      if (price === undefined || price <= 0) return undefined;
      const typical = values.typicalMonthlyPrice;
      if (typical !== undefined && price >= typical * (1 + T.priceAboveTypicalBy)) {
        return `price above average (${money(price)} vs ${money(typical)} a month)`;
      }
      const plan = values.text('plan');
      return `pays ${money(price)} a month${plan === undefined ? '' : ` (${plan} plan)`}`;
    },
  },
  trendFact('activity', 'trend_sessions_14d', 'in 2 weeks', [
    'sessions_7d',
    'sessions_14d',
    'active_days_7d',
    'active_days_14d',
    'session_minutes_7d',
    'session_minutes_14d',
  ]),
  {
    code: 'disengagement',
    topic: 'recency',
    evidence: ['days_since_last_session', 'rfm_r', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const days = wholeCount(values, 'days_since_last_session');
      if (days === undefined || days < T.inactiveDaysAtLeast) return undefined;
      return days >= NEVER_DAYS
        ? `no session in the last ${LOOKBACK_DAYS} days`
        : `no session for ${days} days`;
    },
  },
  trendFact('watch_time', 'trend_minutes_14d', 'in 2 weeks', [
    'play_minutes_7d',
    'play_minutes_14d',
    'plays_7d',
    'plays_14d',
  ]),
  trendFact('activity', 'trend_sessions_30d', 'over the last month', [
    'sessions_30d',
    'sessions_90d',
    'active_days_30d',
    'active_days_90d',
    'session_minutes_30d',
    'session_minutes_90d',
    'rfm_f',
  ]),
  trendFact('watch_time', 'trend_minutes_30d', 'over the last month', [
    'play_minutes_30d',
    'play_minutes_90d',
    'plays_30d',
    'plays_90d',
  ]),
  {
    code: 'disengagement',
    topic: 'activity',
    evidence: ['active_days_30d', 'rfm_f', 'activity_segment', 'rfm_segment', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const days = wholeCount(values, 'active_days_30d');
      return days !== undefined && days >= 1 && days <= T.fewActiveDaysAtMost
        ? `active on only ${days} of the last 30 days`
        : undefined;
    },
  },
  {
    code: 'disengagement',
    topic: 'notifications',
    evidence: ['notification_open_rate_30d', 'notifications_sent_30d'],
    phrase: (values) => {
      const sent = wholeCount(values, 'notifications_sent_30d');
      const openRate = values.number('notification_open_rate_30d');
      if (sent === undefined || openRate === undefined || sent < T.notificationsSentAtLeast) return undefined;
      if (openRate > T.notificationOpenRateAtMost) return undefined;
      return `opened ${Math.round(openRate * sent)} of ${sent} notifications in 30 days`;
    },
  },
  {
    code: 'disengagement',
    topic: 'completion',
    evidence: ['completion_rate_30d'],
    phrase: (values) => {
      const completion = values.number('completion_rate_30d');
      const plays = values.number('plays_30d');
      if (completion === undefined || completion <= 0 || completion >= T.lowCompletionBelow) return undefined;
      if (plays !== undefined && plays < 1) return undefined;
      return `watches ${Math.round(completion * 100)}% of a title on average`;
    },
  },
  {
    code: 'disengagement',
    topic: 'session_length',
    evidence: ['minutes_per_session_30d'],
    phrase: (values) => {
      const minutes = values.number('minutes_per_session_30d');
      const sessions = values.number('sessions_30d');
      if (minutes === undefined || minutes <= 0 || minutes >= T.shortSessionMinutesBelow) return undefined;
      if (sessions !== undefined && sessions < 1) return undefined;
      return `short sessions (${decimal(minutes, 1)} min on average)`;
    },
  },
  {
    code: 'content_fit',
    topic: 'genres',
    evidence: ['distinct_genres_30d'],
    phrase: (values) => {
      const genres = wholeCount(values, 'distinct_genres_30d');
      const plays = values.number('plays_30d');
      if (genres === undefined || genres < 1 || genres > T.fewGenresAtMost) return undefined;
      if (plays !== undefined && plays < 1) return undefined;
      return `watches few genres (${genres} in 30 days)`;
    },
  },
  {
    code: 'content_fit',
    topic: 'search',
    evidence: ['search_no_result_rate_30d', 'searches_30d'],
    phrase: (values) => {
      const searches = wholeCount(values, 'searches_30d');
      const noResult = values.number('search_no_result_rate_30d');
      if (searches === undefined || noResult === undefined || searches < T.searchesAtLeast) return undefined;
      if (noResult < T.noResultRateAtLeast) return undefined;
      return `searches often find nothing (${Math.round(noResult * searches)} of ${searches} in 30 days)`;
    },
  },
  {
    code: 'streaming_quality',
    topic: 'buffering',
    evidence: ['buffering_per_session_30d', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const buffering = values.number('buffering_per_session_30d');
      if (buffering === undefined || buffering <= 0) return undefined;
      const frequent = buffering >= T.frequentBufferingAtLeast ? 'frequent buffering' : 'buffering';
      return `${frequent} (${rate(buffering)} per session)`;
    },
  },
  {
    code: 'streaming_quality',
    topic: 'crashes',
    evidence: ['crashes_per_session_30d', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const crashes = values.number('crashes_per_session_30d');
      if (crashes === undefined || crashes <= 0) return undefined;
      const frequent = crashes >= T.frequentCrashesAtLeast ? 'frequent app crashes' : 'app crashes';
      return `${frequent} (${rate(crashes)} per session)`;
    },
  },
  {
    code: 'dissatisfied',
    topic: 'csat',
    evidence: ['mean_csat_90d'],
    phrase: (values) => {
      const csat = values.number('mean_csat_90d');
      // 0 means no rating, not the worst one.
      return csat !== undefined && csat > 0 && csat < T.unhappyCsatBelow
        ? `unhappy with support (CSAT ${decimal(csat, 1)})`
        : undefined;
    },
  },
  {
    code: 'dissatisfied',
    topic: 'tickets',
    evidence: ['support_tickets_30d', SEQUENCE_EVIDENCE],
    phrase: (values) => {
      const tickets = wholeCount(values, 'support_tickets_30d');
      return tickets !== undefined && tickets >= 1
        ? `${count(tickets, 'support ticket')} in 30 days`
        : undefined;
    },
  },
  {
    code: 'dissatisfied',
    topic: 'tickets',
    evidence: ['support_tickets_90d'],
    phrase: (values) => {
      const tickets = wholeCount(values, 'support_tickets_90d');
      return tickets !== undefined && tickets >= 1
        ? `${count(tickets, 'support ticket')} in 90 days`
        : undefined;
    },
  },
  {
    code: 'dissatisfied',
    topic: 'review',
    evidence: ['mean_rating_90d', 'reviews_90d'],
    phrase: (values) => {
      const rating = values.number('mean_rating_90d');
      return rating !== undefined && rating > 0 && rating < T.lowRatingBelow
        ? `low store rating (${decimal(rating, 1)} of 5)`
        : undefined;
    },
  },
  {
    code: 'friends_left',
    topic: 'gone',
    evidence: [GRAPH_EVIDENCE],
    phrase: (values) => {
      const gone = values.graph?.neighboursGone;
      return gone !== undefined && Number.isInteger(gone) && gone >= 1
        ? `${count(gone, 'friend')} left`
        : undefined;
    },
  },
  {
    code: 'friends_left',
    topic: 'risky',
    evidence: [GRAPH_EVIDENCE],
    phrase: (values) => {
      const risky = values.graph?.riskyNeighbours;
      return risky !== undefined && Number.isInteger(risky) && risky >= 1
        ? `${count(risky, 'friend')} at risk of leaving too`
        : undefined;
    },
  },
  {
    code: 'friends_left',
    topic: 'isolated',
    evidence: ['graph_neighbours', 'referrals_90d', 'playlists_shared_90d', 'is_referred', GRAPH_EVIDENCE],
    phrase: (values) => {
      const fromGraph = values.graph?.neighbours;
      const neighbours =
        fromGraph !== undefined && Number.isFinite(fromGraph) ? fromGraph : values.number('graph_neighbours');
      return neighbours === 0 ? 'no connections to other customers' : undefined;
    },
  },
  {
    code: 'new_customer',
    topic: 'tenure',
    evidence: ['tenure_days'],
    phrase: (values) => {
      const tenure = wholeCount(values, 'tenure_days');
      if (tenure === undefined || tenure >= T.newCustomerDaysBelow) return undefined;
      return tenure === 0 ? 'new customer (joined today)' : `new customer (${count(tenure, 'day')})`;
    },
  },
];
