import { supportTicket } from './behaviour.js';
import { addMonthsDay } from './calendar.js';
import { CHANNELS, COUNTRIES, PAYMENT_FAILURE_REASONS, PLANS } from './catalog.js';
import { type ChurnCause, type Customer, Phase } from './customer.js';
import type { EventWriter } from './event-writer.js';
import { RETRY_OFFSETS, relativePrice, retrySuccessProbability } from './hazard.js';
import type { Random } from './random.js';
import type { World } from './world.js';

/** Billing runs at night; its events fall between 03:00 and 06:00 UTC. */
function billingTime(random: Random): number {
  return 3 * 3600 + random.below(3 * 3600);
}

function daytime(random: Random): number {
  return 8 * 3600 + random.below(15 * 3600);
}

/** A renewal that still fails after the last retry also fails with a support ticket this often. */
const TICKET_ON_FAILURE = 0.25;

/**
 * Subscriptions: sign-up, monthly renewal with failed payments and retries, cancellation, the
 * end of the paid period and the occasional return. Churn is decided here: an ended subscription
 * becomes churn unless the customer comes back within 30 days.
 */
export class Lifecycle {
  private readonly world: World;
  private readonly out: EventWriter;
  private readonly customers: readonly Customer[];
  private readonly isoDays: readonly string[];

  /** `isoDays[d]`: midnight of day d as ISO text, far enough past the end for next renewals. */
  constructor(world: World, out: EventWriter, customers: readonly Customer[], isoDays: readonly string[]) {
    this.world = world;
    this.out = out;
    this.customers = customers;
    this.isoDays = isoDays;
  }

  private iso(day: number): string {
    return this.isoDays[day] ?? new Date(this.world.startMs + day * 86_400_000).toISOString();
  }

  private plan(customer: Customer): string {
    return PLANS[customer.plan]?.name ?? 'standard';
  }

  private currency(customer: Customer): string {
    return COUNTRIES[customer.country]?.currency ?? 'EUR';
  }

  private charge(customer: Customer, day: number): number {
    return customer.listPrice * relativePrice(this.world, customer, day);
  }

  private startCycle(customer: Customer, day: number): void {
    customer.anchorMs = this.world.startMs + day * 86_400_000;
    customer.cycle = 1;
    customer.paidUntil = addMonthsDay(this.world.startMs, customer.anchorMs, 1);
  }

  /** Registration inside the period. */
  arrive(customer: Customer, day: number): void {
    customer.phase = Phase.Active;
    customer.engagement = 1;
    this.startCycle(customer, day);
    const second = Math.floor((customer.registeredMs - this.world.startMs) / 1000) - day * 86_400;
    const referrer = customer.referrer >= 0 ? this.customers[customer.referrer] : undefined;
    // The referral is credited when the friend signs up, if the referrer is still a customer.
    if (referrer?.isSubscribed) this.out.referral(referrer, second - 1, customer.userId);
    const channel = CHANNELS[customer.channel]?.name ?? 'organic';
    this.out.subscriptionStarted(customer, second, this.plan(customer), this.charge(customer, day), channel);
    this.out.paymentSucceeded(customer, second + 5, this.charge(customer, day), this.currency(customer), 1);
  }

  /** Back within 30 days of the end of the paid period: a new subscription, and not churn. */
  comeBack(customer: Customer, day: number, random: Random): void {
    customer.phase = Phase.Active;
    customer.engagement = 0.7;
    customer.promoEndDay = Number.POSITIVE_INFINITY;
    customer.winbacks += 1;
    customer.returnDay = -1;
    this.startCycle(customer, day);
    const second = daytime(random);
    this.out.subscriptionStarted(
      customer,
      second,
      this.plan(customer),
      this.charge(customer, day),
      'winback',
    );
    this.out.paymentSucceeded(customer, second + 5, this.charge(customer, day), this.currency(customer), 1);
  }

