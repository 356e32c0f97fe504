import { EVENT_TYPES, type EventType } from '../schema/event.js';
import { isoAtDay } from './calendar.js';
import {
  ACTIVITY_SEGMENTS,
  CHANNELS,
  COUNTRIES,
  DEVICES,
  PARTNER_PROMO_CHANNEL,
  PLANS,
  TASTE_SEGMENTS,
  USAGE_PATTERNS,
} from './catalog.js';
import { CHURN_CAUSES, type ChurnCause, type Customer } from './customer.js';
import { rocAuc } from './roc-auc.js';
import { EFFECT_WINDOWS, type SimulationResult } from './simulation.js';

/** Churn of one group of customers; `monthly_rate` = churned per 30 days of subscription. */
export interface GroupChurn {
  readonly customers: number;
  readonly churned: number;
  readonly share_churned: number;
  readonly monthly_rate: number;
}

export interface MonthChurn {
  readonly month: number;
  readonly from: string;
  readonly subscribers_at_start: number;
  readonly churned: number;
  readonly rate: number;
}

export interface OracleCutoffSummary {
  readonly cutoff: string;
  readonly cutoff_day: number;
  readonly rows: number;
  readonly positives: number;
  readonly mean_probability: number;
  readonly auc: number;
}

export interface SimulationSummary {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly target_monthly_churn: number;
  readonly drifts: readonly string[];
  readonly seconds: number;
  readonly events: {
    readonly total: number;
    readonly per_customer: number;
    readonly by_type: Readonly<Record<EventType, number>>;
    readonly per_customer_by_type: Readonly<Record<EventType, number>>;
  };
  readonly segment_mix: {
    readonly activity: Readonly<Record<string, number>>;
    readonly taste: Readonly<Record<string, number>>;
    readonly usage: Readonly<Record<string, number>>;
    readonly channel: Readonly<Record<string, number>>;
  };
  readonly churn: {
    readonly churned: number;
    /** Churned per 30 days of subscription over the whole period. */
    readonly monthly_rate: number;
    readonly by_month: readonly MonthChurn[];
    readonly by_activity: Readonly<Record<string, GroupChurn>>;
    readonly by_taste: Readonly<Record<string, GroupChurn>>;
    readonly by_usage: Readonly<Record<string, GroupChurn>>;
    readonly by_channel: Readonly<Record<string, GroupChurn>>;
    readonly by_plan: Readonly<Record<string, GroupChurn>>;
    readonly by_device: Readonly<Record<string, GroupChurn>>;
    readonly by_country: Readonly<Record<string, GroupChurn>>;
    readonly by_cause: Readonly<Record<ChurnCause, number>>;
    readonly came_back_within_30_days: number;
  };
  readonly promo_expiry: {
    readonly partner_promo_customers: number;
    readonly expired_in_period: number;
    /** Partner-promo customers, churn per 30 days from 7 days before to 45 days after expiry. */
    readonly monthly_rate_near_expiry: number;
    /** The same customers at other times. */
    readonly monthly_rate_otherwise: number;
    readonly churned_share_expired: number;
    readonly churned_share_not_expired: number;
  };
  readonly payment_failures: {
    readonly customers_with_failure: number;
    readonly churned_share_with_failure: number;
    readonly churned_share_without_failure: number;
    readonly monthly_rate_with_failure: number;
    readonly monthly_rate_without_failure: number;
    /** Churn per 30 days in the 45 days from a failed renewal charge on (retries included). */
    readonly monthly_rate_after_failure: number;
    /** Churn per 30 days at all other times. */
    readonly monthly_rate_otherwise: number;
    readonly involuntary_share_of_churn: number;
  };
  /** Churn spreading along the social graph (friend groups, referrals). */
  readonly social: {
    readonly friend_groups: number;
    readonly customers_in_groups: number;
    readonly referred_customers: number;
    /** Churn per 30 days within 90 days after a friend churned. */
    readonly monthly_rate_after_friend_churn: number;
    readonly monthly_rate_otherwise: number;
  };
  readonly oracle: {
    readonly horizon_days: number;
    readonly rows: number;
    readonly auc: number;
    readonly by_cutoff: readonly OracleCutoffSummary[];
  };
  /** From the hidden state: how early churn shows, for lead-time targets. */
  readonly hidden_lead_days: {
    readonly median_onset_to_churn: number;
    readonly median_cancel_to_churn: number;
  };
}

function groupChurn(customers: readonly Customer[]): GroupChurn {
  let churned = 0;
  let exposure = 0;
  for (const customer of customers) {
    exposure += customer.exposureDays;
    if (customer.churnDay >= 0) churned += 1;
  }
  return {
    customers: customers.length,
    churned,
    share_churned: customers.length === 0 ? 0 : churned / customers.length,
    monthly_rate: exposure === 0 ? 0 : churned / (exposure / 30),
  };
}

