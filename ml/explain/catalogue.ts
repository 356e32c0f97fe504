import type { FeatureName } from '../features/features.js';
import type { SequenceChannel } from '../features/sequence.js';

/**
 * The tables a product person tunes: which features make up each reason, which action answers
 * it, where the sequence and graph parts of the model go, and the values at which a plain
 * statement ("frequent buffering") is justified. The wording itself lives in `facts.ts`.
 */

/** What a retention team can do about a reason. Codes are stable: CRMs store and route on them. */
export const RETENTION_ACTIONS = [
  {
    action: 'payment_reminder',
    title: 'Send a card update reminder',
    description:
      'The customer is at risk because payments fail. Remind them (e-mail, in-app banner) to update their payment details before the account is suspended.',
  },
  {
    action: 'winback_offer',
    title: 'Make a win-back offer',
    description:
      'The customer has cancelled or is looking at cancelling. Offer a discount or an extended trial before access ends.',
  },
  {
    action: 'loyalty_offer',
    title: 'Offer a better plan or price',
    description:
      'Price drives the risk: a promotion is ending or the customer pays more than most. Offer a cheaper plan, a loyalty discount or an annual price.',
  },
  {
    action: 'content_recommendation',
    title: 'Send personalised picks',
    description:
      'The customer uses the service less or finds little to watch. Send personalised recommendations (for new customers: an onboarding journey).',
  },
  {
    action: 'support_call',
    title: 'Call the customer proactively',
    description:
      'The customer had support problems or left a bad rating. A proactive call from support to resolve what is open.',
  },
  {
    action: 'quality_fix',
    title: 'Troubleshoot device and network',
    description:
      'Playback is unreliable (buffering, crashes). Reach out with device and network troubleshooting, or escalate to engineering.',
  },
  {
    action: 'referral_perk',
    title: 'Offer a bring-a-friend perk',
    description:
      'Friends have left, or the customer has no ties to other customers. A perk for inviting a friend or sharing playlists.',
  },
  {
    action: 'no_action',
    title: 'No action needed',
    description: 'No reason stands out strongly enough to spend a retention contact on.',
  },
] as const;

export type RetentionAction = (typeof RETENTION_ACTIONS)[number]['action'];

/**
 * The reasons, in the order that breaks ties between equal weights (the more actionable first).
 * `features` are the tabular features whose contributions the reason sums; every feature of
 * `FEATURE_DEFINITIONS` is in exactly one reason or in `UNEXPLAINED_FEATURES`.
 */
