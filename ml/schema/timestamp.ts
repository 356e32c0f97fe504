import { z } from 'zod';

// Hours and minutes are required, seconds and fractions optional; the offset must be UTC.
// `-00:00` is excluded on purpose: RFC 3339 reserves it for "offset unknown".
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|\+00:00)$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * True for an ISO 8601 timestamp in UTC (`Z` or `+00:00`) that names a real calendar instant.
 * `Date.parse` alone is not enough: V8 rolls `2025-02-30` over to March instead of rejecting it.
 */
export function isIsoUtcTimestamp(value: string): boolean {
  const match = ISO_UTC.exec(value);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/** An ISO 8601 UTC timestamp string; the error quotes what was received. */
export const IsoUtcTimestamp = z.string().refine(isIsoUtcTimestamp, {
  error: (issue) => `expected ISO 8601 UTC timestamp, got ${describeValue(issue.input)}`,
});

/** A short, quoted rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'object') return 'an object';
  return String(value);
}
