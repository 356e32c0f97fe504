import {
  addCounters,
  type DayAggregate,
  dayNumber,
  dayOf,
  emptyDay,
  type LatestValue,
  later,
  laterPaidUntil,
  type SubscriptionState,
} from './day-aggregate.js';
import { DisengagementInput } from './disengagement.js';
import { graphNeighbours } from './graph.js';
import {
  asOfNumber,
  type CustomerHistory,
  LOOKBACK_DAYS,
  type ProfileLike,
  recentDays,
  registrationDay,
} from './history.js';

/** Recency features read this when the thing never happened inside the lookback window. */
export const NEVER_DAYS = LOOKBACK_DAYS + 1;

/**
 * The partner promotion as the simulated service runs it (ml/simulate/catalog.ts: channel
 * `partner_promo`, half price for the first three billing months). A promo customer pays the
 * discounted price until the day `months` calendar months after the registration day (clamped to
 * the month's end, like renewals), and the full price from that day on. A later
 * `subscription_started` (a win-back) starts a fresh subscription without the discount.
 */
export const PARTNER_PROMO = { channel: 'partner_promo', months: 3 } as const;

export interface FeatureDefinition {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  readonly description: string;
}

/**
 * Every feature, in the order of `featureVectorToRow` (models store this list beside their
 * weights; append new features at the end so older artifacts keep their column order).
 * Windows count the days before `asOf` only: `_7d` is the 7 days `asOf - 7 .. asOf - 1`.
 * Minutes are watch time from `play` events unless named `session_minutes`.
 */
