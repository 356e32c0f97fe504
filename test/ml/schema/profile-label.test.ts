import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  formatIssues,
  isIsoUtcTimestamp,
  parseLabel,
  parseLabelCsvRow,
  parseProfile,
  parseProfileCsvRow,
} from '../../../ml/schema/index.js';

const profile = {
  user_id: 'u-000001',
  registered_at: '2024-07-27T08:07:32.000Z',
  plan: 'premium',
  monthly_price: 15.99,
  channel: 'partner_promo',
  country: 'GB',
  device: 'smart_tv',
  manager_id: 'mgr-gb-02',
  referred_by: null,
};

const label = {
  user_id: 'u-000001',
  as_of: '2025-06-30T00:00:00Z',
  churned: true,
  churn_date: '2025-05-27T00:00:00Z',
  paid_until: '2025-05-27T00:00:00Z',
};

describe('parseProfile', () => {
  it('accepts a profile with or without a referrer', () => {
    expect(parseProfile(profile)).toEqual({ ok: true, profile });
    expect(parseProfile({ ...profile, referred_by: 'u-000002' }).ok).toBe(true);
    const { referred_by: _dropped, ...withoutReferrer } = profile;
    expect(parseProfile(withoutReferrer).ok).toBe(true);
  });

  it('names every broken field and rule', () => {
    const result = parseProfile({
      ...profile,
      monthly_price: -1,
      country: 'gb',
      registered_at: '27/07/2024',
    });
    expect(result).toEqual({
      ok: false,
      reason:
        'registered_at: expected ISO 8601 UTC timestamp, got "27/07/2024"; monthly_price: must be >= 0, got -1; ' +
        'country: expected ISO 3166-1 alpha-2 country code, got "gb"',
    });
    expect(parseProfile({ ...profile, manager_id: undefined })).toEqual({
      ok: false,
      reason: 'manager_id: required, expected string',
    });
  });

  it('reads profiles.csv rows, where every cell is text', () => {
    const row = { ...profile, monthly_price: '15.99', referred_by: '' };
    expect(parseProfileCsvRow(row)).toEqual({ ok: true, profile });
    expect(parseProfileCsvRow({ ...row, monthly_price: 'free' })).toEqual({
      ok: false,
      reason: 'monthly_price: expected number, got "free"',
    });
  });
});

describe('parseLabel', () => {
  it('accepts churned and retained customers', () => {
    expect(parseLabel(label).ok).toBe(true);
    expect(parseLabel({ ...label, churned: false, churn_date: null }).ok).toBe(true);
  });

  it('keeps churned and churn_date consistent and in the past of as_of', () => {
    expect(parseLabel({ ...label, churn_date: null })).toEqual({
      ok: false,
      reason: 'churn_date: required when churned is true',
    });
    expect(parseLabel({ ...label, churned: false })).toEqual({
      ok: false,
      reason: 'churn_date: must be null when churned is false',
    });
    expect(parseLabel({ ...label, churn_date: '2025-07-01T00:00:00Z' })).toEqual({
      ok: false,
      reason: 'churn_date: must not be after as_of (2025-06-30T00:00:00Z), got "2025-07-01T00:00:00Z"',
    });
    expect(parseLabel({ ...label, churned: 'yes' })).toEqual({
      ok: false,
      reason: 'churned: expected boolean, got "yes"',
    });
  });

  it('reads labels.csv rows', () => {
    expect(parseLabelCsvRow({ ...label, churned: 'true' }).ok).toBe(true);
    expect(parseLabelCsvRow({ ...label, churned: 'false', churn_date: '', paid_until: '' })).toEqual({
      ok: true,
      label: { ...label, churned: false, churn_date: null, paid_until: null },
    });
  });
});

describe('formatIssues', () => {
  it('formats any zod error as field: rule pairs', () => {
    const schema = z.object({ name: z.string().min(1), tags: z.array(z.enum(['a', 'b'])) });
    const result = schema.safeParse({ name: '', tags: ['a', 'c'] }, { reportInput: true });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(formatIssues(result.error)).toBe(
        'name: must not be empty; tags[1]: expected one of a, b, got "c"',
      );
  });
});

describe('isIsoUtcTimestamp', () => {
  it('knows leap years and month lengths', () => {
    expect(isIsoUtcTimestamp('2024-02-29T12:00:00Z')).toBe(true);
    expect(isIsoUtcTimestamp('2100-02-29T12:00:00Z')).toBe(false);
    expect(isIsoUtcTimestamp('2000-02-29T12:00:00Z')).toBe(true);
    expect(isIsoUtcTimestamp('2025-04-31T12:00:00Z')).toBe(false);
    expect(isIsoUtcTimestamp('2025-12-31T23:59:59.999Z')).toBe(true);
  });
});
