import { describe, expect, it } from 'vitest';
import { deriveChurnOutcomes } from '../../../ml/labels/churn-outcomes.js';
import { type Event, parseEvent } from '../../../ml/schema/index.js';

let sequence = 0;

/** A schema-checked event, so the hand-made cases are real events. */
function event(
  user: string,
  ts: string,
  type: Event['type'],
  properties: Record<string, unknown> = {},
): Event {
  const parsed = parseEvent({ event_id: `e-${++sequence}`, user_id: user, ts, type, properties });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

const session = (user: string, ts: string) =>
  event(user, ts, 'session_start', { device: 'web', minutes: 20 });
const renewed = (user: string, ts: string, paidUntil: string) =>
  event(user, ts, 'subscription_renewed', { plan: 'standard', paid_until: paidUntil });
const cancelled = (user: string, ts: string, paidUntil: string, reason = 'price') =>
  event(user, ts, 'subscription_cancelled', { reason, paid_until: paidUntil });
const paymentFailed = (user: string, ts: string, attempt: number) =>
  event(user, ts, 'payment_failed', { amount: 9.99, currency: 'EUR', attempt, reason: 'card_declined' });
const started = (user: string, ts: string) =>
  event(user, ts, 'subscription_started', { plan: 'standard', monthly_price: 9.99 });

describe('deriveChurnOutcomes', () => {
  it('dates a churn at the end of the paid period when a cancellation is followed by no session', () => {
    const events = [
      renewed('u-1', '2025-01-10T04:00:00Z', '2025-02-10T00:00:00.000Z'),
      session('u-1', '2025-01-20T19:00:00Z'),
      cancelled('u-1', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      // Access lasts to the end of the paid period; a session before it changes nothing.
      session('u-1', '2025-02-09T21:00:00Z'),
    ];

    const outcome = deriveChurnOutcomes(events, { observedUntil: '2025-04-01' }).get('u-1');

    expect(outcome).toEqual({
      churn_date: '2025-02-10T00:00:00.000Z',
      confirmed: true,
      paid_until: '2025-02-10T00:00:00.000Z',
      known_until: '2025-03-02',
    });
  });

  it('does not count a churn when a session follows the end of the paid period within 30 days', () => {
    const events = [
      cancelled('u-2', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      session('u-2', '2025-03-11T23:59:00Z'), // day 29 after the end: still inside the grace period
    ];

    const outcome = deriveChurnOutcomes(events, { observedUntil: '2025-04-01' }).get('u-2');

    expect(outcome?.churn_date).toBeNull();
    expect(outcome?.paid_until).toBe('2025-02-10T00:00:00.000Z');
  });

  it('counts a session only when it falls inside the grace period, not on day 30', () => {
    const events = [
      cancelled('u-3', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      session('u-3', '2025-03-12T00:00:00Z'), // exactly 30 days after: too late
    ];

    expect(deriveChurnOutcomes(events, { observedUntil: '2025-04-01' }).get('u-3')?.churn_date).toBe(
      '2025-02-10T00:00:00.000Z',
    );
  });

  it('churns a customer whose failed renewal never recovers, with or without a cancellation event', () => {
    const failed = (user: string) => [
      renewed(user, '2025-01-10T04:00:00Z', '2025-02-10T00:00:00.000Z'),
      session(user, '2025-02-01T20:00:00Z'),
      paymentFailed(user, '2025-02-10T04:00:00Z', 1),
      paymentFailed(user, '2025-02-12T04:00:00Z', 2),
      paymentFailed(user, '2025-02-17T04:00:00Z', 4),
    ];
    const events = [
      // The simulator's shape: the last failed retry cancels, naming the renewal day whose charge failed.
      ...failed('u-4'),
      cancelled('u-4', '2025-02-17T04:00:30Z', '2025-02-10T00:00:00.000Z', 'payment_failed'),
      // A billing system that just stops renewing.
      ...failed('u-5'),
    ];

    const outcomes = deriveChurnOutcomes(events, { observedUntil: '2025-04-01' });

    for (const user of ['u-4', 'u-5']) {
      expect(outcomes.get(user), user).toMatchObject({
        churn_date: '2025-02-10T00:00:00.000Z',
        confirmed: true,
      });
    }
  });

  it('keeps a renewal that succeeds on a retry inside the grace period', () => {
    const events = [
      renewed('u-6', '2025-01-10T04:00:00Z', '2025-02-10T00:00:00.000Z'),
      paymentFailed('u-6', '2025-02-10T04:00:00Z', 1),
      renewed('u-6', '2025-02-14T04:00:02Z', '2025-03-10T00:00:00.000Z'),
      renewed('u-6', '2025-03-10T04:00:02Z', '2025-04-10T00:00:00.000Z'),
    ];

    const outcome = deriveChurnOutcomes(events, { observedUntil: '2025-04-01' }).get('u-6');

    expect(outcome).toMatchObject({ churn_date: null, paid_until: '2025-04-10T00:00:00.000Z' });
  });

  it('leaves a churn unconfirmed until 30 days after the paid period have been observed', () => {
    const events = [
      cancelled('u-7', '2025-02-20T12:00:00Z', '2025-03-10T00:00:00.000Z'),
      // Cancelled, the paid period not over yet.
      cancelled('u-8', '2025-03-20T12:00:00Z', '2025-04-10T00:00:00.000Z'),
    ];

    const early = deriveChurnOutcomes(events, { observedUntil: '2025-04-01' });
    const later = deriveChurnOutcomes(events, { observedUntil: '2025-04-09' });
    const late = deriveChurnOutcomes(events, { observedUntil: '2025-05-10' });

    expect(early.get('u-7')).toMatchObject({ churn_date: '2025-03-10T00:00:00.000Z', confirmed: false });
    expect(early.get('u-8')).toMatchObject({ churn_date: '2025-04-10T00:00:00.000Z', confirmed: false });
    expect(later.get('u-7')).toMatchObject({ churn_date: '2025-03-10T00:00:00.000Z', confirmed: true });
    expect(late.get('u-8')).toMatchObject({ churn_date: '2025-04-10T00:00:00.000Z', confirmed: true });
  });

  it('ignores events on or after observedUntil', () => {
    const events = [
      cancelled('u-9', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      session('u-9', '2025-02-20T10:00:00Z'),
    ];

    const before = deriveChurnOutcomes(events, { observedUntil: '2025-02-20' }).get('u-9');
    const after = deriveChurnOutcomes(events, { observedUntil: '2025-02-21' }).get('u-9');

    expect(before).toMatchObject({ churn_date: '2025-02-10T00:00:00.000Z', confirmed: false });
    expect(after?.churn_date).toBeNull();
  });

  it('treats a win-back subscription inside the grace period as no churn, and one after it as a new subscription', () => {
    const events = [
      cancelled('u-10', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      started('u-10', '2025-02-25T12:00:00Z'),
      cancelled('u-11', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      started('u-11', '2025-04-20T12:00:00Z'),
      renewed('u-11', '2025-05-20T04:00:00Z', '2025-06-20T00:00:00.000Z'),
      renewed('u-11', '2025-06-20T04:00:00Z', '2025-07-20T00:00:00.000Z'),
      session('u-11', '2025-06-01T20:00:00Z'),
    ];

    const outcomes = deriveChurnOutcomes(events, { observedUntil: '2025-07-01' });
    // From a day after the return, the old churn is history and the customer is subscribed.
    const fromMay = deriveChurnOutcomes(events, { observedUntil: '2025-07-01', from: '2025-05-01' });
    // From a day in the gap, the customer is churned.
    const fromApril = deriveChurnOutcomes(events, { observedUntil: '2025-07-01', from: '2025-04-01' });

    expect(outcomes.get('u-10')?.churn_date).toBeNull();
    expect(outcomes.get('u-11')).toMatchObject({ churn_date: '2025-02-10T00:00:00.000Z', confirmed: true });
    expect(fromMay.get('u-11')).toMatchObject({ churn_date: null, paid_until: '2025-07-20T00:00:00.000Z' });
    expect(fromApril.get('u-11')?.churn_date).toBe('2025-02-10T00:00:00.000Z');
  });

  it('gives no churn date when no billing event ever named the paid period', () => {
    const events = [session('u-12', '2025-01-05T10:00:00Z'), started('u-13', '2025-01-05T10:00:00Z')];

    const outcomes = deriveChurnOutcomes(events, { observedUntil: '2025-06-01' });

    expect(outcomes.get('u-12')).toMatchObject({ churn_date: null, paid_until: null });
    expect(outcomes.get('u-13')).toMatchObject({ churn_date: null, paid_until: null });
  });

  it('does not depend on the order of the events', () => {
    const events = [
      renewed('u-14', '2025-01-10T04:00:00Z', '2025-02-10T00:00:00.000Z'),
      cancelled('u-14', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      renewed('u-14', '2025-01-26T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      session('u-14', '2025-02-01T20:00:00Z'),
      cancelled('u-15', '2025-01-25T12:00:00Z', '2025-02-10T00:00:00.000Z'),
      started('u-15', '2025-04-20T12:00:00Z'),
    ];
    const options = { observedUntil: '2025-06-01' };

    const forward = deriveChurnOutcomes(events, options);
    const backward = deriveChurnOutcomes([...events].reverse(), options);

    expect(backward).toEqual(forward);
    // Renewed after cancelling: the cancellation was withdrawn, the period lapsed later without a session.
    expect(forward.get('u-14')?.churn_date).toBe('2025-02-10T00:00:00.000Z');
  });

  it('names the option and the rule when an option is wrong', () => {
    expect(() => deriveChurnOutcomes([], { observedUntil: '2025-02-30' })).toThrow(
      /observedUntil: expected a calendar day YYYY-MM-DD, got "2025-02-30"/,
    );
    expect(() => deriveChurnOutcomes([], { observedUntil: '2025-02-01', graceDays: 0 })).toThrow(
      /graceDays: expected a whole number of days, at least 1, got 0/,
    );
  });
});