export const FEATURE_DEFINITIONS = [
  { name: 'sessions_7d', kind: 'numeric', description: 'sessions started in the last 7 days' },
  { name: 'sessions_14d', kind: 'numeric', description: 'sessions started in the last 14 days' },
  { name: 'sessions_30d', kind: 'numeric', description: 'sessions started in the last 30 days' },
  { name: 'sessions_90d', kind: 'numeric', description: 'sessions started in the last 90 days' },
  { name: 'session_minutes_7d', kind: 'numeric', description: 'session length in minutes, last 7 days' },
  { name: 'session_minutes_14d', kind: 'numeric', description: 'session length in minutes, last 14 days' },
  { name: 'session_minutes_30d', kind: 'numeric', description: 'session length in minutes, last 30 days' },
  { name: 'session_minutes_90d', kind: 'numeric', description: 'session length in minutes, last 90 days' },
  { name: 'plays_7d', kind: 'numeric', description: 'plays in the last 7 days' },
  { name: 'plays_14d', kind: 'numeric', description: 'plays in the last 14 days' },
  { name: 'plays_30d', kind: 'numeric', description: 'plays in the last 30 days' },
  { name: 'plays_90d', kind: 'numeric', description: 'plays in the last 90 days' },
  { name: 'play_minutes_7d', kind: 'numeric', description: 'minutes watched in the last 7 days' },
  { name: 'play_minutes_14d', kind: 'numeric', description: 'minutes watched in the last 14 days' },
  { name: 'play_minutes_30d', kind: 'numeric', description: 'minutes watched in the last 30 days' },
  { name: 'play_minutes_90d', kind: 'numeric', description: 'minutes watched in the last 90 days' },
  { name: 'active_days_7d', kind: 'numeric', description: 'days with a session or a play, last 7 days' },
  { name: 'active_days_14d', kind: 'numeric', description: 'days with a session or a play, last 14 days' },
  { name: 'active_days_30d', kind: 'numeric', description: 'days with a session or a play, last 30 days' },
  { name: 'active_days_90d', kind: 'numeric', description: 'days with a session or a play, last 90 days' },
  {
    name: 'trend_sessions_14d',
    kind: 'numeric',
    description:
      'sessions per day of the last 14 days over the 14 before, smoothed (1 = steady, <1 = falling)',
  },
  {
    name: 'trend_minutes_14d',
    kind: 'numeric',
    description: 'minutes watched per day of the last 14 days over the 14 before, smoothed',
  },
  {
    name: 'trend_sessions_30d',
    kind: 'numeric',
    description: 'sessions per day of the last 30 days over the 60 before, smoothed',
  },
  {
    name: 'trend_minutes_30d',
    kind: 'numeric',
    description: 'minutes watched per day of the last 30 days over the 60 before, smoothed',
  },
  {
    name: 'days_since_last_session',
    kind: 'numeric',
    description: `days from the last day with a session to asOf (1 = yesterday); ${LOOKBACK_DAYS + 1} = none in the lookback`,
  },
  {
    name: 'minutes_per_session_30d',
    kind: 'numeric',
    description: 'mean session length in minutes, last 30 days',
  },
  {
    name: 'completion_rate_30d',
    kind: 'numeric',
    description: 'mean completion of plays, last 30 days (0 without plays)',
  },
  { name: 'distinct_genres_30d', kind: 'numeric', description: 'distinct genres played in the last 30 days' },
  { name: 'searches_30d', kind: 'numeric', description: 'searches (with or without result), last 30 days' },
  {
    name: 'search_no_result_rate_30d',
    kind: 'numeric',
    description: 'share of searches that found nothing, last 30 days (0 without searches)',
  },
  {
    name: 'monthly_price',
    kind: 'numeric',
    description:
      "the profile's monthly price; without a profile the latest sign-up price (customer's currency)",
  },
  {
    name: 'total_paid_90d',
    kind: 'numeric',
    description: "successful payments, last 90 days (customer's currency)",
  },
  { name: 'payments_ok_90d', kind: 'numeric', description: 'successful payments, last 90 days' },
  {
    name: 'failed_payments_30d',
    kind: 'numeric',
    description: 'failed payment attempts (retries too), last 30 days',
  },
  {
    name: 'failed_payments_90d',
    kind: 'numeric',
    description: 'failed payment attempts (retries too), last 90 days',
  },
  {
    name: 'days_since_last_failed_payment',
    kind: 'numeric',
    description: `days since the last failed payment; ${LOOKBACK_DAYS + 1} = none in the lookback`,
  },
  {
    name: 'days_to_paid_until',
    kind: 'numeric',
    description: 'days from asOf to the end of the paid period (negative once past; 0 when unknown)',
  },
  {
    name: 'paid_until_known',
    kind: 'numeric',
    description: '1 when a renewal or cancellation named the paid period',
  },
  {
    name: 'is_cancelled',
    kind: 'numeric',
    description: '1 when the latest subscription event in the lookback is a cancellation',
  },
  { name: 'subscriptions_cancelled_90d', kind: 'numeric', description: 'cancellations, last 90 days' },
  { name: 'cancel_page_views_14d', kind: 'numeric', description: 'visits to the cancel page, last 14 days' },
  { name: 'cancel_page_views_30d', kind: 'numeric', description: 'visits to the cancel page, last 30 days' },
  { name: 'support_tickets_30d', kind: 'numeric', description: 'support tickets, last 30 days' },
  { name: 'support_tickets_90d', kind: 'numeric', description: 'support tickets, last 90 days' },
  {
    name: 'mean_csat_90d',
    kind: 'numeric',
    description: 'mean CSAT (1-5) of tickets, last 90 days; 0 = no rating',
  },
  {
    name: 'buffering_per_session_30d',
    kind: 'numeric',
    description: 'buffering events per session, last 30 days',
  },
  { name: 'crashes_per_session_30d', kind: 'numeric', description: 'app crashes per session, last 30 days' },
  { name: 'notifications_sent_30d', kind: 'numeric', description: 'notifications sent, last 30 days' },
  {
    name: 'notification_open_rate_30d',
    kind: 'numeric',
    description: 'notifications opened over notifications sent, last 30 days (0 when none sent)',
  },
  { name: 'reviews_90d', kind: 'numeric', description: 'store reviews, last 90 days' },
  {
    name: 'mean_rating_90d',
    kind: 'numeric',
    description: 'mean review rating (1-5), last 90 days; 0 = no review',
  },
  {
    name: 'is_partner_promo',
    kind: 'numeric',
    description: 'came through the partner promotion (profile channel)',
  },
  {
    name: 'promo_days_to_end',
    kind: 'numeric',
    description: 'days until the partner promo discount ends (0 when not on the discount)',
  },
  {
    name: 'promo_ended_30d',
    kind: 'numeric',
    description: '1 when the partner promo discount ended in the last 30 days',
  },
  {
    name: 'tenure_days',
    kind: 'numeric',
    description: `days since registration (without a profile: since the first active day, at most ${LOOKBACK_DAYS})`,
  },
  { name: 'referrals_90d', kind: 'numeric', description: 'customers this one referred, last 90 days' },
  { name: 'playlists_shared_90d', kind: 'numeric', description: 'playlists shared, last 90 days' },
  { name: 'is_referred', kind: 'numeric', description: '1 when another customer referred this one' },
  {
    name: 'graph_neighbours',
    kind: 'numeric',
    description: 'distinct people linked by referral or sharing in the last 90 days, plus the referrer',
  },
  {
    name: 'share_night_90d',
    kind: 'numeric',
    description: 'share of sessions started 00-05 UTC, last 90 days',
  },
  {
    name: 'share_morning_90d',
    kind: 'numeric',
    description: 'share of sessions started 06-11 UTC, last 90 days',
  },
  {
    name: 'share_afternoon_90d',
    kind: 'numeric',
    description: 'share of sessions started 12-17 UTC, last 90 days',
  },
  {
    name: 'share_evening_90d',
    kind: 'numeric',
    description: 'share of sessions started 18-23 UTC, last 90 days',
  },
  {
    name: 'share_tv_90d',
    kind: 'numeric',
    description: 'share of sessions on a TV, stick or console, last 90 days',
  },
  {
    name: 'share_mobile_90d',
    kind: 'numeric',
    description: 'share of sessions on a phone or tablet, last 90 days',
  },
  {
    name: 'rfm_r',
    kind: 'numeric',
    description: 'recency score 1-5 from days_since_last_session (see RFM_CUTS)',
  },
  { name: 'rfm_f', kind: 'numeric', description: 'frequency score 1-5 from active_days_30d (see RFM_CUTS)' },
  { name: 'rfm_m', kind: 'numeric', description: 'monetary score 1-5 from total_paid_90d (see RFM_CUTS)' },
  {
    name: 'plan',
    kind: 'categorical',
    description: 'latest plan from subscription events, else the profile',
  },
  { name: 'channel', kind: 'categorical', description: 'acquisition channel (profile)' },
  { name: 'country', kind: 'categorical', description: 'country (profile)' },
  { name: 'device', kind: 'categorical', description: 'main device (profile)' },
  {
    name: 'activity_segment',
    kind: 'categorical',
    description: 'hub, regular, sporadic or sleeper (activitySegment)',
  },
  { name: 'rfm_segment', kind: 'categorical', description: 'named RFM segment (rfmSegment)' },
  {
    name: 'disengagement_evidence',
    kind: 'numeric',
    description:
      "log Bayes factor that the customer's engagement has been fading since some day of the last 60 (fewer sessions, plays per session, completion and notification opens than their own baseline, cancel-page visits) against steady use (disengagement.ts); > 0 favours fading, 0 with under 14 days of history",
  },
  {
    name: 'disengagement_days',
    kind: 'numeric',
    description:
      'days before asOf when the fading most likely began (posterior mean of the change point; 0 with under 14 days of history)',
  },
] as const satisfies readonly FeatureDefinition[];

