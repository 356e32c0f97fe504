import { describe, expect, it } from 'vitest';
import { leadTimes, type ScoreOnDay } from '../../../ml/eval/index.js';

describe('leadTimes', () => {
  const history: ScoreOnDay[] = [
    // c-1 crosses 0.7 on 03-05 and churns 03-20: 15 days of warning (the later, higher score does not move it).
    { userId: 'c-1', day: '2025-03-01', score: 0.4 },
    { userId: 'c-1', day: '2025-03-10', score: 0.9 },
    { userId: 'c-1', day: '2025-03-05', score: 0.7 },
    // c-2 is only flagged on its churn day: no warning.
    { userId: 'c-2', day: '2025-03-01', score: 0.2 },
    { userId: 'c-2', day: '2025-03-15', score: 0.95 },
    // c-3 is flagged 30 days ahead, given as a timestamp.
    { userId: 'c-3', day: '2025-02-01T00:00:00Z', score: 0.8 },
    // c-4 is flagged 5 days ahead.
    { userId: 'c-4', day: '2025-03-26', score: 0.71 },
    // A customer who stays is not part of lead time, however high the score.
    { userId: 's-1', day: '2025-03-01', score: 0.99 },
  ];
  const churnDates = new Map([
    ['c-1', '2025-03-20'],
    ['c-2', '2025-03-15T00:00:00Z'],
    ['c-3', '2025-03-03'],
    ['c-4', '2025-03-31'],
    ['c-5', '2025-03-31'],
  ]);

  it('measures days from the first high-risk score to churn per churner', () => {
    const summary = leadTimes(history, churnDates, 0.7);
    expect([...summary.perCustomer]).toEqual([
      ['c-1', 15],
      ['c-2', null],
      ['c-3', 30],
      ['c-4', 5],
      ['c-5', null],
    ]);
    expect(summary.detectedShare).toBe(0.6);
    // Lead times 5, 15, 30.
    expect(summary.median).toBe(15);
    expect(summary.quantiles).toEqual({ p25: 10, p50: 15, p75: 22.5 });
  });

  it('returns nulls when no churner was flagged', () => {
    const summary = leadTimes(history, churnDates, 0.999);
    expect(summary.median).toBeNull();
    expect(summary.quantiles).toEqual({ p25: null, p50: null, p75: null });
    expect(summary.detectedShare).toBe(0);
    expect(leadTimes(history, new Map(), 0.5).detectedShare).toBeNull();
  });

  it('names the customer with an unreadable churn date', () => {
    expect(() => leadTimes(history, new Map([['c-9', 'last week']]), 0.5)).toThrow(/churn date of c-9/);
  });
});
