/** Where a customer is in their life cycle; the simulator's hidden state. */
export const Phase = {
  /** Not yet registered (arrives later in the period). */
  Pending: 0,
  /** Subscribed and content. */
  Active: 1,
  /** Subscribed but disengaging: usage decays, cancel-page visits grow, cancellation is likely. */
  AtRisk: 2,
  /** Cancelled; still has access until the end of the paid period. */
  Cancelled: 3,
  /** A renewal payment failed; access is suspended while it is retried. */
  OnHold: 4,
  /** Subscription ended, but the customer comes back within 30 days (so it is not churn). */
  Lapsed: 5,
  /** Gone: the subscription ended and nobody came back within 30 days. */
  Churned: 6,
} as const;

export type Phase = (typeof Phase)[keyof typeof Phase];

/** Why a subscription ended, from the driver that dominated the hazard (or the payment). */
export const CHURN_CAUSES = [
  'price',
  'promo_end',
  'quality',
  'content',
  'friends',
  'not_using',
  'payment_failed',
] as const;
export type ChurnCause = (typeof CHURN_CAUSES)[number];

/**
 * One simulated customer: fixed traits drawn at creation, then the state the daily loop updates.
 * A class with every field set in the constructor keeps V8's object shape stable in the hot loop.
 */
export class Customer {
  // --- identity and profile ---
  readonly index: number;
  readonly userId: string;
  groupStart = 0;
  groupSize = 1;
  /** Index of the friend who referred this customer, or -1. */
  referrer = -1;
  activity = 0;
  taste = 0;
  usage = 0;
  plan = 0;
  channel = 0;
  country = 0;
  device = 0;
  /** Used for part of the sessions by mixed-usage customers, -1 otherwise. */
  secondDevice = -1;
  managerId = '';
  /** Day of registration relative to the start (negative: a customer from before the period). */
  arrivalDay = 0;
  registeredMs = 0;
  /** Renewals fall on this date's day of month. */
  anchorMs = 0;
  listPrice = 0;
  /** First day charged at full price for partner-promo customers; +Infinity otherwise. */
  promoEndDay = Number.POSITIVE_INFINITY;

  // --- hidden traits ---
  baseSessionsPerDay = 0;
  /** Sleepers' usage decays from this day on. */
  lapseStartDay = 0;
  /** Log of the static part of the churn-onset hazard (segment, channel, unobserved frailty). */
  staticLogHazard = 0;
  logFrailty = 0;
  priceSensitivity = 1;
  paymentFailProbability = 0;
  retrySuccessProbability = 0;
  notificationOpenProbability = 0;
  /** Shifts CSAT answers: patient customers rate support better. */
  patience = 0;
  winbackProbability = 0;
  /** Daily engagement factor while disengaging (exp(-1/tau)). */
  engagementDecay = 1;
  favouriteGenre = 0;
  groupGenre = 0;
  bufferingRate = 0;
  crashRate = 0;
  /** Expected frustration (buffering and crashes) relative to the average customer. */
  frustration = 1;
  /** Day of week on which the slow interest process moves. */
  interestWeekday = 0;

  // --- state ---
  phase: Phase = Phase.Pending;
  /** Multiplies usage: 1 when engaged, decaying towards 0 while disengaging. */
  engagement = 1;
  /** A slow AR(1) interest level, standard normal at equilibrium. */
  interest = 0;
  onsetDay = Number.NEGATIVE_INFINITY;
  cancelledDay = Number.NEGATIVE_INFINITY;
  /** Number of the billing month whose end is `paidUntil` (months after the anchor). */
  cycle = 0;
  paidUntil = 0;
  holdStart = 0;
  holdStage = 0;
  /** The phase to return to if a retried payment succeeds. */
  holdPhase: Phase = Phase.Active;
  lastFailDay = Number.NEGATIVE_INFINITY;
  lastBadTicketDay = Number.NEGATIVE_INFINITY;
  friendChurnDay1 = Number.NEGATIVE_INFINITY;
  friendChurnDay2 = Number.NEGATIVE_INFINITY;
  returnDay = -1;
  churnDay = -1;
  churnCause: ChurnCause | '' = '';
  /** What set off the current disengagement (the reason given when cancelling). */
  endReason: ChurnCause | '' = '';
  /** Days subscribed inside the period (exposure for churn rates). */
  exposureDays = 0;
  /** Exposure days inside the window around promo expiry. */
  promoWindowExposureDays = 0;
  /** Exposure days within 45 days after a renewal whose payment failed. */
  postFailureExposureDays = 0;
  /** Exposure days within 90 days after a friend churned. */
  friendChurnExposureDays = 0;
  /** Renewal day of the latest failed charge. */
  lastHoldStart = Number.NEGATIVE_INFINITY;
  failedPayments = 0;
  firstFailDay = -1;
  winbacks = 0;
  eventSequence = 0;

  constructor(index: number, userId: string) {
    this.index = index;
    this.userId = userId;
  }

  /** Holds a subscription today (paying, cancelled-but-paid, or on hold). */
  get isSubscribed(): boolean {
    return this.phase >= Phase.Active && this.phase <= Phase.OnHold;
  }
}
