import { describeValue, isIsoUtcTimestamp } from '../schema/timestamp.js';

export type NormaliseTimestampResult = { ok: true; ts: string } | { ok: false; rule: string };

export interface NormaliseTimestampOptions {
  /**
   * Accept a bare calendar date (`2025-03-01`) as midnight UTC. Right for label and profile dates,
   * where the day is what matters; wrong for event times, so off by default.
   */
  readonly allowDateOnly?: boolean;
}

// Date and time with an explicit offset; `T` or a space between them, offset with or without a colon.
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const EPOCH = /^\d+(\.\d+)?$/;

// Epoch numbers are only unambiguous in the ranges where seconds and milliseconds cannot be
// confused: 10-digit seconds (2001-09-09 to 2286-11-20) and 13-digit milliseconds (the same span).
const EPOCH_SECONDS_MIN = 1e9;
const EPOCH_SECONDS_MAX = 1e10;
const EPOCH_MILLIS_MIN = 1e12;
const EPOCH_MILLIS_MAX = 1e13;

function calendarInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 2025-02-30 over to March; a round trip catches it.
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return real ? ms : undefined;
}

function offsetMinutes(offset: string): number | undefined {
  if (offset === 'Z' || offset === 'z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset);
  if (match === null) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function fromEpoch(value: number, text: string): NormaliseTimestampResult {
  if (value >= EPOCH_SECONDS_MIN && value < EPOCH_SECONDS_MAX) {
    return { ok: true, ts: new Date(Math.round(value * 1000)).toISOString() };
  }
  if (value >= EPOCH_MILLIS_MIN && value < EPOCH_MILLIS_MAX) {
    return { ok: true, ts: new Date(Math.round(value)).toISOString() };
  }
  return {
    ok: false,
    rule: `epoch number ${text} is ambiguous: expected 10-digit seconds or 13-digit milliseconds`,
  };
}

/**
 * Turns a timestamp in another unambiguous notation into ISO 8601 UTC. Valid ISO UTC strings come
 * back unchanged (their precision is kept). Accepted besides: ISO 8601 with an explicit offset,
 * epoch seconds or milliseconds. Times without a zone (`2025-03-01 10:00`) and slash dates
 * (`03/04/2025`) are rejected, because guessing the zone or the day order would move events silently.
 */
export function normaliseTimestamp(
  value: unknown,
  options: NormaliseTimestampOptions = {},
): NormaliseTimestampResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      return { ok: false, rule: `expected ISO 8601 UTC timestamp or epoch number, got ${value}` };
    }
    return fromEpoch(value, String(value));
  }
  if (typeof value !== 'string') {
    return { ok: false, rule: `expected ISO 8601 UTC timestamp, got ${describeValue(value)}` };
  }
  const text = value.trim();
  if (isIsoUtcTimestamp(text)) return { ok: true, ts: text };

  const iso = ISO_WITH_OFFSET.exec(text);
  if (iso !== null) {
    const offset = offsetMinutes(iso[8] ?? '');
    const local = calendarInstant(
      Number(iso[1]),
      Number(iso[2]),
      Number(iso[3]),
      Number(iso[4]),
      Number(iso[5]),
      Number(iso[6] ?? '0'),
    );
    if (offset === undefined || local === undefined) {
      return { ok: false, rule: `not a real calendar instant: ${describeValue(value)}` };
    }
    const millis = iso[7] === undefined ? 0 : Math.floor(Number(`0${iso[7]}`) * 1000);
    return { ok: true, ts: new Date(local + millis - offset * 60_000).toISOString() };
  }

  const date = DATE_ONLY.exec(text);
  if (date !== null) {
    if (!options.allowDateOnly) {
      return {
        ok: false,
        rule: `expected ISO 8601 UTC timestamp, got the bare date ${describeValue(value)} (add a time and Z)`,
      };
    }
    const ms = calendarInstant(Number(date[1]), Number(date[2]), Number(date[3]), 0, 0, 0);
    if (ms === undefined) return { ok: false, rule: `not a real calendar date: ${describeValue(value)}` };
    return { ok: true, ts: new Date(ms).toISOString() };
  }

  if (ISO_WITHOUT_OFFSET.test(text)) {
    return {
      ok: false,
      rule: `expected ISO 8601 UTC timestamp, got ${describeValue(value)} without a time zone (ambiguous; add Z or an offset)`,
    };
  }
  if (EPOCH.test(text)) return fromEpoch(Number(text), text);
  return { ok: false, rule: `expected ISO 8601 UTC timestamp, got ${describeValue(value)}` };
}