export const REASON_CODES = [
  {
    code: 'subscription_cancelled',
    title: 'Cancelled or not renewed',
    action: 'winback_offer',
    description:
      'The subscription is cancelled, or its paid period ended without a renewal. The text says when access ends or ended.',
    features: ['is_cancelled', 'days_to_paid_until', 'paid_until_known', 'subscriptions_cancelled_90d'],
  },
  {
    code: 'cancel_intent',
    title: 'Looking at cancelling',
    action: 'winback_offer',
    description: 'The customer visited the cancel page recently. The text says how often.',
    features: ['cancel_page_views_14d', 'cancel_page_views_30d'],
  },
  {
    code: 'payment_failure',
    title: 'Payment problems',
    action: 'payment_reminder',
    description: 'Payments failed recently (retries count). The text gives the number of failed attempts.',
    features: [
      'failed_payments_30d',
      'failed_payments_90d',
      'days_since_last_failed_payment',
      'payments_ok_90d',
    ],
  },
  {
    code: 'promo_ending',
    title: 'Promotion ending',
    action: 'loyalty_offer',
    description:
      'The customer joined through the partner promotion and the discount ends soon or ended recently (bill shock).',
    features: ['is_partner_promo', 'promo_days_to_end', 'promo_ended_30d'],
  },
  {
    code: 'price',
    title: 'Price',
    action: 'loyalty_offer',
    description:
      'The price the customer pays, or their plan, adds to the risk. With a typical price given, the text says whether it is above average.',
    features: ['monthly_price', 'plan', 'total_paid_90d', 'rfm_m'],
  },
  {
    code: 'disengagement',
    title: 'Using the service less',
    action: 'content_recommendation',
    description:
      'Activity is falling or has stopped: fewer sessions and less watch time than before, days without a session, unopened notifications. Most of the sequence model (LSTM) belongs here.',
    features: [
      'sessions_7d',
      'sessions_14d',
      'sessions_30d',
      'sessions_90d',
      'session_minutes_7d',
      'session_minutes_14d',
      'session_minutes_30d',
      'session_minutes_90d',
      'plays_7d',
      'plays_14d',
      'plays_30d',
      'plays_90d',
      'play_minutes_7d',
      'play_minutes_14d',
      'play_minutes_30d',
      'play_minutes_90d',
      'active_days_7d',
      'active_days_14d',
      'active_days_30d',
      'active_days_90d',
      'trend_sessions_14d',
      'trend_minutes_14d',
      'trend_sessions_30d',
      'trend_minutes_30d',
      'days_since_last_session',
      'minutes_per_session_30d',
      'completion_rate_30d',
      'notifications_sent_30d',
      'notification_open_rate_30d',
      'rfm_r',
      'rfm_f',
      'activity_segment',
      'rfm_segment',
      'disengagement_evidence',
      'disengagement_days',
    ],
  },
  {
    code: 'content_fit',
    title: 'Not finding enough to watch',
    action: 'content_recommendation',
    description: 'The customer watches few genres or their searches often find nothing.',
    features: ['distinct_genres_30d', 'searches_30d', 'search_no_result_rate_30d'],
  },
  {
    code: 'streaming_quality',
    title: 'Playback problems',
    action: 'quality_fix',
    description: 'Buffering or app crashes per session. The text gives the rate.',
    features: ['buffering_per_session_30d', 'crashes_per_session_30d'],
  },
  {
    code: 'dissatisfied',
    title: 'Unhappy with support or the service',
    action: 'support_call',
    description: 'Support tickets, low support satisfaction (CSAT) or a low store review.',
    features: [
      'support_tickets_30d',
      'support_tickets_90d',
      'mean_csat_90d',
      'reviews_90d',
      'mean_rating_90d',
    ],
  },
  {
    code: 'friends_left',
    title: 'Friends left or few connections',
    action: 'referral_perk',
    description:
      'People the customer is linked to (referrals, shared playlists) have left or are at risk, or the customer has no such links. The graph model belongs here.',
    features: ['graph_neighbours', 'referrals_90d', 'playlists_shared_90d', 'is_referred'],
  },
  {
    code: 'new_customer',
    title: 'New customer',
    action: 'content_recommendation',
    description: 'New customers leave more often than established ones. The text gives the tenure in days.',
    features: ['tenure_days'],
  },
] as const satisfies readonly {
  readonly code: string;
  readonly title: string;
  readonly action: RetentionAction;
  readonly description: string;
  readonly features: readonly FeatureName[];
}[];

export type ReasonCodeName = (typeof REASON_CODES)[number]['code'];

/**
 * Features the model uses that no plain reason covers (time of day, device mix, where the
 * customer comes from). Their contributions count in `summariseDrivers` as `other`, never as a
 * reason shown to a customer's manager.
 */
export const UNEXPLAINED_FEATURES = [
  'share_night_90d',
  'share_morning_90d',
  'share_afternoon_90d',
  'share_evening_90d',
  'share_tv_90d',
  'share_mobile_90d',
  'channel',
  'country',
  'device',
] as const satisfies readonly FeatureName[];

/** Where the contribution of features outside every reason (and of unknown features) is counted. */
export const OTHER_GROUP = 'other';
export type DriverGroup = ReasonCodeName | typeof OTHER_GROUP;

/**
 * Which reasons each LSTM input channel speaks for. The sequence part's contribution is shared
 * out in proportion to the channels' occlusion effects; a channel with several reasons splits its
 * share by the tabular evidence of those reasons (equally without any).
 */
