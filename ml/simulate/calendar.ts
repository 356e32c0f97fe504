export const DAY_MS = 86_400_000;
export const SECONDS_PER_DAY = 86_400;

/** Midnight UTC of a `YYYY-MM-DD` date (or of the day of an ISO timestamp). */
export function parseStartDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T00:00(?::00(?:\.0+)?)?(?:Z|\+00:00))?$/.exec(text);
  if (match === null) throw new RangeError(`start date must be YYYY-MM-DD (UTC midnight), got "${text}"`);
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(match[3]))
    throw new RangeError(`start date ${text} is not a calendar date`);
  return ms;
}

/** `2025-03-14T` for each simulated day: timestamps are built by appending the time of day. */
export function dayPrefixes(startMs: number, days: number): string[] {
  const prefixes: string[] = [];
  for (let day = 0; day < days; day++) {
    prefixes.push(`${new Date(startMs + day * DAY_MS).toISOString().slice(0, 11)}`);
  }
  return prefixes;
}

export function isoAtDay(startMs: number, day: number): string {
  return new Date(startMs + day * DAY_MS).toISOString();
}

/** Day index (relative to the start) of `months` calendar months after an anchor date, clamped to month end. */
export function addMonthsDay(startMs: number, anchorMs: number, months: number): number {
  const anchor = new Date(anchorMs);
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const target = Date.UTC(year, month, Math.min(anchor.getUTCDate(), lastDay));
  return Math.round((target - startMs) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(startMs: number, day: number): number {
  return new Date(startMs + day * DAY_MS).getUTCDay();
}
