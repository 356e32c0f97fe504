import { z } from 'zod';
import { Bool, nullish, Text, Timestamp } from './fields.js';
import { formatIssues } from './format-issues.js';
import { csvNullable } from './profile.js';

/**
 * Whether a customer churned, as known at `as_of`. A customer has churned when the subscription
 * was cancelled or not renewed and no session followed within 30 days after the end of the paid
 * period; `churn_date` is the end of that paid period, so lead time can be measured against it.
 */
export const LabelSchema = z
  .object({
    user_id: Text,
    /** The cut-off at which the label was taken. */
    as_of: Timestamp,
    churned: Bool,
    churn_date: Timestamp.nullable(),
    /** End of the last paid period, if the customer ever paid. */
    paid_until: nullish(Timestamp),
  })
  .superRefine((label, context) => {
    if (label.churned && label.churn_date === null) {
      context.addIssue({ code: 'custom', path: ['churn_date'], message: 'required when churned is true' });
    }
    if (!label.churned && label.churn_date !== null) {
      context.addIssue({
        code: 'custom',
        path: ['churn_date'],
        message: 'must be null when churned is false',
      });
    }
    if (label.churn_date !== null && Date.parse(label.churn_date) > Date.parse(label.as_of)) {
      context.addIssue({
        code: 'custom',
        path: ['churn_date'],
        message: `must not be after as_of (${label.as_of}), got "${label.churn_date}"`,
      });
    }
  });

export type Label = z.infer<typeof LabelSchema>;

export type ParseLabelResult = { ok: true; label: Label } | { ok: false; reason: string };

/** Validates one label; the reason names each broken field and rule. */
export function parseLabel(input: unknown): ParseLabelResult {
  const result = LabelSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, label: result.data };
  return { ok: false, reason: formatIssues(result.error, 'label') };
}

function csvBoolean(cell: string | undefined): boolean | string | undefined {
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return cell;
}

/** Validates a row of `labels.csv` (all cells are strings there; empty cells are null). */
export function parseLabelCsvRow(row: Readonly<Record<string, string>>): ParseLabelResult {
  return parseLabel({
    ...row,
    churned: csvBoolean(row.churned),
    churn_date: csvNullable(row.churn_date),
    paid_until: csvNullable(row.paid_until),
  });
}
