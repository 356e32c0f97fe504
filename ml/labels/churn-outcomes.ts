import { dayNumber } from '../features/day-aggregate.js';
import type { Event } from '../schema/event.js';

/** Days without a session after the end of the paid period that make a lapse a churn (DESIGN.md, Label). */
export const DEFAULT_GRACE_DAYS = 30;

const DAY_MS = 86_400_000;

/** What the events say about one customer's churn, as of the end of the observation. */
export interface ChurnOutcome {
  /**
   * End of the paid period after which the customer neither renewed nor had a session for
   * `graceDays` (the timestamp the billing event named); null when no such lapse was seen.
   */
  readonly churn_date: string | null;
  /**
   * True once `graceDays` after `churn_date` lie inside the observation. An unconfirmed churn
   * date is a lapse still in progress: cancelled or not renewed, no session since, but the grace
   * period is not over (or the paid period has not even ended).
   */
  readonly confirmed: boolean;
  /**
   * The churn date when there is one; otherwise the latest end of the paid period of the current
   * subscription, null when no renewal or cancellation named it.
   */
  readonly paid_until: string | null;
  /**
   * `YYYY-MM-DD`, exclusive: every churn date before this day would have been confirmed, so when
   * `churn_date` is null the customer certainly did not churn before it.
   */
  readonly known_until: string;
}

export interface ChurnOutcomeOptions {
  /** `YYYY-MM-DD`, exclusive: the first day whose events were not seen. Later events are ignored. */
  readonly observedUntil: string;
  /** @default 30 */
  readonly graceDays?: number;
  /**
   * `YYYY-MM-DD`: report the churn that matters from this day on: the customer's churn if they
   * were churned at the start of that day (and had not re-subscribed by then), else the first
   * churn dated on or after it. Without it, the first churn seen.
   */
  readonly from?: string;
}

type BillingKind = 0 | 1 | 2;
const STARTED: BillingKind = 0;
const RENEWED: BillingKind = 1;
const CANCELLED: BillingKind = 2;

interface BillingEvent {
  readonly ms: number;
  readonly kind: BillingKind;
  /** End of the paid period the event names, or NaN. */
  readonly paidUntilMs: number;
  readonly paidUntil: string | null;
}

/** Earliest and latest activity of a day; enough to answer "any activity in [from, to)" for whole-day windows. */
interface ActiveDay {
  first: number;
  last: number;
}

interface CustomerRecord {
  readonly billing: BillingEvent[];
  readonly activity: Map<number, ActiveDay>;
}

interface Lapse {
  readonly paidUntilMs: number;
  readonly paidUntil: string;
  readonly confirmed: boolean;
  /** When a subscription started or renewed again after the lapse; NaN while it has not. */
  restartMs: number;
}