type Definition = (typeof FEATURE_DEFINITIONS)[number];
export type FeatureName = Definition['name'];
export type NumericFeatureName = Extract<Definition, { kind: 'numeric' }>['name'];
export type CategoricalFeatureName = Extract<Definition, { kind: 'categorical' }>['name'];

/** One customer's features as of a day; numeric features are always finite numbers. */
export type FeatureVector = { readonly [Name in NumericFeatureName]: number } & {
  readonly [Name in CategoricalFeatureName]: string;
};

export const FEATURE_NAMES: readonly FeatureName[] = FEATURE_DEFINITIONS.map((definition) => definition.name);

/** Value of a categorical feature that nothing told us. */
export const UNKNOWN = 'unknown';

/** The vector's values in `FEATURE_DEFINITIONS` order. */
export function featureVectorToRow(vector: FeatureVector): (number | string)[] {
  return FEATURE_DEFINITIONS.map((definition) => vector[definition.name]);
}

export type ActivitySegment = 'hub' | 'regular' | 'sporadic' | 'sleeper';

/**
 * Activity segment from observed behaviour, first rule that applies:
 * 1. sleeper: no session for more than 45 days;
 * 2. hub: active on at least 15 of the last 30 days ("most days");
 * 3. sleeper: lapsing, i.e. at least 6 sessions in 90 days but the daily session rate of the
 *    last 30 days is under half that of the 60 before (trend_sessions_30d < 0.5);
 * 4. regular: active on at least 6 of the last 30 days (about 2-3 times a week);
 * 5. sporadic: otherwise (a day or a few a month).
 */