export const SEQUENCE_CHANNEL_REASONS: Readonly<Record<SequenceChannel, readonly ReasonCodeName[]>> = {
  sessions: ['disengagement'],
  log1p_play_minutes: ['disengagement'],
  plays: ['disengagement'],
  failures: ['payment_failure', 'streaming_quality'],
  support_tickets: ['dissatisfied'],
  cancel_page_views: ['cancel_intent'],
};

/** Where the sequence part goes when there are no channel effects to share it by. */
export const SEQUENCE_DEFAULT_REASON: ReasonCodeName = 'disengagement';

/** Where the graph part goes. */
export const GRAPH_REASON: ReasonCodeName = 'friends_left';

/**
 * Values at which a statement is justified. Below them the fact is either left out or phrased
 * without a judgement ("buffering (0.2 per session)" instead of "frequent buffering").
 */
export const FACT_THRESHOLDS = {
  /** A trend at or below this (0.8 = down 20%) reads as "activity down". */
  trendDownAtMost: 0.8,
  /** "no session for N days" from this many days. */
  inactiveDaysAtLeast: 7,
  /** "active on only N of the last 30 days" up to this many days. */
  fewActiveDaysAtMost: 4,
  /** "opened 1 of 12 notifications" needs at least this many sent and at most this open rate. */
  notificationsSentAtLeast: 3,
  notificationOpenRateAtMost: 0.1,
  /** "watches 20% of a title on average" below this completion. */
  lowCompletionBelow: 0.4,
  /** "short sessions" below this many minutes on average. */
  shortSessionMinutesBelow: 10,
  /** "watches few genres" up to this many genres. */
  fewGenresAtMost: 2,
  /** "searches often find nothing" from this share of at least `searchesAtLeast` searches. */
  noResultRateAtLeast: 0.25,
  searchesAtLeast: 3,
  /** "frequent buffering" from this many buffering events per session. */
  frequentBufferingAtLeast: 0.3,
  /** "frequent app crashes" from this many crashes per session. */
  frequentCrashesAtLeast: 0.1,
  /** "unhappy with support" below this mean CSAT (1-5). */
  unhappyCsatBelow: 3,
  /** "low store review" below this mean rating (1-5). */
  lowRatingBelow: 3,
  /** "new customer" below this tenure. */
  newCustomerDaysBelow: 90,
  /** "price above average" from this much above the typical price (0.1 = 10%). */
  priceAboveTypicalBy: 0.1,
} as const;

/** Statements per reason: the strongest, and one more on a different topic when it has evidence. */
export const MAX_FACTS_PER_REASON = 2;

/** Reasons shown by default. */
export const DEFAULT_MAX_REASONS = 3;

/**
 * Logit weight below which a reason is not worth stating (0.1 is about 10% higher odds). When no
 * reason reaches it, the action is `no_action`.
 */
export const DEFAULT_MIN_WEIGHT = 0.1;

export function reasonCodeOf(code: ReasonCodeName): (typeof REASON_CODES)[number] {
  const reason = REASON_CODES.find((entry) => entry.code === code);
  if (reason === undefined) throw new RangeError(`unknown reason code ${JSON.stringify(code)}`);
  return reason;
}

export function retentionActionOf(action: RetentionAction): (typeof RETENTION_ACTIONS)[number] {
  const entry = RETENTION_ACTIONS.find((candidate) => candidate.action === action);
  if (entry === undefined) throw new RangeError(`unknown retention action ${JSON.stringify(action)}`);
  return entry;
}

const GROUP_OF_FEATURE: ReadonlyMap<string, ReasonCodeName> = new Map(
  REASON_CODES.flatMap((reason) => reason.features.map((feature) => [feature, reason.code] as const)),
);

/** The reason a tabular feature belongs to, or `other` (also for names the catalogue does not know). */
export function groupOfFeature(feature: string): DriverGroup {
  return GROUP_OF_FEATURE.get(feature) ?? OTHER_GROUP;
}