  /** Renewal day for a paying customer: charge, and put the account on hold if the charge fails. */
  renew(customer: Customer, day: number, random: Random): void {
    const amount = this.charge(customer, day);
    const second = billingTime(random);
    if (random.chance(customer.paymentFailProbability)) {
      this.out.paymentFailed(
        customer,
        second,
        amount,
        this.currency(customer),
        1,
        random.pick(PAYMENT_FAILURE_REASONS),
      );
      this.out.notificationSent(customer, second + 60, 'payment_update', 'email');
      customer.holdPhase = customer.phase;
      customer.phase = Phase.OnHold;
      customer.holdStart = day;
      customer.holdStage = 0;
      customer.lastHoldStart = day;
      this.recordFailure(customer, day);
      return;
    }
    this.out.paymentSucceeded(customer, second, amount, this.currency(customer), 1);
    this.advanceCycle(customer, second + 2);
  }

  private advanceCycle(customer: Customer, second: number): void {
    customer.cycle += 1;
    customer.paidUntil = addMonthsDay(this.world.startMs, customer.anchorMs, customer.cycle);
    this.out.subscriptionRenewed(customer, second, this.plan(customer), this.iso(customer.paidUntil));
  }

  private recordFailure(customer: Customer, day: number): void {
    customer.lastFailDay = day;
    customer.failedPayments += 1;
    if (customer.firstFailDay < 0) customer.firstFailDay = day;
  }

  /** A day of an account on hold: retry on the retry days; the last failure ends the subscription. */
  retry(customer: Customer, day: number, random: Random): void {
    const offset = RETRY_OFFSETS[customer.holdStage];
    if (offset === undefined || day !== customer.holdStart + offset) return;
    const attempt = customer.holdStage + 2;
    const amount = this.charge(customer, customer.holdStart);
    const second = billingTime(random);
    if (random.chance(retrySuccessProbability(customer, customer.holdPhase))) {
      this.out.paymentSucceeded(customer, second, amount, this.currency(customer), attempt);
      customer.phase = customer.holdPhase;
      this.advanceCycle(customer, second + 2);
      return;
    }
    this.out.paymentFailed(customer, second, amount, this.currency(customer), attempt, 'retry_declined');
    this.recordFailure(customer, day);
    customer.holdStage += 1;
    if (customer.holdStage < RETRY_OFFSETS.length) return;
    if (random.chance(TICKET_ON_FAILURE)) supportTicket(this.out, customer, day, 'billing', random);
    this.out.subscriptionCancelled(customer, second + 30, 'payment_failed', this.iso(customer.holdStart));
    this.end(customer, day, customer.holdStart, 'payment_failed', random);
  }

  /** The customer cancels today; access lasts until the end of the paid period. */
  cancel(customer: Customer, day: number, cause: ChurnCause, random: Random): void {
    const second = daytime(random);
    this.out.cancelPageView(customer, second);
    this.out.subscriptionCancelled(
      customer,
      second + 40 + random.below(200),
      cause,
      this.iso(customer.paidUntil),
    );
    customer.phase = Phase.Cancelled;
    customer.cancelledDay = day;
    customer.endReason = cause;
  }

  /**
   * The subscription ends on `day`; its paid period ended on `paidUntil`. Some customers come
   * back within the 30 days that decide churn; for the others `paidUntil` is the churn date.
   */
  end(customer: Customer, day: number, paidUntil: number, cause: ChurnCause, random: Random): void {
    const lastReturnDay = paidUntil + 29;
    if (lastReturnDay > day && random.chance(customer.winbackProbability)) {
      customer.phase = Phase.Lapsed;
      customer.returnDay = day + 1 + random.below(lastReturnDay - day);
      return;
    }
    customer.phase = Phase.Churned;
    customer.churnDay = paidUntil;
    customer.churnCause = cause;
    const groupEnd = customer.groupStart + customer.groupSize;
    for (let index = customer.groupStart; index < groupEnd; index++) {
      const friend = this.customers[index];
      if (friend === undefined || friend === customer || friend.phase === Phase.Churned) continue;
      friend.friendChurnDay2 = friend.friendChurnDay1;
      friend.friendChurnDay1 = day;
    }
  }
}