export function activitySegment(
  vector: Pick<
    FeatureVector,
    'days_since_last_session' | 'active_days_30d' | 'sessions_90d' | 'trend_sessions_30d'
  >,
): ActivitySegment {
  if (vector.days_since_last_session > 45) return 'sleeper';
  if (vector.active_days_30d >= 15) return 'hub';
  if (vector.sessions_90d >= 6 && vector.trend_sessions_30d < 0.5) return 'sleeper';
  if (vector.active_days_30d >= 6) return 'regular';
  return 'sporadic';
}

/**
 * Fixed RFM cut points (not quantiles, so a score means the same in every snapshot):
 * - R from days_since_last_session: <=3 -> 5, <=7 -> 4, <=14 -> 3, <=30 -> 2, else 1;
 * - F from active_days_30d: >=15 -> 5, >=8 -> 4, >=4 -> 3, >=1 -> 2, 0 -> 1;
 * - M from total_paid_90d: >=45 -> 5, >=30 -> 4, >=15 -> 3, >0 -> 2, 0 -> 1. The cuts suit
 *   prices around 6-18 a month (EUR, USD, GBP); amounts are not converted between currencies,
 *   so M overrates customers paying in currencies with small units (the model also sees country).
 */
export const RFM_CUTS = {
  recencyAtMost: [3, 7, 14, 30],
  frequencyAtLeast: [15, 8, 4, 1],
  monetaryAtLeast: [45, 30, 15],
} as const;

function recencyScore(days: number): number {
  const [five, four, three, two] = RFM_CUTS.recencyAtMost;
  if (days <= five) return 5;
  if (days <= four) return 4;
  if (days <= three) return 3;
  if (days <= two) return 2;
  return 1;
}

function frequencyScore(activeDays: number): number {
  const [five, four, three, two] = RFM_CUTS.frequencyAtLeast;
  if (activeDays >= five) return 5;
  if (activeDays >= four) return 4;
  if (activeDays >= three) return 3;
  if (activeDays >= two) return 2;
  return 1;
}

function monetaryScore(paid: number): number {
  const [five, four, three] = RFM_CUTS.monetaryAtLeast;
  if (paid >= five) return 5;
  if (paid >= four) return 4;
  if (paid >= three) return 3;
  if (paid > 0) return 2;
  return 1;
}

export type RfmSegment =
  | 'champion'
  | 'loyal'
  | 'promising'
  | 'needs_attention'
  | 'at_risk'
  | 'hibernating'
  | 'lost';

/**
 * Named RFM segment from R and F, first rule that applies: lost (R 1, F 1), champion (R >= 4,
 * F >= 4), at_risk (R <= 2, F >= 3: was frequent, gone for two weeks), loyal (F >= 4),
 * promising (R >= 4), hibernating (R <= 2), needs_attention (the rest, R 3). M is left out on
 * purpose: it is a separate axis (value) that retention lists combine with risk.
 */