function parseDayOption(field: string, day: string): number {
  try {
    return dayNumber(day) * DAY_MS;
  } catch {
    throw new RangeError(`${field}: expected a calendar day YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
}

function compareBilling(a: BillingEvent, b: BillingEvent): number {
  // Ties are broken on content, so the walk does not depend on the order events were read in.
  if (a.ms !== b.ms) return a.ms - b.ms;
  if (a.kind !== b.kind) return a.kind - b.kind;
  const x = Number.isNaN(a.paidUntilMs) ? -1 : a.paidUntilMs;
  const y = Number.isNaN(b.paidUntilMs) ? -1 : b.paidUntilMs;
  return x - y;
}

/**
 * Collects, per customer, what churn derivation needs: subscription events and the days with a
 * session or a play (earliest and latest time of each). Fed one event at a time, so a batch job
 * can stream a bucket of the lakehouse through it without holding the events.
 *
 * Duplicates are the caller's job, as for day aggregates; a repeated billing event changes
 * nothing, a repeated session neither.
 */
export class ChurnOutcomeBuilder {
  private readonly customers = new Map<string, CustomerRecord>();

  private record(userId: string): CustomerRecord {
    let record = this.customers.get(userId);
    if (record === undefined) {
      record = { billing: [], activity: new Map() };
      this.customers.set(userId, record);
    }
    return record;
  }

  add(event: Event): void {
    switch (event.type) {
      case 'session_start':
      case 'play': {
        const ms = Date.parse(event.ts);
        const day = Math.floor(ms / DAY_MS);
        const activity = this.record(event.user_id).activity;
        const known = activity.get(day);
        if (known === undefined) activity.set(day, { first: ms, last: ms });
        else {
          if (ms < known.first) known.first = ms;
          if (ms > known.last) known.last = ms;
        }
        break;
      }
      case 'subscription_started':
        this.record(event.user_id).billing.push({
          ms: Date.parse(event.ts),
          kind: STARTED,
          paidUntilMs: Number.NaN,
          paidUntil: null,
        });
        break;
      case 'subscription_renewed':
      case 'subscription_cancelled': {
        const paidUntil = event.properties.paid_until ?? null;
        this.record(event.user_id).billing.push({
          ms: Date.parse(event.ts),
          kind: event.type === 'subscription_renewed' ? RENEWED : CANCELLED,
          paidUntilMs: paidUntil === null ? Number.NaN : Date.parse(paidUntil),
          paidUntil,
        });
        break;
      }
      default:
        // Every customer with any event gets an outcome, even one that never had a subscription event.
        this.record(event.user_id);
    }
  }

  /** Customers seen so far, in no particular order. */
  get userIds(): IterableIterator<string> {
    return this.customers.keys();
  }

  /** One outcome per customer seen; see {@link deriveChurnOutcomes}. */
  outcomes(options: ChurnOutcomeOptions): Map<string, ChurnOutcome> {
    const graceDays = options.graceDays ?? DEFAULT_GRACE_DAYS;
    if (!Number.isInteger(graceDays) || graceDays < 1) {
      throw new RangeError(`graceDays: expected a whole number of days, at least 1, got ${graceDays}`);
    }
    const observedUntilMs = parseDayOption('observedUntil', options.observedUntil);
    const fromMs =
      options.from === undefined ? Number.NEGATIVE_INFINITY : parseDayOption('from', options.from);
    const knownUntil = new Date(observedUntilMs - graceDays * DAY_MS).toISOString().slice(0, 10);
    const context: WalkContext = { graceMs: graceDays * DAY_MS, observedUntilMs };
    const outcomes = new Map<string, ChurnOutcome>();
    for (const [userId, record] of this.customers) {
      const { lapses, paidUntil } = walk(record, context);
      // The lapse that matters from `fromMs`: the first one not already ended by a re-subscription before it.
      const lapse = lapses.find((candidate) => !(candidate.restartMs < fromMs));
      outcomes.set(
        userId,
        lapse === undefined
          ? { churn_date: null, confirmed: false, paid_until: paidUntil, known_until: knownUntil }
          : {
              churn_date: lapse.paidUntil,
              confirmed: lapse.confirmed,
              paid_until: lapse.paidUntil,
              known_until: knownUntil,
            },
      );
    }
    return outcomes;
  }
}

interface WalkContext {
  readonly graceMs: number;
  readonly observedUntilMs: number;
}

function activeIn(activity: ReadonlyMap<number, ActiveDay>, fromMs: number, toMs: number): boolean {
  if (!(toMs > fromMs)) return false;
  const lastDay = Math.floor((toMs - 1) / DAY_MS);
  for (let day = Math.floor(fromMs / DAY_MS); day <= lastDay; day++) {
    const active = activity.get(day);
    if (active === undefined) continue;
    // The window covers whole days except possibly its first and last, so only those need the times.
    if (active.last >= fromMs && active.first < toMs) return true;
  }
  return false;
}

/** Records a lapse; a late cancellation naming the period that already lapsed adds nothing. */
function pushLapse(lapses: Lapse[], paidUntilMs: number, paidUntil: string, confirmed: boolean): Lapse {
  const previous = lapses[lapses.length - 1];
  if (previous !== undefined && previous.paidUntilMs === paidUntilMs && Number.isNaN(previous.restartMs)) {
    return previous;
  }
  const lapse: Lapse = { paidUntilMs, paidUntil, confirmed, restartMs: Number.NaN };
  lapses.push(lapse);
  return lapse;
}

/**
 * Walks a customer's subscription events in time order. The current paid period ends at
 * `periodEnd`; it is continued by a renewal or a new subscription, and it lapses when neither
 * comes within the grace period after its end. A lapse is churn unless a session or a play falls
 * in the grace period (the customer was still active, which DESIGN.md counts as not churned).
 */
function walk(record: CustomerRecord, context: WalkContext): { lapses: Lapse[]; paidUntil: string | null } {
  const { graceMs, observedUntilMs } = context;
  const billing = record.billing.filter((event) => event.ms < observedUntilMs).sort(compareBilling);
  const lapses: Lapse[] = [];
  let periodEnd = Number.NaN;
  let periodEndText: string | null = null;
  let cancelled = false;
  let awaitingRestart: Lapse | undefined;

  for (const event of billing) {
    if (!Number.isNaN(periodEnd) && event.ms >= periodEnd + graceMs) {
      // Nothing continued the period within the grace days: it lapsed before this event.
      if (periodEndText !== null && !activeIn(record.activity, periodEnd, periodEnd + graceMs)) {
        awaitingRestart = pushLapse(lapses, periodEnd, periodEndText, true);
      }
      periodEnd = Number.NaN;
      periodEndText = null;
      cancelled = false;
    }
    if (event.kind !== CANCELLED && awaitingRestart !== undefined) {
      awaitingRestart.restartMs = event.ms;
      awaitingRestart = undefined;
    }
    if (event.kind === STARTED) {
      // A new subscription: its paid period is unknown until its first renewal or cancellation.
      periodEnd = Number.NaN;
      periodEndText = null;
      cancelled = false;
    } else if (event.kind === RENEWED) {
      cancelled = false;
      if (event.paidUntil === null) {
        // Renewed to an unknown date: keeping the old end would invent a lapse at it.
        periodEnd = Number.NaN;
        periodEndText = null;
      } else if (Number.isNaN(periodEnd) || event.paidUntilMs > periodEnd) {
        periodEnd = event.paidUntilMs;
        periodEndText = event.paidUntil;
      }
    } else {
      cancelled = true;
      if (event.paidUntil !== null) {
        periodEnd = event.paidUntilMs;
        periodEndText = event.paidUntil;
      } else if (Number.isNaN(periodEnd)) {
        // Cancelled with no paid period known: access ends now, as far as anyone can tell.
        periodEnd = event.ms;
        periodEndText = new Date(event.ms).toISOString();
      }
    }
  }

  if (!Number.isNaN(periodEnd) && periodEndText !== null) {
    const graceEnd = periodEnd + graceMs;
    if (graceEnd <= observedUntilMs) {
      if (!activeIn(record.activity, periodEnd, graceEnd)) {
        pushLapse(lapses, periodEnd, periodEndText, true);
      }
    } else if (
      (cancelled || periodEnd < observedUntilMs) &&
      !activeIn(record.activity, periodEnd, observedUntilMs)
    ) {
      // Cancelled, or past its end without a renewal, and quiet since: a churn in the making.
      pushLapse(lapses, periodEnd, periodEndText, false);
    }
  }
  return { lapses, paidUntil: periodEndText };
}

/**
 * Churn outcomes derived from events, per DESIGN.md: a customer has churned when the
 * subscription is cancelled or not renewed and no session follows within `graceDays` after the
 * end of the paid period; the churn date is that end. Read from the events:
 *
 * - the paid period ends at the `paid_until` of the latest renewal, or of a cancellation (which
 *   the simulator also sends when the last retry of a failed renewal fails, naming the renewal
 *   day whose charge failed);
 * - it is continued by a renewal (`subscription_renewed`) or a new subscription
 *   (`subscription_started`, e.g. a win-back) before the grace period is over;
 * - a session or a play in `[paid_until, paid_until + graceDays)` means the customer was still
 *   active: not churned at that period end.
 *
 * Only events before `observedUntil` count. A churn is confirmed only when its grace period lies
 * inside the observation. Customers whose paid period is never named (no renewal and no
 * cancellation seen, e.g. one who cancelled before the first observed day) cannot be judged and
 * get no churn date. Events need not be sorted; duplicates must be dropped first.
 */
export function deriveChurnOutcomes(
  events: Iterable<Event>,
  options: ChurnOutcomeOptions,
): Map<string, ChurnOutcome> {
  const builder = new ChurnOutcomeBuilder();
  for (const event of events) builder.add(event);
  return builder.outcomes(options);
}
