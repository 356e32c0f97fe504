import { describe, expect, it } from 'vitest';
import type { ChurnOutcome } from '../../../ml/labels/churn-outcomes.js';
import { mergeLabels } from '../../../ml/labels/merge-labels.js';
import { churnedBefore, windowLabel } from '../../../ml/labels/window-label.js';
import type { Label } from '../../../ml/schema/index.js';

const derived = (overrides: Partial<ChurnOutcome> = {}): ChurnOutcome => ({
  churn_date: null,
  confirmed: false,
  paid_until: '2025-04-20T00:00:00.000Z',
  known_until: '2025-05-01',
  ...overrides,
});

const imported = (overrides: Partial<Label> & Pick<Label, 'user_id'>): Label => ({
  as_of: '2025-06-01T00:00:00Z',
  churned: false,
  churn_date: null,
  ...overrides,
});

describe('mergeLabels', () => {
  it('lets an imported label replace the derived outcome and keeps the others', () => {
    const outcomes = new Map([
      ['u-1', derived()],
      ['u-2', derived({ churn_date: '2025-03-10T00:00:00.000Z', confirmed: true })],
    ]);

    const merged = mergeLabels(outcomes, [
      imported({ user_id: 'u-2', churned: false }),
      imported({ user_id: 'u-3', churned: true, churn_date: '2025-03-15T00:00:00Z' }),
    ]);

    expect(merged.get('u-1')).toEqual({ ...derived(), source: 'derived' });
    expect(merged.get('u-2')).toEqual({
      churn_date: null,
      confirmed: false,
      paid_until: null,
      known_until: '2025-06-01',
      source: 'imported',
    });
    expect(merged.get('u-3')).toMatchObject({
      churn_date: '2025-03-15T00:00:00Z',
      confirmed: true,
      source: 'imported',
    });
  });

  it('takes the latest of several imported labels of one customer', () => {
    const merged = mergeLabels(new Map(), [
      imported({
        user_id: 'u-1',
        as_of: '2025-06-01T00:00:00Z',
        churned: true,
        churn_date: '2025-05-01T00:00:00Z',
      }),
      imported({ user_id: 'u-1', as_of: '2025-03-01T00:00:00Z', churned: false }),
    ]);

    expect(merged.get('u-1')?.churn_date).toBe('2025-05-01T00:00:00Z');
  });
});

describe('windowLabel', () => {
  const window = { asOf: '2025-03-01', horizonDays: 30 };

  it('is 1 for a confirmed churn date inside the window and null for an unconfirmed one', () => {
    expect(windowLabel(derived({ churn_date: '2025-03-30T00:00:00.000Z', confirmed: true }), window)).toBe(1);
    expect(
      windowLabel(derived({ churn_date: '2025-03-30T00:00:00.000Z', confirmed: false }), window),
    ).toBeNull();
  });

  it('is 0 for a churn after the window, or no churn known past its end', () => {
    expect(windowLabel(derived({ churn_date: '2025-03-31T00:00:00.000Z', confirmed: false }), window)).toBe(
      0,
    );
    expect(windowLabel(derived(), window)).toBe(0);
  });

  it('is null when the absence of churn is not known to the end of the window', () => {
    const shortData = derived({ known_until: '2025-03-20', paid_until: '2025-03-25T00:00:00.000Z' });
    expect(windowLabel(shortData, window)).toBeNull();
    // ...unless the customer paid past the window, which no churn inside it can precede.
    expect(windowLabel({ ...shortData, paid_until: '2025-04-02T00:00:00.000Z' }, window)).toBe(0);
  });

  it('is null for a derived outcome that never saw a paid period, and without an outcome', () => {
    expect(windowLabel({ ...derived({ paid_until: null }), source: 'derived' }, window)).toBeNull();
    expect(windowLabel(undefined, window)).toBeNull();
  });

  it('trusts an imported "not churned" up to its as_of', () => {
    const label = mergeLabels(new Map(), [imported({ user_id: 'u-1', as_of: '2025-04-15T00:00:00Z' })]).get(
      'u-1',
    );
    const early = mergeLabels(new Map(), [imported({ user_id: 'u-1', as_of: '2025-03-15T00:00:00Z' })]).get(
      'u-1',
    );

    expect(windowLabel(label, window)).toBe(0);
    expect(windowLabel(early, window)).toBeNull();
  });

  it('tells customers who had churned before the window apart', () => {
    expect(
      churnedBefore(derived({ churn_date: '2025-02-28T00:00:00.000Z', confirmed: true }), '2025-03-01'),
    ).toBe(true);
    expect(churnedBefore(derived({ churn_date: '2025-03-01T00:00:00.000Z' }), '2025-03-01')).toBe(false);
    expect(churnedBefore(undefined, '2025-03-01')).toBe(false);
  });

  it('names the rule when the horizon is wrong', () => {
    expect(() => windowLabel(derived(), { asOf: '2025-03-01', horizonDays: 0 })).toThrow(
      /horizonDays: expected a positive whole number, got 0/,
    );
  });
});