export function rfmSegment(scores: Pick<FeatureVector, 'rfm_r' | 'rfm_f'>): RfmSegment {
  const r = scores.rfm_r;
  const f = scores.rfm_f;
  if (r === 1 && f === 1) return 'lost';
  if (r >= 4 && f >= 4) return 'champion';
  if (r <= 2 && f >= 3) return 'at_risk';
  if (f >= 4) return 'loyal';
  if (r >= 4) return 'promising';
  if (r <= 2) return 'hibernating';
  return 'needs_attention';
}

/**
 * Counter sums over a set of days, and how many of them were active (a session or a play). The
 * sums live in a day aggregate so that `addCounters` sees one object shape and stays fast.
 */
class Totals {
  readonly sum: DayAggregate = emptyDay();
  activeDays = 0;

  add(day: DayAggregate): void {
    addCounters(this.sum, day);
    if (day.sessions > 0 || day.plays > 0) this.activeDays += 1;
  }

  static of(...parts: readonly Totals[]): Totals {
    const totals = new Totals();
    for (const part of parts) {
      addCounters(totals.sum, part.sum);
      totals.activeDays += part.activeDays;
    }
    return totals;
  }
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/**
 * Ratio of daily rates, recent over previous, with a prior rate added to both so that a few
 * events do not swing it and no activity at all reads as steady (1). Each window is shortened
 * to the days the customer was registered, so a new customer is not "rising" against days before
 * they existed; without registered days in both windows there is no evidence, and the trend is 1.
 */
function trend(
  recent: number,
  recentDays: number,
  previous: number,
  previousDays: number,
  prior: number,
): number {
  if (recentDays <= 0 || previousDays <= 0) return 1;
  return (recent / recentDays + prior) / (previous / previousDays + prior);
}

/** Days of ages `from..to` (1 = yesterday) on which the customer was registered. */
function registeredDaysIn(from: number, to: number, tenure: number): number {
  return Math.max(0, Math.min(to, tenure) - from + 1);
}

/** A trend prior of one session per 30 days and one minute watched per day. */
const SESSION_PRIOR_PER_DAY = 1 / 30;
const MINUTE_PRIOR_PER_DAY = 1;

function addMonthsClamped(day: number, months: number): number {
  const date = new Date(day * 86_400_000);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)) / 86_400_000;
}

interface PromoStatus {
  readonly isPartnerPromo: number;
  readonly daysToEnd: number;
  readonly endedLast30Days: number;
}

function promoStatus(
  profile: ProfileLike | undefined,
  registered: number | undefined,
  asOf: number,
  restarted: boolean,
): PromoStatus {
  const status: PromoStatus = { isPartnerPromo: 0, daysToEnd: 0, endedLast30Days: 0 };
  if (profile?.channel !== PARTNER_PROMO.channel || registered === undefined) return status;
  if (restarted) return { ...status, isPartnerPromo: 1 };
  const end = addMonthsClamped(registered, PARTNER_PROMO.months);
  return {
    isPartnerPromo: 1,
    daysToEnd: Math.max(0, end - asOf),
    endedLast30Days: asOf >= end && asOf - end < 30 ? 1 : 0,
  };
}

/** Reused by every call: `computeFeatures` is synchronous, so two calls never share it. */
const disengagementInput = new DisengagementInput();

/**
 * The features of one customer as of the start of `asOf` (`YYYY-MM-DD`, exclusive): only days
 * before `asOf`, and at most `LOOKBACK_DAYS` of them, count. The online store and the training
 * snapshots both call this, on day aggregates built by the same `addEvent`, so a model is
 * served exactly the features it was trained on. Deterministic and independent of the order
 * in which `history.days` lists its days.
 */
