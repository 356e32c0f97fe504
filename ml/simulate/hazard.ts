import { PREMIERE_FRESH_DAYS, PROMO_DISCOUNT, TASTE_SEGMENTS } from './catalog.js';
import { type ChurnCause, type Customer, Phase } from './customer.js';
import type { World } from './world.js';

/**
 * The hidden churn process, shared by the simulator (which draws from it) and the oracle (which
 * integrates it). A customer moves Active -> AtRisk at the onset hazard below; AtRisk customers
 * cancel at CANCEL_PER_DAY (more in the days before a renewal) or recover; a cancellation ends
 * the subscription at the end of the paid period. Failed renewals put the account on hold and
 * end it if every retry fails.
 *
 * Log-hazard coefficients: each names a driver the issue asks for.
 */
export const HAZARD = {
  /** x price sensitivity x (price paid relative to list price - 1). */
  price: 1.0,
  /** x price sensitivity x the world's price-rise shock (the outrage fades after the announcement). */
  priceRise: 0.9,
  /** Bill shock when the promo discount ends, decaying with `promoShockDays`. */
  promoShock: 2.0,
  promoShockDays: 21,
  /** The shock starts when the "your discount ends" reminder arrives. */
  promoLeadDays: 7,
  /** x (expected frustration x quality factor - 1). */
  frustration: 0.7,
  /** For `paymentFailureDays` after a failed payment, even one that was recovered. */
  paymentFailure: 0.9,
  paymentFailureDays: 30,
  /** After a support ticket rated 1-2, decaying with `badTicketDays`. */
  badTicket: 0.9,
  badTicketDays: 20,
  /** Per friend (same social group) who churned in the last `friendDays`. */
  friend: 0.8,
  friendDays: 45,
  /** New customers are fragile; fades out over `newCustomerDays`. */
  newCustomer: 0.6,
  newCustomerDays: 60,
  /** Premieres-only customers once the latest premiere is stale. */
  premiereGap: 0.9,
  /** x interest (standard normal): bored customers leave. */
  interest: 0.6,
} as const;

/** Spread of the unobserved per-customer frailty (log scale). It is what no feature can see. */
export const FRAILTY_SIGMA = 0.9;
export const CANCEL_PER_DAY = 0.022;
export const CANCEL_NEAR_RENEWAL_FACTOR = 4;
export const NEAR_RENEWAL_DAYS = 4;
export const RECOVERY_PER_DAY = 0.008;
/**
 * Sudden cancellations straight from Active, relative to the base hazard: the part of churn
 * that gives no warning. It is the main knob for the oracle's ROC-AUC.
 */
export const IMPULSIVE_RATIO = 0.1;
/** Weekly persistence of the interest process. */
export const INTEREST_PERSISTENCE = 0.85;
/** Retries of a failed renewal, in days after the first attempt. */
export const RETRY_OFFSETS = [2, 4, 7] as const;
/** Disengaging customers rarely bother to fix their card. */
export const AT_RISK_RETRY_FACTOR = 0.45;

const PREMIERES_ONLY = TASTE_SEGMENTS.indexOf('premieres_only');

function premiereIsStale(world: World, customer: Customer, day: number): boolean {
  return customer.taste === PREMIERES_ONLY && day - (world.latestPremiere[day] ?? 0) > PREMIERE_FRESH_DAYS;
}

export function relativePrice(world: World, customer: Customer, day: number): number {
  const discount = day < customer.promoEndDay ? PROMO_DISCOUNT : 1;
  return discount * (world.priceFactor[day] ?? 1);
}

function promoShock(customer: Customer, day: number): number {
  const since = day - customer.promoEndDay;
  if (since < -HAZARD.promoLeadDays) return 0;
  return Math.exp(-Math.max(0, since) / HAZARD.promoShockDays);
}

function friendsChurned(customer: Customer, day: number): number {
  let count = 0;
  if (day - customer.friendChurnDay1 <= HAZARD.friendDays) count += 1;
  if (day - customer.friendChurnDay2 <= HAZARD.friendDays) count += 1;
  return count;
}

/**
 * Log of the daily Active -> AtRisk hazard without the interest term (which the simulator adds
 * from the realised interest and the oracle from its expectation).
 */
export function onsetLogHazard(world: World, customer: Customer, day: number): number {
  let log = world.logHazardScale + customer.staticLogHazard;
  log += HAZARD.price * customer.priceSensitivity * (relativePrice(world, customer, day) - 1);
  log += HAZARD.priceRise * customer.priceSensitivity * (world.priceRiseShock[day] ?? 0);
  if (customer.promoEndDay !== Number.POSITIVE_INFINITY) log += HAZARD.promoShock * promoShock(customer, day);
  log += HAZARD.frustration * (customer.frustration * (world.qualityFactor[day] ?? 1) - 1);
  const age = day - customer.arrivalDay;
  if (age < HAZARD.newCustomerDays) log += HAZARD.newCustomer * (1 - age / HAZARD.newCustomerDays);
  if (premiereIsStale(world, customer, day)) log += HAZARD.premiereGap;
  if (day - customer.lastFailDay <= HAZARD.paymentFailureDays) log += HAZARD.paymentFailure;
  if (customer.lastBadTicketDay > Number.NEGATIVE_INFINITY) {
    log += HAZARD.badTicket * Math.exp(-(day - customer.lastBadTicketDay) / HAZARD.badTicketDays);
  }
  log += HAZARD.friend * friendsChurned(customer, day);
  return log;
}

/** Daily probability of cancelling straight from Active. */
export function impulsiveProbability(world: World, customer: Customer): number {
  return IMPULSIVE_RATIO * world.hazardScale * Math.exp(0.35 * customer.logFrailty);
}

/** Daily probability that a disengaging customer cancels. */
export function cancelProbability(day: number, paidUntil: number): number {
  return paidUntil - day <= NEAR_RENEWAL_DAYS ? CANCEL_PER_DAY * CANCEL_NEAR_RENEWAL_FACTOR : CANCEL_PER_DAY;
}

export function retrySuccessProbability(customer: Customer, phase: Phase): number {
  return phase === Phase.AtRisk
    ? customer.retrySuccessProbability * AT_RISK_RETRY_FACTOR
    : customer.retrySuccessProbability;
}

/** The driver that weighs most in the hazard today: the reason a cancelling customer gives. */
export function dominantCause(world: World, customer: Customer, day: number): ChurnCause {
  const candidates: Array<[ChurnCause, number]> = [
    [
      'price',
      HAZARD.priceRise * customer.priceSensitivity * (world.priceRiseShock[day] ?? 0) +
        0.2 * customer.priceSensitivity,
    ],
    [
      'promo_end',
      customer.promoEndDay === Number.POSITIVE_INFINITY ? 0 : HAZARD.promoShock * promoShock(customer, day),
    ],
    ['quality', HAZARD.frustration * (customer.frustration * (world.qualityFactor[day] ?? 1) - 1)],
    ['content', premiereIsStale(world, customer, day) ? HAZARD.premiereGap : 0],
    ['friends', HAZARD.friend * friendsChurned(customer, day)],
  ];
  let best: ChurnCause = 'not_using';
  let bestWeight = 0.45;
  for (const [cause, weight] of candidates) {
    if (weight > bestWeight) {
      best = cause;
      bestWeight = weight;
    }
  }
  return best;
}
