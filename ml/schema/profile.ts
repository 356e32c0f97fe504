import { z } from 'zod';
import { Country, NonNegative, nullish, Text, Timestamp } from './fields.js';
import { formatIssues } from './format-issues.js';

/** A customer's profile: who they are and how they came, not what they do. */
export const ProfileSchema = z.object({
  user_id: Text,
  registered_at: Timestamp,
  plan: Text,
  monthly_price: NonNegative,
  channel: Text,
  country: Country,
  device: Text,
  manager_id: Text,
  /** The customer who referred this one, if any. */
  referred_by: nullish(Text),
});

export type Profile = z.infer<typeof ProfileSchema>;

export type ParseProfileResult = { ok: true; profile: Profile } | { ok: false; reason: string };

/** Validates one profile; the reason names each broken field and rule. */
export function parseProfile(input: unknown): ParseProfileResult {
  const result = ProfileSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, profile: result.data };
  return { ok: false, reason: formatIssues(result.error, 'profile') };
}

/** Number for a numeric CSV cell; anything else is passed through so the schema can say what it got. */
export function csvNumber(cell: string | undefined): number | string | undefined {
  if (cell === undefined || cell.trim() === '') return cell;
  const value = Number(cell);
  return Number.isFinite(value) ? value : cell;
}

/** Empty CSV cells stand for null in the optional columns. */
export function csvNullable(cell: string | undefined): string | null | undefined {
  return cell === '' ? null : cell;
}

/** Validates a row of `profiles.csv` (all cells are strings there). */
export function parseProfileCsvRow(row: Readonly<Record<string, string>>): ParseProfileResult {
  return parseProfile({
    ...row,
    monthly_price: csvNumber(row.monthly_price),
    referred_by: csvNullable(row.referred_by),
  });
}