export function computeFeatures(history: CustomerHistory, asOf: string): FeatureVector {
  const today = asOfNumber(asOf);
  const profile = history.profile;
  const registered = registrationDay(history);

  // Disjoint age bands; each window is a union of bands, so every day is added once.
  const band7 = new Totals();
  const band14 = new Totals();
  const band28 = new Totals();
  const band30 = new Totals();
  const band90 = new Totals();
  const genres30 = new Set<string>();
  let lastSessionAge = NEVER_DAYS;
  let lastFailureAge = NEVER_DAYS;
  let firstActiveAge = 0;
  let plan: LatestValue<string> | null = null;
  let signUpPrice: LatestValue<number> | null = null;
  let subscriptionState: LatestValue<SubscriptionState> | null = null;
  let paidUntil: string | null = null;
  let restarted = false;
  disengagementInput.reset();

  for (const { day, age, number } of recentDays(history, today)) {
    disengagementInput.add(age, day);
    if (age <= 7) band7.add(day);
    else if (age <= 14) band14.add(day);
    else if (age <= 28) band28.add(day);
    else if (age <= 30) band30.add(day);
    else band90.add(day);
    if (age <= 30) for (const genre of day.genres) genres30.add(genre);
    if (day.sessions > 0 && age < lastSessionAge) lastSessionAge = age;
    if (day.payments_failed > 0 && age < lastFailureAge) lastFailureAge = age;
    if ((day.sessions > 0 || day.plays > 0) && age > firstActiveAge) firstActiveAge = age;
    plan = later(plan, day.plan);
    signUpPrice = later(signUpPrice, day.monthly_price);
    subscriptionState = later(subscriptionState, day.subscription_state);
    paidUntil = laterPaidUntil(paidUntil, day.paid_until);
    if (day.subscriptions_started > 0 && registered !== undefined && number > registered) restarted = true;
  }

  const w7 = band7;
  const w14 = Totals.of(band7, band14);
  const w30 = Totals.of(w14, band28, band30);
  const w90 = Totals.of(w30, band90);
  const tenure = registered === undefined ? firstActiveAge : Math.max(0, today - registered);
  const disengagement = disengagementInput.score(tenure);

  const minutes = (totals: Totals, counter: 'session_seconds' | 'play_seconds') => totals.sum[counter] / 60;
  const trendOf = (
    recent: Totals,
    from: number,
    to: number,
    previous: Totals,
    previousFrom: number,
    previousTo: number,
  ) => ({
    sessions: trend(
      recent.sum.sessions,
      registeredDaysIn(from, to, tenure),
      previous.sum.sessions,
      registeredDaysIn(previousFrom, previousTo, tenure),
      SESSION_PRIOR_PER_DAY,
    ),
    minutes: trend(
      minutes(recent, 'play_seconds'),
      registeredDaysIn(from, to, tenure),
      minutes(previous, 'play_seconds'),
      registeredDaysIn(previousFrom, previousTo, tenure),
      MINUTE_PRIOR_PER_DAY,
    ),
  });
  const trend14 = trendOf(w14, 1, 14, band28, 15, 28);
  const trend30 = trendOf(w30, 1, 30, band90, 31, LOOKBACK_DAYS);
  const promo = promoStatus(profile, registered, today, restarted);
  const sessions90 = w90.sum.sessions;
  const total_paid_90d = w90.sum.paid_cents / 100;
  const active_days_30d = w30.activeDays;
  const rfm_r = recencyScore(lastSessionAge);
  const rfm_f = frequencyScore(active_days_30d);
  const activity_segment = activitySegment({
    days_since_last_session: lastSessionAge,
    active_days_30d,
    sessions_90d: sessions90,
    trend_sessions_30d: trend30.sessions,
  });

  // One literal with every feature, so V8 builds the vector in one go (a spread of this many
  // properties is much slower) and TypeScript checks that none is missing.
  return {
    sessions_7d: w7.sum.sessions,
    sessions_14d: w14.sum.sessions,
    sessions_30d: w30.sum.sessions,
    sessions_90d: sessions90,
    session_minutes_7d: minutes(w7, 'session_seconds'),
    session_minutes_14d: minutes(w14, 'session_seconds'),
    session_minutes_30d: minutes(w30, 'session_seconds'),
    session_minutes_90d: minutes(w90, 'session_seconds'),
    plays_7d: w7.sum.plays,
    plays_14d: w14.sum.plays,
    plays_30d: w30.sum.plays,
    plays_90d: w90.sum.plays,
    play_minutes_7d: minutes(w7, 'play_seconds'),
    play_minutes_14d: minutes(w14, 'play_seconds'),
    play_minutes_30d: minutes(w30, 'play_seconds'),
    play_minutes_90d: minutes(w90, 'play_seconds'),
    active_days_7d: w7.activeDays,
    active_days_14d: w14.activeDays,
    active_days_30d,
    active_days_90d: w90.activeDays,
    trend_sessions_14d: trend14.sessions,
    trend_minutes_14d: trend14.minutes,
    trend_sessions_30d: trend30.sessions,
    trend_minutes_30d: trend30.minutes,
    days_since_last_session: lastSessionAge,
    minutes_per_session_30d: ratio(minutes(w30, 'session_seconds'), w30.sum.sessions),
    completion_rate_30d: ratio(w30.sum.completion_permille / 1000, w30.sum.plays),
    distinct_genres_30d: genres30.size,
    searches_30d: w30.sum.searches + w30.sum.searches_no_result,
    search_no_result_rate_30d: ratio(
      w30.sum.searches_no_result,
      w30.sum.searches + w30.sum.searches_no_result,
    ),
    monthly_price: profile?.monthly_price ?? signUpPrice?.value ?? 0,
    total_paid_90d,
    payments_ok_90d: w90.sum.payments_ok,
    failed_payments_30d: w30.sum.payments_failed,
    failed_payments_90d: w90.sum.payments_failed,
    days_since_last_failed_payment: lastFailureAge,
    days_to_paid_until: paidUntil === null ? 0 : dayNumber(dayOf(paidUntil)) - today,
    paid_until_known: paidUntil === null ? 0 : 1,
    is_cancelled: subscriptionState?.value === 'cancelled' ? 1 : 0,
    subscriptions_cancelled_90d: w90.sum.subscriptions_cancelled,
    cancel_page_views_14d: w14.sum.cancel_page_views,
    cancel_page_views_30d: w30.sum.cancel_page_views,
    support_tickets_30d: w30.sum.support_tickets,
    support_tickets_90d: w90.sum.support_tickets,
    mean_csat_90d: ratio(w90.sum.csat_sum, w90.sum.csat_count),
    buffering_per_session_30d: ratio(w30.sum.buffering_events, w30.sum.sessions),
    crashes_per_session_30d: ratio(w30.sum.app_crashes, w30.sum.sessions),
    notifications_sent_30d: w30.sum.notifications_sent,
    notification_open_rate_30d: ratio(w30.sum.notifications_opened, w30.sum.notifications_sent),
    reviews_90d: w90.sum.reviews,
    mean_rating_90d: ratio(w90.sum.rating_sum, w90.sum.reviews),
    is_partner_promo: promo.isPartnerPromo,
    promo_days_to_end: promo.daysToEnd,
    promo_ended_30d: promo.endedLast30Days,
    tenure_days: tenure,
    referrals_90d: w90.sum.referrals,
    playlists_shared_90d: w90.sum.playlists_shared,
    is_referred: typeof profile?.referred_by === 'string' && profile.referred_by !== '' ? 1 : 0,
    graph_neighbours: graphNeighbours(history, asOf).length,
    share_night_90d: ratio(w90.sum.sessions_night, sessions90),
    share_morning_90d: ratio(w90.sum.sessions_morning, sessions90),
    share_afternoon_90d: ratio(w90.sum.sessions_afternoon, sessions90),
    share_evening_90d: ratio(w90.sum.sessions_evening, sessions90),
    share_tv_90d: ratio(w90.sum.sessions_tv, sessions90),
    share_mobile_90d: ratio(w90.sum.sessions_mobile, sessions90),
    rfm_r,
    rfm_f,
    rfm_m: monetaryScore(total_paid_90d),
    plan: plan?.value ?? profile?.plan ?? UNKNOWN,
    channel: profile?.channel ?? UNKNOWN,
    country: profile?.country ?? UNKNOWN,
    device: profile?.device ?? UNKNOWN,
    activity_segment,
    rfm_segment: rfmSegment({ rfm_r, rfm_f }),
    disengagement_evidence: disengagement.evidence,
    disengagement_days: disengagement.days,
  };
}