function groupBy(
  customers: readonly Customer[],
  names: readonly string[],
  keyOf: (customer: Customer) => number,
): Record<string, GroupChurn> {
  const groups = names.map((): Customer[] => []);
  for (const customer of customers) groups[keyOf(customer)]?.push(customer);
  return Object.fromEntries(names.map((name, index) => [name, groupChurn(groups[index] ?? [])]));
}

function shares(
  customers: readonly Customer[],
  names: readonly string[],
  keyOf: (customer: Customer) => number,
) {
  const counts = names.map(() => 0);
  for (const customer of customers) counts[keyOf(customer)] = (counts[keyOf(customer)] ?? 0) + 1;
  return Object.fromEntries(
    names.map((name, index) => [name, (counts[index] ?? 0) / Math.max(1, customers.length)]),
  );
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1
    ? (values[middle] ?? Number.NaN)
    : ((values[middle - 1] ?? 0) + (values[middle] ?? 0)) / 2;
}

const round = (value: number, digits = 4): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** The figures that show what the simulated world is like, and the oracle's ROC-AUC. */
export function summarizeSimulation(result: SimulationResult): SimulationSummary {
  const { customers, options, oracle, world } = result;
  const churnedCustomers = customers.filter((customer) => customer.churnDay >= 0);

  const byMonth: MonthChurn[] = result.subscribersAtMonthStart.map((subscribers, month) => {
    const from = month * 30;
    const churned = churnedCustomers.filter((c) => c.churnDay >= from && c.churnDay < from + 30).length;
    return {
      month: month + 1,
      from: isoAtDay(world.startMs, from).slice(0, 10),
      subscribers_at_start: subscribers,
      churned,
      rate: round(subscribers === 0 ? 0 : churned / subscribers),
    };
  });

  const byCause = Object.fromEntries(CHURN_CAUSES.map((cause) => [cause, 0])) as Record<ChurnCause, number>;
  for (const customer of churnedCustomers) {
    if (customer.churnCause !== '') byCause[customer.churnCause] += 1;
  }

  const promoChannel = CHANNELS.findIndex((channel) => channel.name === PARTNER_PROMO_CHANNEL);
  const promo = customers.filter((customer) => customer.channel === promoChannel);
  const expired = promo.filter((c) => c.promoEndDay >= 0 && c.promoEndDay < options.days);
  let nearChurned = 0;
  let nearExposure = 0;
  let otherChurned = 0;
  let otherExposure = 0;
  for (const customer of promo) {
    nearExposure += customer.promoWindowExposureDays;
    otherExposure += customer.exposureDays - customer.promoWindowExposureDays;
    if (customer.churnDay < 0) continue;
    const since = customer.churnDay - customer.promoEndDay;
    if (since >= -EFFECT_WINDOWS.promoBefore && since < EFFECT_WINDOWS.promoAfter) nearChurned += 1;
    else otherChurned += 1;
  }
  const notExpired = promo.filter((c) => !(c.promoEndDay >= 0 && c.promoEndDay < options.days));

  const withFailure = customers.filter((customer) => customer.failedPayments > 0);
  const withoutFailure = customers.filter((customer) => customer.failedPayments === 0);
  const failureGroup = groupChurn(withFailure);
  let afterFailureChurned = 0;
  let afterFailureExposure = 0;
  let allExposure = 0;
  for (const customer of customers) {
    afterFailureExposure += customer.postFailureExposureDays;
    allExposure += customer.exposureDays;
    const since = customer.churnDay - customer.lastHoldStart;
    if (customer.churnDay >= 0 && since >= 0 && since < EFFECT_WINDOWS.afterFailure) afterFailureChurned += 1;
  }
  const otherExposureDays = allExposure - afterFailureExposure;
  const noFailureGroup = groupChurn(withoutFailure);

  let friendChurned = 0;
  let friendExposure = 0;
  for (const customer of customers) {
    friendExposure += customer.friendChurnExposureDays;
    const since = customer.churnDay - customer.friendChurnDay1;
    if (customer.churnDay >= 0 && since >= 0 && since < EFFECT_WINDOWS.afterFriendChurn) friendChurned += 1;
  }
  const byCutoff: OracleCutoffSummary[] = [];
  for (const cutoff of options.cutoffs) {
    const probabilities: number[] = [];
    const labels: number[] = [];
    for (let row = 0; row < oracle.length; row++) {
      if (oracle.cutoff[row] !== cutoff) continue;
      probabilities.push(oracle.probability[row] ?? 0);
      labels.push(oracle.label[row] ?? 0);
    }
    const positives = labels.reduce((sum, label) => sum + label, 0);
    byCutoff.push({
      cutoff: isoAtDay(world.startMs, cutoff),
      cutoff_day: cutoff,
      rows: labels.length,
      positives,
      mean_probability: round(
        probabilities.reduce((sum, p) => sum + p, 0) / Math.max(1, probabilities.length),
      ),
      auc: round(rocAuc(probabilities, labels)),
    });
  }

  const byType = result.eventCounts;
  const perCustomerByType = Object.fromEntries(
    EVENT_TYPES.map((type) => [type, round(byType[type] / customers.length, 3)]),
  ) as Record<EventType, number>;

  return {
    customers: customers.length,
    days: options.days,
    seed: options.seed,
    start: isoAtDay(world.startMs, 0),
    end: isoAtDay(world.startMs, options.days),
    target_monthly_churn: options.monthlyChurn,
    drifts: options.drifts.map((drift) => `${drift.kind}@${drift.day}`),
    seconds: round(result.seconds, 2),
    events: {
      total: result.events,
      per_customer: round(result.events / customers.length, 2),
      by_type: byType,
      per_customer_by_type: perCustomerByType,
    },
    segment_mix: {
      activity: shares(customers, ACTIVITY_SEGMENTS, (c) => c.activity),
      taste: shares(customers, TASTE_SEGMENTS, (c) => c.taste),
      usage: shares(customers, USAGE_PATTERNS, (c) => c.usage),
      channel: shares(
        customers,
        CHANNELS.map((channel) => channel.name),
        (c) => c.channel,
      ),
    },
    churn: {
      churned: churnedCustomers.length,
      monthly_rate: round(groupChurn(customers).monthly_rate),
      by_month: byMonth,
      by_activity: groupBy(customers, ACTIVITY_SEGMENTS, (c) => c.activity),
      by_taste: groupBy(customers, TASTE_SEGMENTS, (c) => c.taste),
      by_usage: groupBy(customers, USAGE_PATTERNS, (c) => c.usage),
      by_channel: groupBy(
        customers,
        CHANNELS.map((channel) => channel.name),
        (c) => c.channel,
      ),
      by_plan: groupBy(
        customers,
        PLANS.map((plan) => plan.name),
        (c) => c.plan,
      ),
      by_device: groupBy(
        customers,
        DEVICES.map((device) => device.name),
        (c) => c.device,
      ),
      by_country: groupBy(
        customers,
        COUNTRIES.map((country) => country.code),
        (c) => c.country,
      ),
      by_cause: byCause,
      came_back_within_30_days: customers.reduce((sum, customer) => sum + customer.winbacks, 0),
    },
    promo_expiry: {
      partner_promo_customers: promo.length,
      expired_in_period: expired.length,
      monthly_rate_near_expiry: round(nearExposure === 0 ? 0 : nearChurned / (nearExposure / 30)),
      monthly_rate_otherwise: round(otherExposure === 0 ? 0 : otherChurned / (otherExposure / 30)),
      churned_share_expired: round(groupChurn(expired).share_churned),
      churned_share_not_expired: round(groupChurn(notExpired).share_churned),
    },
    payment_failures: {
      customers_with_failure: withFailure.length,
      churned_share_with_failure: round(failureGroup.share_churned),
      churned_share_without_failure: round(noFailureGroup.share_churned),
      monthly_rate_with_failure: round(failureGroup.monthly_rate),
      monthly_rate_without_failure: round(noFailureGroup.monthly_rate),
      monthly_rate_after_failure: round(
        afterFailureExposure === 0 ? 0 : afterFailureChurned / (afterFailureExposure / 30),
      ),
      monthly_rate_otherwise: round(
        otherExposureDays === 0
          ? 0
          : (churnedCustomers.length - afterFailureChurned) / (otherExposureDays / 30),
      ),
      involuntary_share_of_churn: round(byCause.payment_failed / Math.max(1, churnedCustomers.length)),
    },
    social: {
      friend_groups: customers.filter(
        (customer) => customer.groupStart === customer.index && customer.groupSize > 1,
      ).length,
      customers_in_groups: customers.filter((customer) => customer.groupSize > 1).length,
      referred_customers: customers.filter((customer) => customer.referrer >= 0).length,
      monthly_rate_after_friend_churn: round(
        friendExposure === 0 ? 0 : friendChurned / (friendExposure / 30),
      ),
      monthly_rate_otherwise: round(
        allExposure - friendExposure <= 0
          ? 0
          : (churnedCustomers.length - friendChurned) / ((allExposure - friendExposure) / 30),
      ),
    },
    oracle: {
      horizon_days: options.horizonDays,
      rows: oracle.length,
      auc: round(rocAuc(oracle.probability, oracle.label)),
      by_cutoff: byCutoff,
    },
    hidden_lead_days: {
      median_onset_to_churn: median(
        churnedCustomers
          .filter((c) => c.onsetDay > Number.NEGATIVE_INFINITY)
          .map((c) => c.churnDay - c.onsetDay),
      ),
      median_cancel_to_churn: median(
        churnedCustomers
          .filter((c) => c.cancelledDay > Number.NEGATIVE_INFINITY && c.churnCause !== 'payment_failed')
          .map((c) => c.churnDay - c.cancelledDay),
      ),
    },
  };
}
